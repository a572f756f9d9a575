//! Scalars and enums: the DateTime scalar and the enums that mirror the domain's.

use super::*;

/// An RFC 3339 instant in UTC, as REST writes it (`2025-03-19T14:05:00Z`).
pub struct Timestamp(pub DateTime<Utc>);

#[async_graphql::Scalar(name = "DateTime")]
impl async_graphql::ScalarType for Timestamp {
    fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            async_graphql::Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Timestamp(t.with_timezone(&Utc)))
                .map_err(|_| async_graphql::InputValueError::custom("not an RFC 3339 instant")),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        async_graphql::Value::String(self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($variant),+ }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => <$domain>::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    /// `PUBLISHED` with a future `publishedAt` is scheduled.
    ArticleStatus => domain::ArticleStatus { Draft, Published, Archived }
);
mirror_enum!(
    CommentStatus => domain::CommentStatus { Pending, Approved, Spam, Rejected }
);
mirror_enum!(
    ShareNetwork => domain::ShareNetwork { Whatsapp, Facebook, X, Telegram, Linkedin, Email, Copy }
);
mirror_enum!(
    Role => domain::Role { Admin, Editor, Author }
);

/// Which articles a list shows; all but `PUBLISHED` are for editors (authors see their own).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ArticleStatusFilter {
    Published,
    Draft,
    Archived,
    Scheduled,
    Any,
}

impl ArticleStatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatusFilter::Published => "published",
            ArticleStatusFilter::Draft => "draft",
            ArticleStatusFilter::Archived => "archived",
            ArticleStatusFilter::Scheduled => "scheduled",
            ArticleStatusFilter::Any => "any",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ArticleOrder {
    /// Newest first.
    #[default]
    Latest,
    Oldest,
    /// Most viewed first.
    Popular,
}

impl ArticleOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleOrder::Latest => "latest",
            ArticleOrder::Oldest => "oldest",
            ArticleOrder::Popular => "popular",
        }
    }
}
