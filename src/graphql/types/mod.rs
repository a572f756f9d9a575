//! GraphQL object types over the service's shapes. Fields the list query did not fetch are
//! resolved through the request's loaders, in batches.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, SecondsFormat, Utc};

use super::errors::{found, IntoGql};
use super::loaders::Loaders;
use super::{page_params, request};
use crate::domain;
use crate::model;
use crate::service::articles::{self as articles_svc, ListArticles};
use crate::service::paging::Page;
use crate::service::prefetch::{self, ArticleNeeds, CommentPageArgs};

mod connections;
mod inputs;
mod objects;
mod revisions;
mod scalars;

pub use connections::*;
pub use inputs::*;
pub use objects::*;
pub use revisions::*;
pub use scalars::*;
