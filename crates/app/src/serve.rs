//! `serve`: the web server, with a worker in the same process unless told otherwise.

use std::net::SocketAddr;

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
        files: store::document::Files::new(ctx.config.data_dir.join("documents")),
    }
}

/// Runs the server until Ctrl-C or SIGTERM, then finishes the requests in flight.
///
/// # Errors
/// When the address cannot be bound or the server fails.
pub async fn serve(ctx: Context, options: ServeOptions) -> anyhow::Result<()> {
    if options.demo {
        crate::demo::seed_if_empty(&ctx).await?;
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
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("le serveur s’est arrêté sur une erreur")?;
    let _ = stop.send(true);
    if let Some(worker) = worker {
        worker.await.context("le travailleur s’est arrêté anormalement")??;
    }
    Ok(())
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
