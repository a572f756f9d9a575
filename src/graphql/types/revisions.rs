//! One version of an article, as `Article.revisions` lists it.

use super::*;

pub struct Revision(pub model::Revision);

/// One version of an article: who made it, what it changed, and what it held.
#[Object]
impl Revision {
    /// The article's `version` this revision made.
    async fn version(&self) -> i32 {
        self.0.summary.version
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.summary.created_at)
    }
    /// Who made it; null when that account is gone.
    async fn editor(&self) -> Option<Author> {
        self.0.summary.editor.as_ref().map(Author::from_ref)
    }
    /// The fields this version changed (REST's names: `title`, `body`, `published_at`…).
    async fn changed(&self) -> &[String] {
        &self.0.summary.changed
    }
    async fn slug(&self) -> &str {
        &self.0.content.slug
    }
    async fn title(&self) -> &str {
        &self.0.content.title
    }
    async fn subtitle(&self) -> Option<&str> {
        self.0.content.subtitle.as_deref()
    }
    /// Markdown source.
    async fn body(&self) -> &str {
        &self.0.content.body
    }
    /// The editor's own excerpt; null: derived from the body.
    async fn excerpt(&self) -> Option<&str> {
        self.0.content.excerpt.as_deref()
    }
    async fn dateline(&self) -> Option<&str> {
        self.0.content.dateline.as_deref()
    }
    async fn image(&self) -> Option<Image> {
        self.0.content.image.as_ref().map(|i| Image {
            url: i.url.clone(),
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        })
    }
    async fn tags(&self) -> Vec<Tag> {
        self.0.content.tags.iter().map(Tag::from_ref).collect()
    }
    /// The byline, in order.
    async fn authors(&self) -> Vec<Author> {
        self.0
            .content
            .authors
            .iter()
            .map(Author::from_ref)
            .collect()
    }
    async fn status(&self) -> ArticleStatus {
        self.0.content.status.into()
    }
    async fn published_at(&self) -> Option<Timestamp> {
        self.0.content.published_at.map(Timestamp)
    }
}
