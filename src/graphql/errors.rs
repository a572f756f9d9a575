//! AppError → GraphQL error with `extensions.code` (and `extensions.fields` on bad input).

use async_graphql::{Error, ErrorExtensions};

use crate::error::AppError;

/// The GraphQL name of a field the service layer named after REST.
fn graphql_field(field: &str) -> String {
    match field {
        "per_page" => "first".into(),
        "cursor" => "after".into(),
        other => {
            // snake_case → camelCase, keeping dots (image.url).
            let mut out = String::with_capacity(other.len());
            let mut upper = false;
            for ch in other.chars() {
                if ch == '_' {
                    upper = true;
                } else if upper {
                    out.extend(ch.to_uppercase());
                    upper = false;
                } else {
                    out.push(ch);
                }
            }
            out
        }
    }
}

pub fn to_graphql(e: &AppError) -> Error {
    if let AppError::Internal(cause) = e {
        // The client sees a generic message; the cause goes to the log, as on REST.
        tracing::error!(%cause, "internal error");
    }
    let message = match e {
        AppError::Validation(fields) => {
            let parts: Vec<String> = fields
                .fields()
                .iter()
                .map(|(f, msgs)| format!("{} {}", graphql_field(f), msgs.join("; ")))
                .collect();
            format!("invalid input: {}", parts.join(", "))
        }
        other => other.problem().detail,
    };
    Error::new(message).extend_with(|_, ext| {
        ext.set("code", e.code());
        if let AppError::TooComplex { reason, .. } = e {
            ext.set("reason", *reason);
        }
        if let AppError::RateLimited { retry_after, .. } = e {
            ext.set("retryAfter", *retry_after);
        }
        if let AppError::Validation(fields) = e {
            let mut map = async_graphql::indexmap::IndexMap::new();
            for (f, msgs) in fields.fields() {
                let list: Vec<async_graphql::Value> = msgs
                    .iter()
                    .map(|m| async_graphql::Value::from(m.as_str()))
                    .collect();
                map.insert(
                    async_graphql::Name::new(graphql_field(f)),
                    async_graphql::Value::List(list),
                );
            }
            ext.set("fields", async_graphql::Value::Object(map));
        }
    })
}

/// `.gql()` turns a service result into a GraphQL result with the right code.
pub trait IntoGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGql<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(&e))
    }
}

impl<T> IntoGql<T> for Result<T, std::sync::Arc<AppError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(&e))
    }
}

/// A loader's answer for one key. Nothing found means the thing was deleted between finding it
/// and showing it: `NOT_FOUND`, with its code.
pub fn found<T>(
    loaded: Result<Option<T>, std::sync::Arc<AppError>>,
    what: &str,
) -> async_graphql::Result<T> {
    loaded.gql()?.ok_or_else(|| AppError::not_found(what)).gql()
}

/// A missing resource is `null` in GraphQL, not an error.
pub fn none_if_missing<T>(r: Result<T, AppError>) -> async_graphql::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(to_graphql(&e)),
    }
}

/// An error raised by the GraphQL layer itself (bad arguments).
pub fn bad_input(field: &str, message: &str) -> Error {
    to_graphql(&crate::error::FieldErrors::one(field, message))
}

/// An `ID` argument as this API's numeric id, else `BAD_USER_INPUT` naming `field`.
pub fn parse_id(field: &str, id: &async_graphql::ID) -> async_graphql::Result<i64> {
    id.parse::<i64>()
        .map_err(|_| bad_input(field, "is not an id of this API"))
}
