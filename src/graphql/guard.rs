//! What a GraphQL document may cost, checked on the parsed document before any validation
//! rule or resolver runs. async-graphql's own depth and complexity rules expand fragment
//! spreads as they walk, so a kilobyte of nested fragments is exponential work for them;
//! here each fragment's size is counted once and reused, so the check is linear in the text.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::Name;

/// The bounds a document must keep (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fields in the document once every fragment is expanded, over all operations and
    /// fragment definitions: the work validation does.
    pub max_nodes: u64,
    /// Response keys one field may have in one selection set (`a: article`, `b: article`...).
    pub max_aliases: usize,
    /// Root fields of one mutation, once fragments are expanded.
    pub max_mutation_fields: usize,
    /// Nesting of data fields. Introspection (`__schema`, `__type`) is not counted: tools
    /// send a standard query deeper than any page needs; it has bounds of its own.
    pub max_depth: usize,
}

/// Introspection lists that expand types (`types`, `fields`...) one path may go through:
/// the standard introspection query goes through two (`types`, then `fields`); a third
/// (`fields { type { fields } }`) multiplies the answer by every field of every type again.
pub const MAX_INTROSPECTION_TYPE_LISTS: usize = 2;

/// `__schema` and `__type` fields one document may ask for (each answers the whole schema or
/// a type of it; under aliases they would multiply).
pub const MAX_INTROSPECTION_ROOTS: usize = 3;

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooComplex {
        nodes: u64,
        max: u64,
    },
    FragmentCycle(String),
    FragmentsTooDeep,
    TooManyAliases {
        field: String,
        count: usize,
        max: usize,
    },
    TooManyMutations {
        count: usize,
        max: usize,
    },
    TooDeep {
        depth: usize,
        max: usize,
    },
    IntrospectionTooLarge(&'static str),
}

impl Refusal {
    /// The machine-readable reason, for `extensions.reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::TooComplex { .. } | Refusal::FragmentsTooDeep => "QUERY_TOO_COMPLEX",
            Refusal::FragmentCycle(_) => "FRAGMENT_CYCLE",
            Refusal::TooManyAliases { .. } => "TOO_MANY_ALIASES",
            Refusal::TooManyMutations { .. } => "TOO_MANY_MUTATIONS",
            Refusal::TooDeep { .. } => "QUERY_TOO_DEEP",
            Refusal::IntrospectionTooLarge(_) => "INTROSPECTION_TOO_LARGE",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooComplex { nodes, max } => {
                write!(
                f,
                "the query selects {} fields once its fragments are expanded; at most {max} are \
                 accepted",
                if *nodes == u64::MAX { "too many".to_owned() } else { nodes.to_string() }
            )
            }
            Refusal::FragmentCycle(name) => {
                write!(
                    f,
                    "fragment {name} spreads itself, directly or through others"
                )
            }
            Refusal::FragmentsTooDeep => {
                write!(
                    f,
                    "fragments spread into fragments more than {MAX_NESTING} levels deep"
                )
            }
            Refusal::TooManyAliases { field, count, max } => write!(
                f,
                "field {field} is asked for under {count} names in one selection; at most {max}"
            ),
            Refusal::TooManyMutations { count, max } => write!(
                f,
                "the mutation has {count} fields; at most {max} are run in one request"
            ),
            Refusal::TooDeep { depth, max } => write!(
                f,
                "the query is nested too deep: {depth} levels of fields, at most {max}"
            ),
            Refusal::IntrospectionTooLarge(what) => write!(f, "introspection {what}"),
        }
    }
}

/// Selection sets plus fragment spreads nested deeper than this are refused (the parser
/// already stops selection sets at 64 levels; spreads can chain further).
const MAX_NESTING: usize = 256;

/// Brackets (`{`, `[`, `(`) nested deeper than this in a document's text are refused before
/// it is parsed: the parser recurses once per level of a value (`[[[[...]]]]`) with no bound
/// of its own, and a few thousand levels overflow a worker's stack and abort the process.
/// Selection sets are also bounded by the parser itself, at 64.
pub const MAX_TEXT_NESTING: usize = 100;

