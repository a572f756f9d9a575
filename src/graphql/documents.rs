//! Parsed documents kept by their text. A page's query is the same text on every request, only
//! its variables change, and parsing it again each time was 6% of the cache-off GraphQL article
//! page's CPU (its query is 600 bytes; pest's parser allocates a node per token). Only documents
//! that passed the cost checks ([`super::guard`]) are kept, since those depend on the text and
//! the server's settings alone; a document that fails them is refused again each time.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;

/// Texts longer than this are parsed every time: a client's queries are short and few, and
/// a long unique text would only push them out.
const MAX_KEPT_TEXT: usize = 16 * 1024;
/// Bytes of query text kept, all documents together: a few hundred typical queries. A parsed
/// document takes several times its text in memory (a node, with its position, per token).
const KEPT_TEXT_BYTES: u64 = 256 * 1024;

#[derive(Clone)]
pub struct Documents {
    kept: moka::sync::Cache<String, Arc<ExecutableDocument>>,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            kept: moka::sync::Cache::builder()
                .max_capacity(KEPT_TEXT_BYTES)
                .weigher(|text: &String, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .build(),
        }
    }
}

impl Documents {
    /// The document of `text`, if it was parsed and admitted before.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.kept.get(text).map(|doc| (*doc).clone())
    }

    /// Keeps an admitted document for the next request with the same text.
    pub fn keep(&self, text: &str, doc: &ExecutableDocument) {
        if text.len() <= MAX_KEPT_TEXT {
            self.kept.insert(text.to_owned(), Arc::new(doc.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_document_is_found_by_its_text_and_a_long_text_is_not_kept() {
        let docs = Documents::default();
        let short = "{ articles { totalCount } }";
        let doc = async_graphql::parser::parse_query(short).expect("parses");
        docs.keep(short, &doc);
        assert!(docs.get(short).is_some());
        assert!(docs.get("{ tags { slug } }").is_none());

        let long = format!(
            "{{ articles {{ totalCount }} }}{}",
            " ".repeat(MAX_KEPT_TEXT)
        );
        let doc = async_graphql::parser::parse_query(&long).expect("parses");
        docs.keep(&long, &doc);
        assert!(docs.get(&long).is_none());
    }
}
