//! Feed documents: RSS 2.0 (rss), Atom 1.0 (atom_syndication) and JSON Feed 1.1 (serde).

use super::*;

/// This feed's own address, as the reader asked for it.
pub(super) fn self_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.uri())
}

pub(super) fn rfc2822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

pub(super) fn extension(
    name: &str,
    value: Option<String>,
    attrs: &[(&str, &str)],
) -> ::rss::extension::Extension {
    ::rss::extension::Extension {
        name: name.into(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        children: BTreeMap::new(),
    }
}

pub(super) fn render_rss(feed: &Feed, self_url: &str) -> AppResult<Vec<u8>> {
    let items: Vec<::rss::Item> = feed
        .items
        .iter()
        .map(|i| {
            let a = &i.article;
            let mut extensions: ::rss::extension::ExtensionMap = BTreeMap::new();
            if let Some(image) = &a.image {
                let mut media = extension(
                    "media:content",
                    None,
                    &[("url", &image.url), ("medium", "image")],
                );
                if let Some(credit) = &image.credit {
                    media.children.insert(
                        "credit".into(),
                        vec![extension("media:credit", Some(credit.clone()), &[])],
                    );
                }
                if let Some(text) = image.caption.as_ref().or(image.alt.as_ref()) {
                    media.children.insert(
                        "description".into(),
                        vec![extension("media:description", Some(text.clone()), &[])],
                    );
                }
                extensions
                    .entry("media".into())
                    .or_default()
                    .insert("content".into(), vec![media]);
            }
            ::rss::Item {
                title: Some(a.title.clone()),
                link: Some(i.url.clone()),
                description: Some(a.excerpt.clone()),
                guid: Some(::rss::Guid {
                    // The id never changes, whatever happens to the slug.
                    value: format!("{}/articles/{}", feed.site.url, a.id),
                    permalink: false,
                }),
                pub_date: a.published_at.map(rfc2822),
                categories: a
                    .tags
                    .iter()
                    .map(|t| ::rss::Category {
                        name: t.name.clone(),
                        domain: None,
                    })
                    .collect(),
                content: Some(i.body_html.clone()),
                dublin_core_ext: Some(::rss::extension::dublincore::DublinCoreExtension {
                    creators: a.authors.iter().map(|x| x.name.clone()).collect(),
                    ..Default::default()
                }),
                extensions,
                ..Default::default()
            }
        })
        .collect();
    let namespaces: BTreeMap<String, String> = [
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("media", "http://search.yahoo.com/mrss/"),
        ("atom", "http://www.w3.org/2005/Atom"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut atom_self: ::rss::extension::ExtensionMap = BTreeMap::new();
    atom_self.entry("atom".into()).or_default().insert(
        "link".into(),
        vec![extension(
            "atom:link",
            None,
            &[
                ("href", self_url),
                ("rel", "self"),
                ("type", "application/rss+xml"),
            ],
        )],
    );
    let channel = ::rss::Channel {
        title: feed.title.clone(),
        link: feed.home.clone(),
        description: feed.description.clone(),
        language: Some(feed.site.language.clone()),
        last_build_date: Some(rfc2822(feed.updated)),
        generator: Some(concat!("newsdesk ", env!("CARGO_PKG_VERSION")).into()),
        ttl: Some("5".into()),
        items,
        namespaces,
        extensions: atom_self,
        ..Default::default()
    };
    channel.write_to(Vec::new()).map_err(xml_error)
}

pub(super) fn render_atom(feed: &Feed, self_url: &str) -> AppResult<Vec<u8>> {
    use atom_syndication as atom;
    let link = |href: &str, rel: &str, mime: Option<&str>| atom::Link {
        href: href.into(),
        rel: rel.into(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    };
    let entries: Vec<atom::Entry> = feed
        .items
        .iter()
        .map(|i| {
            let a = &i.article;
            atom::Entry {
                title: a.title.clone().into(),
                id: format!("{}/articles/{}", feed.site.url, a.id),
                updated: a.updated_at.into(),
                published: a.published_at.map(Into::into),
                authors: a
                    .authors
                    .iter()
                    .map(|x| atom::Person {
                        name: x.name.clone(),
                        uri: Some(feed.site.author_url(&x.slug)),
                        ..Default::default()
                    })
                    .collect(),
                categories: a
                    .tags
                    .iter()
                    .map(|t| atom::Category {
                        term: t.slug.clone(),
                        label: Some(t.name.clone()),
                        ..Default::default()
                    })
                    .collect(),
                links: vec![link(&i.url, "alternate", Some("text/html"))],
                summary: Some(a.excerpt.clone().into()),
                content: Some(atom::Content {
                    value: Some(i.body_html.clone()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let out = atom::Feed {
        title: feed.title.clone().into(),
        id: feed.home.clone(),
        updated: feed.updated.into(),
        subtitle: (!feed.description.is_empty()).then(|| feed.description.clone().into()),
        links: vec![
            link(&feed.home, "alternate", Some("text/html")),
            link(self_url, "self", Some("application/atom+xml")),
        ],
        lang: Some(feed.site.language.clone()),
        generator: Some(atom::Generator {
            value: "newsdesk".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    out.write_to(Vec::new()).map_err(xml_error)
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
pub(super) struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
pub(super) struct JsonItem<'a> {
    id: String,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
pub(super) struct JsonAuthor {
    name: String,
    url: String,
}

pub(super) fn render_json<'a>(feed: &'a Feed, self_url: &'a str) -> JsonFeed<'a> {
    JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home,
        feed_url: self_url,
        description: &feed.description,
        language: &feed.site.language,
        items: feed
            .items
            .iter()
            .map(|i| {
                let a = &i.article;
                JsonItem {
                    id: format!("{}/articles/{}", feed.site.url, a.id),
                    url: &i.url,
                    title: &a.title,
                    content_html: &i.body_html,
                    summary: &a.excerpt,
                    image: a.image.as_ref().map(|im| im.url.as_str()),
                    date_published: a.published_at.map(|t| t.to_rfc3339()),
                    date_modified: a.updated_at.to_rfc3339(),
                    authors: a
                        .authors
                        .iter()
                        .map(|x| JsonAuthor {
                            name: x.name.clone(),
                            url: feed.site.author_url(&x.slug),
                        })
                        .collect(),
                    tags: a.tags.iter().map(|t| t.name.as_str()).collect(),
                }
            })
            .collect(),
    }
}