/// The deepest nesting of brackets in a GraphQL text, outside strings and comments. One pass,
/// no recursion.
pub fn text_nesting(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth, mut deepest) = (0, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next unescaped `"""`.
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Checks `doc` against `limits`.
pub fn check(doc: &ExecutableDocument, limits: &Limits) -> Result<(), Refusal> {
    let mut sizes = Sizes {
        fragments: &doc.fragments,
        memo: HashMap::new(),
    };
    // What validation walks: every operation and every fragment definition, expanded.
    let mut total: u64 = 0;
    for (_, op) in doc.operations.iter() {
        total = total.saturating_add(sizes.of_set(&op.node.selection_set.node, 0)?);
    }
    for name in doc.fragments.keys() {
        total = total.saturating_add(sizes.of_fragment(name, 0)?);
    }
    if total > limits.max_nodes {
        return Err(Refusal::TooComplex {
            nodes: total,
            max: limits.max_nodes,
        });
    }
    // Now that the expanded document is known to be small, walk it expanded.
    let walk = Expanded {
        fragments: &doc.fragments,
        limits,
    };
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        if op.node.ty == OperationType::Mutation {
            let keys = walk.keys(set, 0)?;
            let count: usize = keys.values().map(HashSet::len).sum();
            if count > limits.max_mutation_fields {
                return Err(Refusal::TooManyMutations {
                    count,
                    max: limits.max_mutation_fields,
                });
            }
        }
        walk.check_aliases(set, 0)?;
        let mut shape = Shape::default();
        walk.shape(set, 0, 0, None, &mut shape)?;
        if shape.deepest > limits.max_depth {
            return Err(Refusal::TooDeep {
                depth: shape.deepest,
                max: limits.max_depth,
            });
        }
    }
    Ok(())
}

/// What the expanded walk of one operation measures.
#[derive(Default)]
struct Shape {
    /// The deepest data field (introspection not counted).
    deepest: usize,
    /// `__schema` and `__type` fields met.
    introspection_roots: usize,
}

/// Introspection fields that list types or their members.
fn expands_types(field: &str) -> bool {
    matches!(
        field,
        "types" | "fields" | "inputFields" | "interfaces" | "possibleTypes" | "enumValues"
    )
}

/// Expanded field counts, each fragment's counted once.
struct Sizes<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// `None` while a fragment is being counted: meeting it again is a cycle.
    memo: HashMap<&'a str, Option<u64>>,
}

impl<'a> Sizes<'a> {
    fn of_set(&mut self, set: &'a SelectionSet, nesting: usize) -> Result<u64, Refusal> {
        if nesting > MAX_NESTING {
            return Err(Refusal::FragmentsTooDeep);
        }
        let mut n: u64 = 0;
        for item in &set.items {
            let add = match &item.node {
                Selection::Field(f) => {
                    1u64.saturating_add(self.of_set(&f.node.selection_set.node, nesting + 1)?)
                }
                Selection::InlineFragment(i) => {
                    self.of_set(&i.node.selection_set.node, nesting + 1)?
                }
                Selection::FragmentSpread(s) => {
                    self.of_fragment(&s.node.fragment_name.node, nesting + 1)?
                }
            };
            n = n.saturating_add(add);
        }
        Ok(n)
    }

    fn of_fragment(&mut self, name: &'a Name, nesting: usize) -> Result<u64, Refusal> {
        match self.memo.get(name.as_str()) {
            Some(Some(n)) => return Ok(*n),
            Some(None) => return Err(Refusal::FragmentCycle(name.to_string())),
            None => {}
        }
        // An unknown fragment is validation's to report; it costs nothing here.
        let Some(def) = self.fragments.get(name) else {
            return Ok(0);
        };
        self.memo.insert(name.as_str(), None);
        let n = self.of_set(&def.node.selection_set.node, nesting)?;
        self.memo.insert(name.as_str(), Some(n));
        Ok(n)
    }
}

/// Walks of the expanded document (known to be small by now).
struct Expanded<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    limits: &'a Limits,
}

