//! What one request or one client may cost the server: connections per client, a deadline for
//! the request body, a deadline for the whole request, and bounded body reads. Refusals are
//! ours in shape: problem+json on REST, a GraphQL error on `/graphql`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::config::Limits;
use crate::error::AppError;
use crate::graphql::Media;

/// The stream type of a request body that actix takes from a middleware.
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// Open connections, in all and per client address, shared by every worker.
#[derive(Clone, Default)]
pub struct ClientConnections {
    inner: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    per_client: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
    open: AtomicUsize,
    /// The most open at once since memory was last given back.
    peak: AtomicUsize,
}

/// One connection's place in the counts; given back when the connection closes (actix drops
/// a connection's data with it).
pub struct ConnectionSlot {
    owner: ClientConnections,
    /// The client's address, when connections are counted per client.
    ip: Option<IpAddr>,
    /// Opened while its client already held its share: every request on it is refused.
    over: bool,
}

impl ClientConnections {
    pub fn new(max_per_client: usize) -> Self {
        ClientConnections {
            inner: Arc::new(Counts {
                max_per_client,
                ..Counts::default()
            }),
        }
    }

    /// `HttpServer::on_connect`: counts the new connection, in all and against its client.
    pub fn on_connect(&self, io: &dyn std::any::Any, data: &mut Extensions) {
        let c = &self.inner;
        let open = c.open.fetch_add(1, Ordering::Relaxed) + 1;
        c.peak.fetch_max(open, Ordering::Relaxed);
        let ip = (c.max_per_client > 0)
            .then(|| io.downcast_ref::<actix_web::rt::net::TcpStream>())
            .flatten()
            .and_then(|s| s.peer_addr().ok())
            .map(|a| a.ip());
        let mut over = false;
        if let Some(ip) = ip {
            let mut per_client = c.per_client.lock().unwrap_or_else(|p| p.into_inner());
            let n = per_client.entry(ip).or_insert(0);
            *n += 1;
            over = *n > c.max_per_client;
        }
        data.insert(ConnectionSlot {
            owner: self.clone(),
            ip,
            over,
        });
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }

    /// After a wave of connections has gone (a flood, a burst of readers), gives the memory
    /// their buffers used back to the system: the allocator keeps freed memory for reuse,
    /// and without this the process would stay at its peak size for good. Returns whether
    /// it did. Called every few seconds.
    pub fn release_memory_after_a_wave(&self) -> bool {
        const WAVE: usize = 500;
        let (open, peak) = (self.open(), self.inner.peak.load(Ordering::Relaxed));
        if peak < open + WAVE {
            return false;
        }
        self.inner.peak.store(open, Ordering::Relaxed);
        trim_heap();
        true
    }
}

/// Bounds glibc's malloc to two arenas. By default it gives each thread that meets a locked
/// arena one of its own, up to eight per core, and each keeps what was freed in it for
/// reuse: the blocking pool's threads (SQLite's sorters and page caches, the related-list
/// ranking) left the server at 165-190 MB in the benchmark, against a goal of 100 MB. The
/// server's own Rust allocations go to jemalloc (`main.rs`); SQLite's C ones come here. Called
/// once, before the server starts any thread.
pub fn bound_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator, before other threads run.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the heap's free pages to the system (glibc keeps them otherwise).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let c = &self.owner.inner;
        c.open.fetch_sub(1, Ordering::Relaxed);
        if let Some(ip) = self.ip {
            let mut per_client = c.per_client.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = per_client.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    per_client.remove(&ip);
                }
            }
        }
    }
}

/// The error answered on `path`, in the shape its clients read (on `/graphql`, in the
/// media type they accept).
pub fn error_for(path: &str, media: Media, e: &AppError) -> HttpResponse {
    if path == "/graphql" {
        crate::graphql::error_http(e, media)
    } else {
        e.error_response()
    }
}

/// The middleware: refuses requests on a connection over its client's share (429, and the
/// connection is closed), puts a deadline on reading the body (408), and cancels a request
/// that runs past its own deadline (503).
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limits) = req.app_data::<web::Data<Limits>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if req.conn_data::<ConnectionSlot>().is_some_and(|s| s.over) {
        let e = AppError::TooManyRequests(
            "this client holds too many open connections; reuse one".into(),
        );
        let res = error_for(req.path(), Media::of(req.headers()), &e);
        return Ok(req.into_response(res));
    }
    // The body, and whether it was read to its end, for requests that have one.
    let mut body = None;
    if has_body(&req) {
        let read = Rc::new(Cell::new(false));
        let (_, payload) = req.parts_mut();
        let inner = Rc::new(RefCell::new(std::mem::replace(payload, Payload::None)));
        *payload = Payload::from(Box::pin(BodyDeadline {
            inner: inner.clone(),
            deadline: Box::pin(tokio::time::sleep(limits.body_timeout)),
            after: limits.body_timeout,
            expired: false,
            read: read.clone(),
        }) as BoxedPayloadStream);
        body = Some((read, inner));
    }
    // Kept for the answer if the handler is cancelled (a shared, not a copied, URI).
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let media = Media::of(req.headers());
    match tokio::time::timeout(limits.request_timeout, next.call(req)).await {
        Ok(Ok(mut res)) => {
            // A body the handler did not read to its end (a GET with a body, a refusal
            // before reading) would keep the connection open while actix drains it, for as
            // long as the client keeps sending, or stalls. actix closes the connection after
            // the answer instead when the body is still held then: the answer holds it.
            if let Some((_, unread)) = body.filter(|(read, _)| !read.get()) {
                res.response_mut()
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
                return Ok(res.map_body(|_, answer| {
                    BoxBody::new(Holding {
                        answer: answer.boxed(),
                        _unread: unread,
                    })
                }));
            }
            Ok(res.map_into_boxed_body())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let path = uri.path().to_owned();
            tracing::warn!(%method, %path, "request cancelled at its deadline");
            let error = AppError::Timeout(format!(
                "the request took longer than {} s and was cancelled; try again later",
                limits.request_timeout.as_secs_f64()
            ));
            // The request went with the cancelled handler: the answer is an error that
            // renders itself (and still passes through CORS and the request log).
            Err(Refused { path, media, error }.into())
        }
    }
}

