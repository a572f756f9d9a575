//! Markdown to safe HTML, plain-text excerpts and reading time.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, Event, Options, Parser, TagEnd};

const EXCERPT_CHARS: usize = 200;
const WORDS_PER_MINUTE: usize = 230;

fn parser(markdown: &str) -> Parser<'_> {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_FOOTNOTES);
    Parser::new_ext(markdown, opts)
}

/// Article bodies: Markdown rendered, then sanitized (scripts, handlers and unsafe URLs go;
/// links get `rel="noopener noreferrer"`).
pub fn render_article(markdown: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser(markdown));
    CLEANER
        .get_or_init(|| {
            let mut b = ammonia::Builder::default();
            b.add_tags(["figure", "figcaption"]);
            b
        })
        .clean(&raw)
        .to_string()
}

/// Comments: a small set of inline tags, no images, links marked as user content.
pub fn render_comment(markdown: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let mut raw = String::new();
    html::push_html(&mut raw, parser(markdown));
    CLEANER
        .get_or_init(|| {
            let tags: HashSet<&str> = [
                "p",
                "br",
                "em",
                "strong",
                "code",
                "pre",
                "blockquote",
                "ul",
                "ol",
                "li",
                "a",
                "del",
            ]
            .into_iter()
            .collect();
            let mut b = ammonia::Builder::default();
            b.tags(tags).link_rel(Some("nofollow ugc noopener"));
            b
        })
        .clean(&raw)
        .to_string()
}

/// The visible text of a Markdown document, whitespace folded.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // Text inside raw <script> or <style> is code, never prose.
    let mut in_code_block = false;
    for event in parser(markdown) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                let h = h.to_ascii_lowercase();
                if h.contains("<script") || h.contains("<style") {
                    in_code_block = true;
                }
                if h.contains("</script") || h.contains("</style") {
                    in_code_block = false;
                }
            }
            _ if in_code_block => {}
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first ~200 characters of the text, cut at a word, with an ellipsis when cut.
pub fn excerpt(markdown: &str) -> String {
    let text = plain_text(markdown);
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > EXCERPT_CHARS / 2 => &cut[..i],
        _ => &cut,
    };
    format!(
        "{}…",
        at_word.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
    )
}

/// Minutes to read the text at 230 words a minute; at least 1.
pub fn reading_time_minutes(markdown: &str) -> i32 {
    let words = plain_text(markdown).split_whitespace().count();
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_survive() {
        let html = render_article(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("Hello"));
    }

    #[test]
    fn markdown_is_rendered() {
        let html = render_article("# Title\n\nSome **bold** text.");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<strong>bold</strong>"));
    }

    #[test]
    fn comments_lose_images_and_links_are_marked() {
        let html = render_comment("![x](http://e.com/a.png) [site](https://e.com)");
        assert!(!html.contains("<img"));
        assert!(html.contains("nofollow"));
    }

    #[test]
    fn excerpts_cut_at_a_word_and_reading_time_rounds_up() {
        let body = "word ".repeat(500);
        let e = excerpt(&body);
        assert!(e.ends_with('…'));
        assert!(e.chars().count() <= 201);
        assert_eq!(reading_time_minutes(&body), 3);
        assert_eq!(excerpt("Short *text*."), "Short text.");
        assert_eq!(reading_time_minutes(""), 1);
        assert_eq!(
            excerpt("Vote <script>alert(1)</script> today."),
            "Vote today."
        );
    }
}
