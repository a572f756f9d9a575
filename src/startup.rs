//! Building and running the HTTP server. `Application::build` binds first (port 0 works), so
//! tests learn the port before serving.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::{http::header, web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::graphql;
use crate::rest::{self, health::OpenApiJson, RouteTable};
use std::time::Duration;

/// How often computed related lists are stored (see `service::articles::ready`).
const KEEP_RELATED_EVERY: Duration = Duration::from_millis(250);
/// How often the summaries a write left to the background are rendered (and, at start,
/// those of rows from before summaries were kept).
const RENDER_SUMMARIES_EVERY: Duration = Duration::from_secs(1);
/// How often the heads searches asked for are built (see `service::articles::heads`).
const KEEP_HEADS_EVERY: Duration = Duration::from_millis(250);

use crate::service::{articles, changes, counters, schedule, AppState};

/// How often a node reads the change feed from the others (well within the second the
/// contract allows for another node's write to show) and looks at the publishing schedule.
const CHANGE_POLL: Duration = Duration::from_millis(100);

/// How often the server looks whether a wave of connections has gone (see
/// [`crate::limits::ClientConnections::release_memory_after_a_wave`]).
const MEMORY_CHECK: Duration = Duration::from_secs(2);

/// Every how many memory checks the rate limiters drop keys back at their fresh state (a
/// minute).
const LIMITER_EVICT_TICKS: u64 = 30;

pub struct Application {
    port: u16,
    address: std::net::SocketAddr,
    server: Server,
    state: AppState,
    /// The change feed, listening before the first request is served.
    listener: Option<crate::db::changes::Listener>,
    /// Open connections, counted.
    connections: crate::limits::ClientConnections,
}

/// Binds the listen address (port 0 picks a free one).
pub fn listen(bind: &str) -> Result<TcpListener, String> {
    TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))
}

impl Application {
    /// Binds the listen address and prepares the server over `state`.
    pub fn build(state: AppState) -> Result<Self, String> {
        let listener = listen(&state.settings.bind)?;
        Self::build_on(state, listener)
    }

