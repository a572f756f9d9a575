//! Domain values that validate when parsed, so a value of these types is always well-formed.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The accepted spellings, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", Self::choices())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What an account may do: `author` writes its own articles, `editor` all content,
    /// `admin` also manages accounts.
    Role { Admin => "admin", Editor => "editor", Author => "author" }
);
string_enum!(ArticleStatus { Draft => "draft", Published => "published", Archived => "archived" });
string_enum!(CommentStatus {
    Pending => "pending",
    Approved => "approved",
    Spam => "spam",
    Rejected => "rejected",
});
string_enum!(
    /// Where a webhook delivery stands: `failed` after its last retry.
    DeliveryStatus { Pending => "pending", Delivered => "delivered", Failed => "failed" }
);
string_enum!(ShareNetwork {
    Whatsapp => "whatsapp",
    Facebook => "facebook",
    X => "x",
    Telegram => "telegram",
    Linkedin => "linkedin",
    Email => "email",
    Copy => "copy",
});

impl ArticleStatus {
    /// Whether an article is live at `now`: the one rule in Rust (`db::articles::live` is the
    /// same in SQL). Published with a publish time that has come; a later one is scheduled.
    pub fn is_live(self, published_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
        self == ArticleStatus::Published && published_at.is_some_and(|t| t <= now)
    }

    /// Published with a publish time still to come.
    pub fn is_scheduled(self, published_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
        self == ArticleStatus::Published && published_at.is_some_and(|t| t > now)
    }
}

impl Role {
    /// Editors and admins edit everything an editor may.
    pub fn is_editor(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }

    /// Whether this role may do everything `other` may.
    pub fn covers(self, other: Role) -> bool {
        let rank = |r: Role| match r {
            Role::Author => 1,
            Role::Editor => 2,
            Role::Admin => 3,
        };
        rank(self) >= rank(other)
    }
}

/// A URL-safe identifier: lowercase letters, digits and single hyphens, 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX: usize = 120;

    /// Whether `s` is a slug: a lookup by anything else can only miss, so it never needs to
    /// reach the database (which may refuse it: PostgreSQL refuses NUL).
    pub fn is_valid(s: &str) -> bool {
        Self::parse(s).is_ok()
    }

    pub fn parse(s: &str) -> Result<Slug, String> {
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if s.is_empty() || s.len() > Self::MAX {
            return Err(format!("must be 1 to {} characters", Self::MAX));
        }
        if !ok_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(
                "must be lowercase letters, digits and single hyphens, like \"city-council-vote\""
                    .into(),
            );
        }
        Ok(Slug(s.to_owned()))
    }

    /// A slug made from free text (a title, a name); `None` when nothing usable remains.
    pub fn derive(text: &str) -> Option<Slug> {
        let mut s = slug::slugify(text);
        if s.len() > Self::MAX {
            s.truncate(Self::MAX);
            s = s.trim_end_matches('-').to_owned();
        }
        Slug::parse(&s).ok()
    }

    /// This slug with a numeric suffix, still within the length limit.
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX - suffix.len());
        Slug(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An email address, trimmed and lowercased; a light shape check (one @, a dot in the domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, String> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Email(s))
        } else {
            Err("must be an email address like name@example.com".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An absolute http(s) URL, at most 2048 characters.
pub fn parse_http_url(s: &str) -> Result<String, String> {
    if s.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    check_chars(s)?;
    match url::Url::parse(s.trim()) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
            Ok(u.to_string())
        }
        _ => Err("must be an absolute http:// or https:// URL".into()),
    }
}

/// An RFC 3339 instant, stored as UTC to the second.
pub fn parse_instant(s: &str) -> Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc).naive_utc().trunc_subsecs(0))
        .map_err(|_| "must be an RFC 3339 timestamp like 2025-03-19T14:05:00Z".into())
}

/// The current instant, to the second (as every stored time is).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(0)
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// Whether a client's text may hold `c`: anything but the C0 control characters (NUL among
/// them), except tab, newline and carriage return. No field has a use for them, PostgreSQL
/// refuses NUL outright, and SQLite would store it: refusing them here keeps both alike.
fn allowed_char(c: char) -> bool {
    !c.is_ascii_control() || matches!(c, '\t' | '\n' | '\r') || c == '\u{7f}'
}

/// Refuses text holding a control character (see [`allowed_char`]).
pub fn check_chars(value: &str) -> Result<&str, String> {
    match value.chars().find(|c| !allowed_char(*c)) {
        None => Ok(value),
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            c as u32
        )),
    }
}

