//! HTTP: the router, sessions, the REST API, live updates and operational endpoints.

mod api;
mod auth;
mod error;
mod live;
mod monitoring_api;
mod ops;
mod ops_api;

use std::net::SocketAddr;
use std::sync::Arc;

use app::monitoring::ssr::SharedMonitoring;
use app::ssr::SharedBackend;
use app::{shell, App};
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::limit::RequestBodyLimitLayer;

pub use error::ApiError;
pub use ops::metrics_handle;

use crate::backend::AppState;

/// What every handler can reach.
#[derive(Clone)]
pub struct HttpState {
    pub app: Arc<AppState>,
    pub leptos: LeptosOptions,
}

impl FromRef<HttpState> for LeptosOptions {
    fn from_ref(s: &HttpState) -> Self {
        s.leptos.clone()
    }
}

impl FromRef<HttpState> for Arc<AppState> {
    fn from_ref(s: &HttpState) -> Self {
        s.app.clone()
    }
}

#[must_use]
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    LeptosOptions::builder()
        .output_name("netledger")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build()
}

/// Request bodies above this are refused (CSV imports of 20,000 rows fit).
const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router(state: Arc<AppState>, leptos: LeptosOptions) -> Router {
    let backend: SharedBackend = state.clone();
    let monitoring: SharedMonitoring = state.clone();
    let http = HttpState { app: state.clone(), leptos: leptos.clone() };
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/auth/login", post(auth::login_form))
        .route("/auth/logout", post(auth::logout_form))
        .route("/api/v1/session", post(auth::api_sign_in).delete(auth::api_sign_out).get(auth::api_me))
        .route("/api/v1/live", get(live::stream))
        .merge(api::routes())
        .merge(ops_api::routes())
        .merge(monitoring_api::routes())
        .leptos_routes_with_context(
            &http,
            routes,
            move || {
                provide_context(backend.clone());
                provide_context(monitoring.clone());
            },
            {
                let o = leptos.clone();
                move || shell(o.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<HttpState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state, auth::session_layer))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(axum::middleware::from_fn(ops::security_headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .with_state(http)
}