    /// Prepares the server over `state` on a bound listener.
    pub fn build_on(state: AppState, listener: TcpListener) -> Result<Self, String> {
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let bind = address.to_string();
        let port = address.port();
        let api = rest::openapi();
        let doc = web::Data::new(OpenApiJson(
            serde_json::to_string(&api).map_err(|e| e.to_string())?,
        ));
        let table = web::Data::new(RouteTable::from_openapi(&api));
        let docs = web::Data::new(rest::docs::DocsConfig::default());
        let schema = web::Data::new(graphql::build_schema(&state.settings));
        let documents = web::Data::new(graphql::Documents::default());
        let max_body = state.settings.max_body_bytes;
        let limits = state.settings.limits.clone();
        let workers = state
            .settings
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let open_files = crate::limits::raise_open_files_limit();
        let per_worker = crate::limits::connections_per_worker(&limits, workers, open_files);
        let clients = crate::limits::ClientConnections::new(limits.max_connections_per_client);
        let connections = clients.clone();
        let app_limits = web::Data::new(limits.clone());
        let app_state = state.clone();
        let state = web::Data::new(state);
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .wrap(actix_web::middleware::from_fn(crate::limits::protect))
                .wrap(rest::error_handlers())
                .wrap(
                    // `*` for every origin (no credentials are ever sent by cookie), so
                    // answers do not vary by Origin.
                    Cors::default()
                        .allow_any_origin()
                        .send_wildcard()
                        .disable_vary_header()
                        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
                        .allowed_headers([
                            header::AUTHORIZATION,
                            header::CONTENT_TYPE,
                            header::IF_MATCH,
                            header::IF_NONE_MATCH,
                        ])
                        .expose_headers([
                            header::ETAG,
                            header::LINK,
                            header::LOCATION,
                            header::HeaderName::from_static("x-total-count"),
                        ])
                        .max_age(3600),
                )
                .wrap(actix_web::middleware::from_fn(crate::conventions::apply))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(app_limits.clone())
                .app_data(doc.clone())
                .app_data(table.clone())
                .app_data(rest::json_config(max_body))
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(rest::query_config())
                .app_data(rest::path_config())
                .app_data(schema.clone())
                .app_data(documents.clone())
                .app_data(docs.clone())
                .service(web::resource("/api/docs").route(web::get().to(rest::docs::redirect)))
                .service(
                    web::resource("/api/docs/{file:.*}").route(web::get().to(rest::docs::file)),
                )
                .service(
                    web::resource("/graphql")
                        .route(web::post().to(graphql::post))
                        .route(web::get().to(graphql::get)),
                )
                .into_utoipa_app()
                .configure(rest::routes)
                .default_service(web::to(rest::fallback))
                .split_for_parts();
            app
        })
        .workers(workers)
        // Bounds on what connections may hold: a head that never ends is cut off (408), an
        // idle keep-alive connection closed, and the connections open at once capped below
        // the open files limit (past it the kernel keeps new ones waiting in the backlog).
        .client_request_timeout(limits.header_timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        .keep_alive(limits.keep_alive)
        .max_connections(per_worker)
        .backlog(2048)
        .on_connect(move |io, data| clients.on_connect(io, data))
        // SIGTERM and SIGINT are handled in `run_until_stopped`, with a deadline.
        .disable_signals()
        .shutdown_timeout(limits.shutdown_grace.as_secs().max(1))
        .listen(listener)
        .map_err(|e| format!("cannot serve on {bind}: {e}"))?;
        // Listening starts before serving, so nothing cached can miss an announcement.
        let listener = crate::db::changes::Listener::open(&app_state.settings.database_url)
            .map_err(|e| format!("cannot listen for other nodes' changes: {e}"))?;
        Ok(Application {
            port,
            address,
            server: server.run(),
            state: app_state,
            listener,
            connections,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address served (with the port chosen when the bind said 0).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// Serves until SIGINT/SIGTERM (or the handle stops it), finishing requests in flight
    /// for at most the grace period; counted views and shares are written every
    /// `counter_flush_ms` and once more at the end.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let grace = state.settings.limits.shutdown_grace;
        let every = Duration::from_millis(state.settings.counter_flush_ms);
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut keep_related = tokio::time::interval(KEEP_RELATED_EVERY);
            keep_related.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = counters::flush(&state).await {
                            tracing::warn!(error = %e, "counters not written yet; retrying");
                        }
                    }
                    _ = keep_related.tick() => {
                        if let Err(e) = articles::store_ready(&state).await {
                            tracing::warn!(error = %e, "computed related lists not kept; they will be computed again");
                        }
                    }
                    _ = &mut stopped => break,
                }
            }
            // The last counts, after the last request.
            if let Err(e) = counters::flush(&state).await {
                tracing::error!(error = %e, "counters could not be written at shutdown");
            }
        });
        // Its own task: a backlog (rows from before summaries were kept) takes a while, and
        // the counters' flush does not wait for it.
        let renderer = in_rounds(
            RENDER_SUMMARIES_EVERY,
            self.state.clone(),
            "summaries not rendered yet; lists build them meanwhile",
            |state| async move { articles::render_backlog(&state).await },
        );
        // Its own task too: building a common word's head reads many rows.
        let header = in_rounds(
            KEEP_HEADS_EVERY,
            self.state.clone(),
            "search heads not kept; searches read the index meanwhile",
            |state| async move { articles::keep_heads(&state).await },
        );
        let connections = self.connections.clone();
        let abuse = self.state.abuse.clone();
        let memory = tokio::spawn(async move {
            let mut tick = tokio::time::interval(MEMORY_CHECK);
            for n in 0u64.. {
                tick.tick().await;
                if n % LIMITER_EVICT_TICKS == LIMITER_EVICT_TICKS - 1 {
                    abuse.evict();
                }
                if connections.release_memory_after_a_wave() {
                    tracing::debug!(
                        open = connections.open(),
                        "memory given back after a wave of connections"
                    );
                }
            }
        });
        let (stop_sending, stopped_sending) = tokio::sync::oneshot::channel::<()>();
        let webhooks = tokio::spawn(crate::service::webhooks::deliver::run(
            self.state.clone(),
            stopped_sending,
        ));
        let (stop_watching, stopped_watching) = tokio::sync::oneshot::channel::<()>();
        let watcher = tokio::spawn(watch(self.state.clone(), self.listener, stopped_watching));
        let handle = self.server.handle();
        let mut server = self.server;
        let served = tokio::select! {
            served = &mut server => served,
            () = stop_signal() => {
                tracing::info!(grace_secs = grace.as_secs_f64(), "stopping: finishing requests in flight");
                tokio::spawn(handle.stop(true));
                // actix cuts connections off at the grace period, but waits for every worker
                // to say it stopped; this deadline holds even if one never does.
                match tokio::time::timeout(grace + Duration::from_secs(1), &mut server).await {
                    Ok(served) => served,
                    Err(_) => {
                        tracing::warn!("requests still running after the grace period were cut off");
                        Ok(())
                    }
                }
            }
        };
        memory.abort();
        renderer.abort();
        header.abort();
        let _ = stop.send(());
        let _ = stop_watching.send(());
        let _ = stop_sending.send(());
        let _ = flusher.await;
        let _ = webhooks.await;
        let _ = watcher.await;
        served
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// Resolves at the first SIGTERM or SIGINT (never, if the signals cannot be watched).
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot watch for SIGTERM/SIGINT");
            std::future::pending::<()>().await
        }
    }
}