/// A refusal that renders itself in the shape its path's clients read.
#[derive(Debug)]
struct Refused {
    path: String,
    media: Media,
    error: AppError,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = error_for(&self.path, self.media, &self.error);
        // It passes `conventions` as an error, so it sets what that would.
        let headers = res.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// An answer that holds its request's unread body until it is sent: actix decides whether
/// to close the connection when the answer ends, and closes it when the body is still held
/// (it drains a body dropped unread instead).
struct Holding {
    answer: BoxBody,
    _unread: Rc<RefCell<Payload>>,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.answer.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
}

/// A request body that must be complete by a deadline; past it, reading fails with a
/// `TimedOut` I/O error (a 408 to the client, and the connection is closed).
struct BodyDeadline {
    inner: Rc<RefCell<Payload>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    after: Duration,
    expired: bool,
    /// Set once the body has been read to its end.
    read: Rc<Cell<bool>>,
}

impl Stream for BodyDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut *self.inner.borrow_mut()).poll_next(cx);
        if let Poll::Ready(item) = polled {
            if item.is_none() {
                self.read.set(true);
            }
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired = true;
            let message = format!(
                "the request body did not arrive within {} s",
                self.after.as_secs_f64()
            );
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                message,
            )))));
        }
        Poll::Pending
    }
}

/// What a failed body read means to the client.
pub fn payload_error(e: &PayloadError) -> AppError {
    match e {
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            AppError::RequestTimeout(io.to_string())
        }
        PayloadError::Overflow => AppError::PayloadTooLarge("the body is too large".into()),
        other => AppError::BadRequest(format!("the body could not be read: {other}")),
    }
}

/// Reads a whole request body of at most `max` bytes (413 beyond, at once when
/// `Content-Length` says so), within the body deadline (408).
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
) -> Result<Bytes, AppError> {
    let too_large =
        || AppError::PayloadTooLarge(format!("the body is over the limit of {max} bytes"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(max));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| payload_error(&e))?;
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Raises the soft limit on open files to the hard one (where the OS allows), and returns the
/// limit in force: the connection cap must stay below it, or `accept` fails with "Too many
/// open files" and the server stops answering anyone.
pub fn raise_open_files_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open files limit");
            None
        }
    }
}

/// Connections per worker: the configured total split across the workers, kept below the open
/// files limit (less what the database pool, the listener and logs need).
pub fn connections_per_worker(limits: &Limits, workers: usize, open_files: Option<u64>) -> usize {
    const RESERVED_FILES: u64 = 256;
    let mut total = limits.max_connections as u64;
    if let Some(files) = open_files {
        total = total.min(files.saturating_sub(RESERVED_FILES).max(64));
    }
    usize::try_from(total).unwrap_or(usize::MAX) / workers.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_stays_below_the_open_files_limit() {
        let limits = Limits {
            max_connections: 10_000,
            ..Limits::default()
        };
        assert_eq!(connections_per_worker(&limits, 2, None), 5_000);
        assert_eq!(connections_per_worker(&limits, 2, Some(1024)), 384);
        assert_eq!(connections_per_worker(&limits, 4, Some(1_048_576)), 2_500);
    }

    #[test]
    fn memory_is_given_back_once_after_a_wave_of_connections() {
        let counts = ClientConnections::new(0);
        let mut wave: Vec<Extensions> = (0..600)
            .map(|_| {
                let mut data = Extensions::new();
                counts.on_connect(&(), &mut data);
                data
            })
            .collect();
        assert_eq!(counts.open(), 600);
        assert!(
            !counts.release_memory_after_a_wave(),
            "not while they are open"
        );
        wave.truncate(50);
        assert_eq!(counts.open(), 50);
        assert!(counts.release_memory_after_a_wave());
        assert!(!counts.release_memory_after_a_wave(), "once per wave");
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_fails_at_its_deadline() {
        // Half a body, then nothing more, ever.
        let stalled = futures_util::stream::iter([Ok(Bytes::from_static(b"{\"half"))])
            .chain(futures_util::stream::pending());
        let mut body = BodyDeadline {
            inner: Rc::new(RefCell::new(Payload::from(
                Box::pin(stalled) as BoxedPayloadStream
            ))),
            deadline: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
            after: Duration::from_millis(50),
            expired: false,
            read: Rc::default(),
        };
        assert_eq!(
            body.next().await.unwrap().unwrap(),
            Bytes::from_static(b"{\"half")
        );
        let started = std::time::Instant::now();
        let err = body.next().await.unwrap().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(matches!(payload_error(&err), AppError::RequestTimeout(_)));
        assert!(body.next().await.is_none());
    }
}
