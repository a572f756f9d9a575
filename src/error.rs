//! One error type for every layer above `db`. It renders as RFC 9457 problem+json for REST and
//! carries the code GraphQL errors use (`extensions.code`).

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;

/// Messages per field, for 422 responses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// A field the request must have: `parse`d, or its message (or "is required" when it
    /// is absent) recorded against `field`.
    pub fn required<T>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match value {
            Some(v) => parse(v).map_err(|m| self.add(field, m)).ok(),
            None => {
                self.add(field, "is required");
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when no field failed, else the 422 error.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// A single-field error.
    pub fn one(field: &str, message: impl Into<String>) -> AppError {
        let mut e = FieldErrors::new();
        e.add(field, message);
        AppError::Validation(e)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    /// A GraphQL document over one of its bounds; `reason` names which (`QUERY_TOO_COMPLEX`...).
    #[error("{detail}")]
    TooComplex {
        reason: &'static str,
        detail: String,
    },
    /// The request body did not arrive in time.
    #[error("{0}")]
    RequestTimeout(String),
    /// The request ran past its deadline and was cancelled.
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A rate limit refused this (API.md "Abuse resistance"); try again after `retry_after`
    /// seconds.
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// What was asked for lives at `location` now (a retired slug): 301 on REST.
    #[error("this has moved to {location}")]
    Moved { location: String },
    #[error("internal error")]
    Internal(String),
}

/// The problem details document (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Messages per field, on validation failures (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    /// The code GraphQL clients see in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_)
            | AppError::BadRequest(_)
            | AppError::PayloadTooLarge(_)
            | AppError::UnsupportedMediaType(_)
            | AppError::MethodNotAllowed(_)
            | AppError::TooComplex { .. } => "BAD_USER_INPUT",
            AppError::RequestTimeout(_) => "REQUEST_TIMEOUT",
            AppError::Timeout(_) => "TIMEOUT",
            AppError::TooManyRequests(_) | AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unauthorized(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) | AppError::PreconditionFailed(_) => "CONFLICT",
            AppError::Unavailable(_) => "UNAVAILABLE",
            AppError::Moved { .. } => "MOVED",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation-failed",
            AppError::BadRequest(_) => "bad-request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not-found",
            AppError::MethodNotAllowed(_) => "method-not-allowed",
            AppError::Conflict(_) => "conflict",
            AppError::PreconditionFailed(_) => "precondition-failed",
            AppError::PayloadTooLarge(_) => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Unavailable(_) => "unavailable",
            AppError::TooComplex { .. } => "query-too-complex",
            AppError::RequestTimeout(_) => "request-timeout",
            AppError::Timeout(_) => "timeout",
            AppError::TooManyRequests(_) | AppError::RateLimited { .. } => "too-many-requests",
            AppError::Moved { .. } => "moved",
            AppError::Internal(_) => "internal",
        }
    }

    /// Seconds a client should wait before trying again, where waiting helps.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Unavailable(_) | AppError::Timeout(_) => Some(5),
            AppError::TooManyRequests(_) => Some(1),
            AppError::RateLimited { retry_after, .. } => Some((*retry_after).max(1)),
            _ => None,
        }
    }

    /// Whether the connection is closed after this answer: the rest of its body is not read
    /// (a body too slow or too large), or its client holds too many connections.
    fn closes_connection(&self) -> bool {
        matches!(
            self,
            AppError::RequestTimeout(_)
                | AppError::PayloadTooLarge(_)
                | AppError::TooManyRequests(_)
        )
    }

    /// An answer with this error's status and headers (`WWW-Authenticate`, `Retry-After`,
    /// `Connection: close`) around `body`: a problem document on REST, a GraphQL error on
    /// `/graphql`.
    pub fn respond(&self, content_type: &str, body: Vec<u8>) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, content_type));
        if matches!(self, AppError::Unauthorized(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after() {
            res.insert_header((header::RETRY_AFTER, secs));
        }
        if let AppError::Moved { location } = self {
            res.insert_header((header::LOCATION, location.as_str()));
            // A retired slug may be taken again, which ends its redirect: not for ever.
            res.insert_header((header::CACHE_CONTROL, "public, max-age=300"));
        }
        if self.closes_connection() {
            res.force_close();
        }
        res.body(body)
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            AppError::Validation(fields) => (
                "One or more fields are invalid; see `errors`.".to_owned(),
                Some(fields.fields().clone()),
            ),
            // Internal details go to the log, never to the client.
            AppError::Internal(_) => ("An unexpected error occurred.".to_owned(), None),
            other => (other.to_string(), None),
        };
        Problem {
            kind: format!("https://newsdesk.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) | AppError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooComplex { .. } => StatusCode::BAD_REQUEST,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyRequests(_) | AppError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Moved { .. } => StatusCode::MOVED_PERMANENTLY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        self.respond(
            "application/problem+json",
            serde_json::to_vec(&self.problem()).unwrap_or_default(),
        )
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::InvalidText(m) => {
                // Input validation should have refused it first: log which statement got it.
                tracing::warn!(cause = %m, "the database refused a text");
                AppError::BadRequest("the request holds text the database cannot store".into())
            }
            DbError::NotFound => AppError::NotFound("not found".into()),
            DbError::Conflict(m) => AppError::Conflict(format!("conflicting write: {m}")),
            DbError::Unavailable(m) => {
                tracing::warn!(cause = %m, "database unavailable");
                AppError::Unavailable("the database is not reachable; try again shortly".into())
            }
            DbError::Other(m) => AppError::Internal(m),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
