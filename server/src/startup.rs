//! Wiring: connect, migrate, build state, start projections, serve.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::adapters::ssh::{SshConfig, SshTransport};
use crate::adapters::store::{migrate, projections, EventStore, ProjectorHub};
use crate::backend::{bootstrap_admin, AppState, BootstrapAdmin, EventHostKeys};
use crate::http;
use crate::identity::SignInThrottle;
use crate::lab::{Lab, Topology};
use crate::monitoring::{MonitorConfig, MonitorEngine};
use crate::operations::{Engine, EngineConfig};
use crate::settings::{LabMode, Settings};
use crate::vault::{load_master_key, Vault};

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
    #[error("vault: {0}")]
    Vault(#[from] crate::vault::VaultError),
    #[error("device lab: {0}")]
    Lab(String),
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
    let store = Arc::new(EventStore::new(pool.clone()));
    let vault = Vault::new(pool.clone(), &load_master_key(&settings.data_dir)?)?;
    let host_keys = Arc::new(EventHostKeys { pool: pool.clone(), store: store.clone() });
    let ssh = SshConfig {
        connect_timeout: Duration::from_millis(settings.ssh_connect_timeout_ms),
        command_timeout: Duration::from_millis(settings.ssh_command_timeout_ms),
        max_sessions: settings.ssh_max_sessions,
        ..SshConfig::default()
    };
    let transport = SshTransport::new(ssh, host_keys);
    let monitor = MonitorEngine::new(
        store.clone(),
        pool.clone(),
        vault.clone(),
        transport.clone(),
        MonitorConfig::from_settings(&settings),
    );
    let engine = Engine::new(store.clone(), pool.clone(), vault.clone(), transport, EngineConfig::default());
    Ok(Arc::new(AppState {
        store,
        pool,
        hub,
        settings,
        throttle: SignInThrottle::default(),
        facets_cache: tokio::sync::Mutex::new(None),
        vault,
        engine,
        monitor,
        lab: std::sync::OnceLock::new(),
    }))
}

/// Starts the configured lab in-process and registers its devices in the inventory.
async fn start_lab(state: &Arc<AppState>) -> Result<(), StartupError> {
    let topology = match &state.settings.lab {
        LabMode::Off => return Ok(()),
        LabMode::Builtin => Topology::builtin(),
        LabMode::Scaled(n) => Topology::scaled(*n),
        LabMode::File(path) => Topology::from_file(path).map_err(|e| StartupError::Lab(e.to_string()))?,
    };
    let topology = match state.settings.lab_bind {
        Some(bind) => topology.with_bind(*bind.ip(), bind.port()),
        None => topology,
    };
    let lab = Lab::start(topology).await.map_err(|e| StartupError::Lab(e.to_string()))?;
    let n = crate::backend::lab::register(state, &lab).await.map_err(StartupError::Lab)?;
    tracing::info!(devices = n, "device lab running and registered in the inventory");
    let _ = state.lab.set(lab);
    Ok(())
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
        start_lab(&state).await?;
        match state.engine.resume().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(operations = n, "resumed unfinished operations"),
            Err(e) => tracing::warn!(error = %e, "cannot resume unfinished operations"),
        }
        match state.monitor.resume().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resumed monitoring jobs"),
            Err(e) => tracing::warn!(error = %e, "cannot resume monitoring jobs"),
        }
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