/// Checks that a required text is present, not blank, and at most `max` characters.
pub fn text_field(value: &str, max: usize) -> Result<String, String> {
    let t = check_chars(value)?.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else if t.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(t.to_owned())
    }
}

/// An optional text: blank becomes `None`.
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value.map(check_chars).transpose()?.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(format!("must be at most {max} characters")),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// `fields=slug,title,...`: the fields a response keeps (sparse fieldsets, as Ghost's
/// `fields` and WordPress's `_fields`). Every name must be one of `known`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSet(Vec<String>);

impl FieldSet {
    pub fn parse(raw: &str, known: &[&str]) -> Result<FieldSet, String> {
        let mut names: Vec<String> = Vec::new();
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !known.contains(&name) {
                let shown: String = name.chars().take(40).collect();
                return Err(format!(
                    "unknown field `{shown}`; choose from {}",
                    known.join(", ")
                ));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        if names.is_empty() {
            return Err("name at least one field".into());
        }
        Ok(FieldSet(names))
    }

    /// `value` (a JSON object) with only these fields; anything else passes unchanged.
    pub fn keep(&self, value: &mut serde_json::Value) {
        if let Some(map) = value.as_object_mut() {
            map.retain(|k, _| self.0.iter().any(|n| n == k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_sets_name_known_fields_only() {
        let known = ["slug", "title", "excerpt"];
        let set = FieldSet::parse("title, slug,title", &known).unwrap();
        let mut v = serde_json::json!({"slug": "a", "title": "A", "excerpt": "x"});
        set.keep(&mut v);
        assert_eq!(v, serde_json::json!({"slug": "a", "title": "A"}));
        assert!(FieldSet::parse("title,body", &known)
            .unwrap_err()
            .contains("`body`"));
        assert!(FieldSet::parse(" , ", &known).is_err());
    }

    #[test]
    fn slugs_accept_only_the_url_safe_form() {
        assert!(Slug::parse("city-council-2025").is_ok());
        for bad in [
            "",
            "Upper",
            "two--hyphens",
            "-lead",
            "trail-",
            "spa ce",
            "ümlaut",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn derived_slugs_fold_accents_and_punctuation() {
        let s = Slug::derive("Trump Calls Ceasefire Talks ‘On Track’ — Zelensky!").unwrap();
        assert_eq!(s.as_str(), "trump-calls-ceasefire-talks-on-track-zelensky");
        assert!(Slug::derive("!!!").is_none());
        let long = Slug::derive(&"word ".repeat(100)).unwrap();
        assert!(long.as_str().len() <= Slug::MAX);
        assert!(long.with_suffix(12).as_str().len() <= Slug::MAX);
    }

    #[test]
    fn emails_and_urls_are_checked() {
        assert_eq!(
            Email::parse(" Jane@Example.COM ").unwrap().as_str(),
            "jane@example.com"
        );
        assert!(Email::parse("jane@localhost").is_err());
        assert!(Email::parse("no-at-sign.com").is_err());
        assert!(parse_http_url("https://cdn.example.com/a.webp").is_ok());
        assert!(parse_http_url("javascript:alert(1)").is_err());
        assert!(parse_http_url("ftp://example.com/x").is_err());
    }

    #[test]
    fn control_characters_are_refused_in_every_text() {
        for bad in ["a\u{0}b", "\u{1b}[31m", "x\u{8}", "\u{0}"] {
            assert!(text_field(bad, 100).is_err(), "{bad:?}");
            assert!(optional_text(Some(bad), 100).is_err(), "{bad:?}");
            assert!(check_chars(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            text_field(" two\nlines\tand tab\r\n ", 100).unwrap(),
            "two\nlines\tand tab"
        );
        assert_eq!(
            text_field("émoji 🗞 and DEL\u{7f}", 100).unwrap(),
            "émoji 🗞 and DEL\u{7f}"
        );
        assert!(parse_http_url("https://e.com/a\u{0}b").is_err());
        assert!(Slug::parse("a\u{0}").is_err());
        assert!(Email::parse("a\u{0}@example.com").is_err());
    }

    #[test]
    fn instants_are_normalized_to_utc_seconds() {
        let t = parse_instant("2025-03-19T16:05:00.75+02:00").unwrap();
        assert_eq!(utc(t).to_rfc3339(), "2025-03-19T14:05:00+00:00");
        assert!(parse_instant("yesterday").is_err());
    }
}
