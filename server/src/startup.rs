//! Wiring: connect, migrate, build state, start projections, serve.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::adapters::store::{migrate, projections, EventStore, ProjectorHub};
use crate::backend::{bootstrap_admin, AppState, BootstrapAdmin};
use crate::http;
use crate::identity::SignInThrottle;
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("first-run setup failed: {0}")]
    Bootstrap(String),
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

pub async fn connect(url: &str, max: u32) -> Result<PgPool, StartupError> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(StartupError::Connect)
}

/// The state shared by every entry point, without HTTP: used by `serve`, the CLI and tests.
pub async fn build_state(pool: PgPool, settings: Settings) -> Result<Arc<AppState>, StartupError> {
    migrate(&pool).await?;
    let hub = ProjectorHub::new(pool.clone(), projections::all());
    Ok(Arc::new(AppState {
        store: Arc::new(EventStore::new(pool.clone())),
        pool,
        hub,
        settings,
        throttle: SignInThrottle::default(),
        facets_cache: tokio::sync::Mutex::new(None),
    }))
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub state: Arc<AppState>,
    pub bootstrap: Option<BootstrapAdmin>,
}

impl Application {
    /// Migrates, starts projections (caught up before serving), creates the first admin on an
    /// empty store, and binds the listener (`settings.addr`; port 0 picks a free port).
    pub async fn build(pool: PgPool, settings: Settings) -> Result<Self, StartupError> {
        let _ = http::metrics_handle();
        let state = build_state(pool, settings).await?;
        state.hub.spawn();
        let bootstrap = bootstrap_admin(&state).await.map_err(|e| StartupError::Bootstrap(e.to_string()))?;
        let addr = state.settings.addr;
        let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })?;
        let bound = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?;
        let router = http::router(state.clone(), http::leptos_options(bound));
        Ok(Self { listener, router, state, bootstrap })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(StartupError::Serve)
    }
}