/// One look at the change feed.
enum Feed {
    /// SQLite: nobody else to hear.
    None,
    /// Newly connected: announcements may have been missed while not listening.
    Connected(crate::db::changes::Listener),
    Received(crate::db::changes::Listener, Vec<String>),
    Lost(crate::db::DbError),
}

fn look(url: &str, listener: Option<crate::db::changes::Listener>) -> Feed {
    use crate::db::changes::Listener;
    match listener {
        None => match Listener::open(url) {
            Ok(Some(l)) => Feed::Connected(l),
            Ok(None) => Feed::None,
            Err(e) => Feed::Lost(e),
        },
        Some(mut l) => match l.received() {
            Ok(got) => Feed::Received(l, got),
            Err(e) => Feed::Lost(e),
        },
    }
}
/// A background task doing one round of `work` every `period` (a round that overruns delays
/// the next), warning with `failed` when a round fails: the next round tries again.
fn in_rounds<F, Fut>(
    period: Duration,
    state: AppState,
    failed: &'static str,
    work: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = crate::error::AppResult<usize>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = work(state.clone()).await {
                tracing::warn!(error = %e, "{failed}");
            }
        }
    })
}

/// Until `stopped`: applies the other nodes' announcements to this node's cache (PostgreSQL),
/// and drops cached responses when a scheduled article goes live.
async fn watch(
    state: AppState,
    mut listener: Option<crate::db::changes::Listener>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut feed = listener.is_some();
    // Warn once per outage, not at every retry.
    let mut lost = false;
    let mut tick = tokio::time::interval(CHANGE_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stopped => return,
        }
        // Without the feed's connection the database is likely out of reach: the schedule
        // waits for it rather than queue for a connection.
        let mut reachable = true;
        if feed {
            let url = state.settings.database_url.clone();
            let current = listener.take();
            match tokio::task::spawn_blocking(move || look(&url, current)).await {
                Ok(Feed::None) => feed = false,
                Ok(Feed::Connected(l)) => {
                    // Listening again: what was missed while not listening is unknown.
                    changes::missed(&state);
                    listener = Some(l);
                    if std::mem::take(&mut lost) {
                        tracing::info!("change feed restored");
                    }
                }
                Ok(Feed::Received(l, got)) => {
                    changes::apply(&state, &got).await;
                    listener = Some(l);
                }
                Ok(Feed::Lost(e)) => {
                    reachable = false;
                    if !std::mem::replace(&mut lost, true) {
                        tracing::warn!(error = %e, "change feed lost; reconnecting");
                    }
                    changes::missed(&state);
                }
                Err(e) => tracing::error!(error = %e, "change feed poll failed"),
            }
        }
        if !reachable {
            continue;
        }
        if let Err(e) = schedule::tick(&state).await {
            tracing::warn!(error = %e, "could not read the publishing schedule; retrying");
        }
    }
}

use utoipa_actix_web::AppExt;
