//! The interactive API reference at `/api/docs`: Swagger UI over `/api/v1/openapi.json`, its
//! files embedded in the binary, so it works on a machine without internet access.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use utoipa_swagger_ui::Config;

use crate::conventions::Encodings;
use crate::error::AppError;

/// The Swagger UI configuration (one document, the one this server serves), and each
/// file's compressed forms, made once (the bundle is 1.4 MB of script).
pub struct DocsConfig {
    config: Arc<Config<'static>>,
    encodings: Mutex<HashMap<String, Arc<Encodings>>>,
}

impl Default for DocsConfig {
    fn default() -> Self {
        DocsConfig {
            config: Arc::new(
                Config::new(["/api/v1/openapi.json"])
                    // Swagger UI would otherwise send the document to validator.swagger.io
                    // for a badge: nothing leaves the machine (CI validates it instead).
                    .validator_url("none")
                    .try_it_out_enabled(true)
                    .persist_authorization(false),
            ),
            encodings: Mutex::default(),
        }
    }
}

/// What Swagger UI's page may load: its own files and the document, nothing from elsewhere
/// (its styles are partly inline, its icons data: URLs).
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /api/docs`: the reference lives under `/api/docs/` (its files are relative).
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

/// `GET /api/docs/{file}`: Swagger UI's page and files.
pub async fn file(
    path: web::Path<String>,
    config: web::Data<DocsConfig>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    match utoipa_swagger_ui::serve(&name, config.config.clone()) {
        Ok(Some(file)) => {
            let mut res = HttpResponse::Ok();
            let html = file.content_type.starts_with("text/html");
            res.content_type(file.content_type);
            // The page and its configuration follow this build; the assets never change
            // within one.
            res.insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
            if html {
                res.insert_header((header::CONTENT_SECURITY_POLICY, POLICY));
            }
            if file.gzpipped {
                res.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            let mut res = res.body(file.bytes.into_owned());
            // Only names of files that exist get here: the map stays as small as the set.
            let kept = config
                .encodings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(name)
                .or_default()
                .clone();
            res.extensions_mut().insert(kept);
            Ok(res)
        }
        Ok(None) => Err(AppError::NotFound(format!("no file /api/docs/{name}"))),
        Err(e) => Err(AppError::Internal(format!("the API reference failed: {e}"))),
    }
}
