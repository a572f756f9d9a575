//! Full-text search, the one place where the dialects differ in kind: SQLite's FTS5 table
//! against PostgreSQL's `tsvector` column with its GIN index.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::schema::articles;
use super::{Backend, Dialect};

/// A search query reduced to plain words, so no input can reach either engine's query syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    /// Splits `q` into words (letters and digits); `None` when nothing searchable is left.
    pub fn parse(q: &str) -> Option<Self> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(16)
            .map(|w| w.to_lowercase())
            .collect();
        (!words.is_empty()).then_some(SearchTerms { words })
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// FTS5: every word must appear; each is quoted, so it is a literal token.
    fn fts5(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// PostgreSQL: the words joined for `plainto_tsquery`, which ANDs them and ignores syntax.
    fn plain(&self) -> String {
        self.words.join(" ")
    }
}

/// A predicate on `articles` that holds for the rows matching `terms`.
pub fn matches(
    dialect: Dialect,
    terms: &SearchTerms,
) -> Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>> {
    match dialect {
        // FTS5 gathers, whatever the list's `Plan`: asked row by row (a rowid constraint
        // beside MATCH) it re-reads each word's whole list for every row, which is quadratic.
        // Gathering 90,000 matches and keeping the page's top 20 takes ~20 ms.
        Dialect::Sqlite => Box::new(
            sql::<Bool>("articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ")
                .bind::<Text, _>(terms.fts5())
                .sql(")"),
        ),
        // PostgreSQL's planner chooses between the GIN index and the list's index itself.
        Dialect::Postgres => Box::new(
            sql::<Bool>("articles.search_vector @@ plainto_tsquery('english', ")
                .bind::<Text, _>(terms.plain())
                .sql(")"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_is_stripped_to_words() {
        let t = SearchTerms::parse("\"ceasefire\" OR NEAR(trump*) -- '; DROP").unwrap();
        assert_eq!(t.words(), ["ceasefire", "or", "near", "trump", "drop"]);
        assert_eq!(t.fts5(), "\"ceasefire\" \"or\" \"near\" \"trump\" \"drop\"");
    }

    #[test]
    fn punctuation_only_is_no_query() {
        assert!(SearchTerms::parse(" !!! -- ").is_none());
    }
}