impl<'a> Expanded<'a> {
    /// Calls `visit` on each field of `set`, with those of its inline fragments and fragment
    /// spreads merged in (as execution merges them), and the nesting each field stands at.
    fn fields(
        &self,
        set: &'a SelectionSet,
        nesting: usize,
        visit: &mut dyn FnMut(&'a Field, usize) -> Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        if nesting > MAX_NESTING {
            return Err(Refusal::FragmentsTooDeep);
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => visit(&f.node, nesting)?,
                Selection::InlineFragment(i) => {
                    self.fields(&i.node.selection_set.node, nesting + 1, visit)?
                }
                Selection::FragmentSpread(s) => {
                    if let Some(def) = self.fragments.get(&s.node.fragment_name.node) {
                        self.fields(&def.node.selection_set.node, nesting + 1, visit)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The response keys of each field name in `set`.
    fn keys(
        &self,
        set: &'a SelectionSet,
        nesting: usize,
    ) -> Result<HashMap<&'a str, HashSet<&'a str>>, Refusal> {
        let mut keys: HashMap<&'a str, HashSet<&'a str>> = HashMap::new();
        self.fields(set, nesting, &mut |f, _| {
            let name = f.name.node.as_str();
            let key = f.alias.as_ref().map_or(name, |a| a.node.as_str());
            keys.entry(name).or_default().insert(key);
            Ok(())
        })?;
        Ok(keys)
    }

    /// Checks the aliases of `set` and of every selection set under it.
    fn check_aliases(&self, set: &'a SelectionSet, nesting: usize) -> Result<(), Refusal> {
        let keys = self.keys(set, nesting)?;
        if let Some((field, k)) = keys.iter().find(|(_, k)| k.len() > self.limits.max_aliases) {
            return Err(Refusal::TooManyAliases {
                field: (*field).to_owned(),
                count: k.len(),
                max: self.limits.max_aliases,
            });
        }
        self.fields(set, nesting, &mut |f, n| {
            self.check_aliases(&f.selection_set.node, n + 1)
        })
    }

    /// Walks the expanded tree under `set` at data depth `depth`; `introspection` is the
    /// number of type lists passed so far, once inside `__schema` or `__type`.
    fn shape(
        &self,
        set: &'a SelectionSet,
        nesting: usize,
        depth: usize,
        introspection: Option<usize>,
        shape: &mut Shape,
    ) -> Result<(), Refusal> {
        self.fields(set, nesting, &mut |f, n| {
            let name = f.name.node.as_str();
            let inner = &f.selection_set.node;
            match introspection {
                Some(lists) => {
                    let lists = lists + usize::from(expands_types(name));
                    if lists > MAX_INTROSPECTION_TYPE_LISTS {
                        return Err(Refusal::IntrospectionTooLarge(
                            "may go through at most two lists of types or their members \
                             on one path (as the standard introspection query does)",
                        ));
                    }
                    self.shape(inner, n + 1, depth, Some(lists), shape)
                }
                None if name == "__schema" || name == "__type" => {
                    shape.introspection_roots += 1;
                    if shape.introspection_roots > MAX_INTROSPECTION_ROOTS {
                        return Err(Refusal::IntrospectionTooLarge(
                            "may ask for __schema and __type at most three times",
                        ));
                    }
                    self.shape(inner, n + 1, depth, Some(0), shape)
                }
                None => {
                    shape.deepest = shape.deepest.max(depth + 1);
                    self.shape(inner, n + 1, depth + 1, None, shape)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_nodes: 2000,
        max_aliases: 30,
        max_mutation_fields: 50,
        max_depth: 10,
    };

    fn run(q: &str) -> Result<(), Refusal> {
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        check(&doc, &LIMITS)
    }

    fn bomb(k: usize) -> String {
        let mut q = format!("query {{ ...F{k} }} fragment F0 on Query {{ __typename }} ");
        for i in 1..=k {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }} ",
                i - 1,
                i - 1
            ));
        }
        q
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        assert_eq!(text_nesting("{ a(b: [[1]]) { c } }"), 4);
        assert_eq!(text_nesting(r#"{ a(s: "{{{[[[") }"#), 2);
        assert_eq!(text_nesting("{ a # {{{{{{\n }"), 1);
        assert_eq!(text_nesting(r#"{ a(s: """ {{{ \""" [[[ """) }"#), 2);
        assert_eq!(text_nesting(r#"{ a(s: "esc \" {{{{") }"#), 2);
        let deep = format!(
            "{{ articles(filter: {}{}) {{ id }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(text_nesting(&deep) > MAX_TEXT_NESTING);
        // Unbalanced or unterminated text is the parser's to report; here it just ends.
        assert_eq!(text_nesting("{ a(s: \"open"), 2);
        assert_eq!(text_nesting("}}}{"), 1);
    }

    #[test]
    fn a_fragment_bomb_is_counted_without_expanding_it() {
        let start = std::time::Instant::now();
        let refused = run(&bomb(30)).unwrap_err();
        assert!(matches!(refused, Refusal::TooComplex { .. }), "{refused:?}");
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
        // 64 levels would overflow a u64 count: it saturates instead.
        assert!(matches!(run(&bomb(70)), Err(Refusal::TooComplex { .. })));
    }

    #[test]
    fn ordinary_queries_with_fragments_pass() {
        run(
            "query { articles(first: 20) { edges { node { ...Card related { ...Card } } } } } \
             fragment Card on Article { slug title excerpt image { url credit } tags { slug } }",
        )
        .unwrap();
    }

    /// graphql-js `getIntrospectionQuery()`, as GraphiQL and codegen tools send it.
    const STANDARD_INTROSPECTION: &str = include_str!("../../tests/fixtures/introspection.graphql");

    #[test]
    fn the_standard_introspection_query_passes_and_introspection_bombs_do_not() {
        run(STANDARD_INTROSPECTION).unwrap();
        let bomb =
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        assert!(matches!(run(bomb), Err(Refusal::IntrospectionTooLarge(_))));
        let many: String = (0..4)
            .map(|i| format!("s{i}: __schema {{ types {{ name }} }} "))
            .collect();
        assert!(matches!(
            run(&format!("{{ {many} }}")),
            Err(Refusal::IntrospectionTooLarge(_))
        ));
        // One type's fields' types' fields is small, and allowed.
        run(r#"{ __type(name: "Article") { fields { type { fields { name } } } } }"#).unwrap();
    }

    #[test]
    fn data_depth_is_counted_through_fragments() {
        let deep = "{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }";
        assert!(matches!(
            run(deep),
            Err(Refusal::TooDeep { depth: 11, max: 10 })
        ));
        let split = "{ a { b { c { d { e { ...F } } } } } } fragment F on X { f { g { h { i { j { k } } } } } }";
        assert!(matches!(
            run(split),
            Err(Refusal::TooDeep { depth: 11, .. })
        ));
        run("{ a { b { c { d { e { f { g { h { i { j } } } } } } } } } }").unwrap();
    }

    #[test]
    fn cycles_are_refused_rather_than_followed() {
        let refused =
            run("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
        assert!(
            matches!(refused, Err(Refusal::FragmentCycle(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn aliases_of_one_field_are_bounded_through_fragments() {
        let many: String = (0..31)
            .map(|i| format!("a{i}: article(slug: \"x\") {{ id }} "))
            .collect();
        assert!(matches!(
            run(&format!("{{ {many} }}")),
            Err(Refusal::TooManyAliases { count: 31, .. })
        ));
        // Split over two fragments spread into one set: still one selection set.
        let half1: String = (0..16)
            .map(|i| format!("a{i}: article(slug: \"x\") {{ id }} "))
            .collect();
        let half2: String = (16..32)
            .map(|i| format!("a{i}: article(slug: \"x\") {{ id }} "))
            .collect();
        let q = format!(
            "{{ ...A ...B }} fragment A on Query {{ {half1} }} fragment B on Query {{ {half2} }}"
        );
        assert!(matches!(
            run(&q),
            Err(Refusal::TooManyAliases { count: 32, .. })
        ));
        // The same key twice is one field, as execution merges it.
        let same: String = (0..40)
            .map(|_| "article(slug: \"x\") { id } ".to_owned())
            .collect();
        run(&format!("{{ {same} }}")).unwrap();
    }

    #[test]
    fn mutations_are_bounded_per_request() {
        let fields: String = (0..51)
            .map(|i| format!("v{i}: recordView(slug: \"x\") "))
            .collect();
        // 51 fields of one name trip the alias bound first unless it is higher.
        let limits = Limits {
            max_aliases: 1000,
            ..LIMITS
        };
        let doc = async_graphql::parser::parse_query(format!("mutation {{ {fields} }}")).unwrap();
        assert!(matches!(
            check(&doc, &limits),
            Err(Refusal::TooManyMutations { count: 51, .. })
        ));
        let fields: String = (0..50)
            .map(|i| format!("v{i}: recordView(slug: \"x\") "))
            .collect();
        let doc = async_graphql::parser::parse_query(format!("mutation {{ {fields} }}")).unwrap();
        check(&doc, &limits).unwrap();
    }
}
