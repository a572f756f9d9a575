//! How the domain's closed sets (statuses, roles) are stored: as their text, read back through
//! `FromStr`, so a value the type does not know is an error (never a silent default).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{ArticleStatus, CommentStatus, DeliveryStatus, Role};

macro_rules! stored_as_text {
    ($($ty:ty),+) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse().map_err(|e: String| {
                    format!("stored {} {text:?}: {e}", stringify!($ty)).into()
                })
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )+};
}

stored_as_text!(ArticleStatus, CommentStatus, DeliveryStatus, Role);
