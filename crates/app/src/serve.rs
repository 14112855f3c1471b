//! `serve`: the web server, with a worker in the same process unless told otherwise.

use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::Context;
use crate::worker::Worker;

/// Options of `serve`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    /// Seed demonstration data into an empty database.
    pub demo: bool,
    /// Do not run a worker in this process.
    pub no_worker: bool,
}

/// The application state for `ctx`.
#[must_use]
pub fn app_state(ctx: &Context, demo: bool) -> web::AppState {
    web::AppState {
        db: ctx.db.clone(),
        clock: ctx.clock.clone(),
        config: std::sync::Arc::new(ctx.config.web(demo)),
        rules: ctx.rules.clone(),
        files: ctx.files.clone(),
    }
}

/// Runs the server until Ctrl-C or SIGTERM, then finishes the requests in flight.
///
/// # Errors
/// When the address cannot be bound or the server fails.
pub async fn serve(ctx: Context, options: ServeOptions) -> anyhow::Result<()> {
    if options.demo {
        // Under the start-up lock: two `serve --demo` started together would both find the
        // database empty and seed it twice.
        let exclusive = store::lock::acquire(&ctx.db, store::STARTUP_LOCK).await?;
        let seeded = crate::demo::seed_if_empty(&ctx).await;
        exclusive.release().await;
        seeded?;
    }
    let listener = tokio::net::TcpListener::bind(ctx.config.addr)
        .await
        .with_context(|| format!("impossible d’écouter sur {} (port déjà utilisé ?)", ctx.config.addr))?;
    let mail = match &ctx.config.smtp_url {
        Some(_) => "par SMTP".to_owned(),
        None => format!("en fichiers .eml dans {}", ctx.config.outbox_dir().display()),
    };
    announce(&format!(
        "Espace formation disponible sur {} (base : {}, e-mails {mail})\nArrêt : Ctrl-C",
        ctx.config.public_url(),
        ctx.config.database_label()
    ));
    serve_on(listener, ctx, options, shutdown_signal()).await?;
    announce("Arrêté proprement.");
    Ok(())
}

fn announce(text: &str) {
    println!("{text}");
}

/// Serves on `listener` until `shutdown` resolves, with the in-process worker unless disabled;
/// requests in flight and the current job finish before it returns.
///
/// # Errors
/// When the configuration cannot be used or the server fails.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    ctx: Context,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = web::router(app_state(&ctx, options.demo))?;
    let (stop, stopped) = watch::channel(false);
    let worker = if options.no_worker {
        None
    } else {
        let worker = Worker::new(ctx.clone())?;
        Some(tokio::spawn(async move { worker.run(stopped).await }))
    };
    let limits = Limits {
        header_read: Duration::from_secs(ctx.config.header_read_timeout_secs),
        grace: Duration::from_secs(ctx.config.shutdown_grace_secs),
    };
    let deadline = serve_http(listener, app, shutdown, limits).await;
    let _ = stop.send(true);
    if let Some(mut worker) = worker {
        // The job in hand finishes if it can within what is left of the grace period; if not,
        // its lease lapses and another worker takes it over (jobs are idempotent).
        match tokio::time::timeout_at(deadline, &mut worker).await {
            Ok(joined) => joined.context("le travailleur s’est arrêté anormalement")??,
            Err(_) => {
                worker.abort();
                tracing::warn!("shutdown deadline reached: the job in progress will be taken over after its lease");
            }
        }
    }
    Ok(())
}

/// How long a connection may take to send its request head, and how long requests in flight
/// get after a shutdown is requested.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read: Duration,
    grace: Duration,
}

/// Serves HTTP/1.1 on `listener` until `shutdown` resolves; then stops accepting, lets requests
/// in flight finish for up to `limits.grace` and drops what is left, so that a restart never
/// hangs on a slow or stalled client. A connection that has not sent a full request head within
/// `limits.header_read` is closed (axum's own `serve` sets no such timeout). Returns the
/// deadline by which the rest of the shutdown should be done.
async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> tokio::time::Instant {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt as _;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors, mostly: pause instead of spinning.
                    tracing::warn!(error = %err, "connection not accepted");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            request.map(axum::body::Body::new)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = watched.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + limits.grace;
    if tokio::time::timeout_at(deadline, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace_secs = limits.grace.as_secs(),
            "shutdown deadline reached: connections still open are closed"
        );
    }
    deadline
}

/// Resolves on Ctrl-C, or on SIGTERM under Unix (what service managers send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
