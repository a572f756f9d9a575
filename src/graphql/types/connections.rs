//! List arguments, Relay connections, and the look-ahead that tells a list query what its items will need.

use super::*;

#[derive(InputObject, Default, Clone, Debug)]
pub struct ArticleFilter {
    /// Only articles with this tag (slug).
    pub tag: Option<String>,
    /// Only articles by this author (slug).
    pub author: Option<String>,
    /// Full-text search over titles and bodies; every word must match.
    pub search: Option<String>,
    pub status: Option<ArticleStatusFilter>,
    /// RFC 3339.
    pub published_after: Option<String>,
    /// RFC 3339.
    pub published_before: Option<String>,
}

/// `totalCount` on every connection.
#[derive(SimpleObject)]
pub struct Total {
    /// How many items the whole list holds.
    pub total_count: i64,
    /// `false` when counting stopped early (a tag or a search matching more than 10,000 articles):
    /// `totalCount` is then a lower bound.
    pub total_exact: bool,
}

pub type ArticleConnection = Connection<String, Article, Total>;
pub type TagConnection = Connection<String, Tag, Total>;
pub type CommentConnection = Connection<String, Comment, Total>;

/// A service page as a Relay connection.
pub fn connection<T, N: async_graphql::OutputType>(
    page: Page<T>,
    node: impl Fn(T) -> N,
) -> Connection<String, N, Total> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        Total {
            total_count: page.meta.total,
            total_exact: page.meta.total_exact,
        },
    );
    conn.edges = page
        .items
        .into_iter()
        .zip(page.cursors)
        .map(|(item, cursor)| Edge::new(cursor, node(item)))
        .collect();
    conn
}

/// Lists articles through the same service call as REST's `GET /articles`.
#[allow(clippy::too_many_arguments)]
pub async fn list_articles(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    filter: ArticleFilter,
    order_by: ArticleOrder,
) -> async_graphql::Result<ArticleConnection> {
    let r = request(ctx);
    let params = ListArticles {
        tag: filter.tag,
        author: filter.author,
        q: filter.search,
        sort: Some(order_by.as_str().into()),
        status: filter.status.map(|s| s.as_str().into()),
        published_after: filter.published_after,
        published_before: filter.published_before,
        paging: page_params(first, after, last, before)?,
    };
    let page = articles_svc::list(&r.state, &r.caller, &params)
        .await
        .gql()?;
    r.shown.list();
    let sel = ctx.look_ahead();
    let needs = needs_of(&sel.field("edges").field("node")).merge(needs_of(&sel.field("nodes")));
    prefetch_for(ctx, needs, &page.items).await?;
    Ok(connection(page, Article::summary))
}

/// Loads ahead what the selection shows of these articles, into the request's loaders.
pub async fn prefetch_for(
    ctx: &Context<'_>,
    needs: ArticleNeeds,
    items: &[model::ArticleSummary],
) -> async_graphql::Result<()> {
    let r = request(ctx);
    let loaded = prefetch::load(&r.state, needs, items, r.caller.is_editor())
        .await
        .gql()?;
    ctx.data_unchecked::<Loaders>().feed(loaded).await;
    Ok(())
}

pub(super) fn int_arg(f: &async_graphql::SelectionField<'_>, name: &str) -> Option<i64> {
    f.arguments().ok()?.into_iter().find_map(|(n, v)| match v {
        async_graphql::Value::Number(x) if n.as_str() == name => x.as_i64(),
        _ => None,
    })
}

pub(super) fn string_arg(f: &async_graphql::SelectionField<'_>, name: &str) -> Option<String> {
    f.arguments().ok()?.into_iter().find_map(|(n, v)| match v {
        async_graphql::Value::String(s) if n.as_str() == name => Some(s),
        _ => None,
    })
}

/// What a selection of `Article` fields needs beyond the summary, read from the query.
pub fn needs_of(sel: &async_graphql::Lookahead<'_>) -> ArticleNeeds {
    let mut needs = ArticleNeeds {
        body: sel.field("body").exists() || sel.field("bodyHtml").exists(),
        cards: ["author", "authors", "tags", "shareCounts"]
            .iter()
            .any(|f| sel.field(f).exists()),
        tag_details: {
            let t = sel.field("tags");
            t.field("description").exists() || t.field("articleCount").exists()
        },
        author_details: ["author", "authors"].iter().any(|f| {
            let a = sel.field(f);
            a.field("bio").exists() || a.field("avatarUrl").exists()
        }),
        ..Default::default()
    };
    for f in sel.field("related").selection_fields() {
        let limit = int_arg(&f, "limit").unwrap_or(5);
        let nested = needs_of(&async_graphql::Lookahead::from(f));
        needs = needs.merge(ArticleNeeds {
            related: vec![(limit, nested)],
            ..Default::default()
        });
    }
    for f in sel.field("comments").selection_fields() {
        let args = CommentPageArgs {
            first: int_arg(&f, "first"),
            after: string_arg(&f, "after"),
        };
        let conn = async_graphql::Lookahead::from(f);
        let mut depth = 0;
        for node in [conn.field("edges").field("node"), conn.field("nodes")] {
            let mut level = node.field("replies");
            let mut d = 0;
            while level.exists() {
                d += 1;
                level = level.field("replies");
            }
            depth = depth.max(d);
        }
        needs = needs.merge(ArticleNeeds {
            comments: vec![(args, depth)],
            ..Default::default()
        });
    }
    needs
}
