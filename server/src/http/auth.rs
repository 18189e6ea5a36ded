//! Sessions: the cookie, the middleware that resolves it, sign-in/out forms and API, and
//! the cross-site request check.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::error::AppError;
use app::model::CurrentUser;
use app::ssr::ClientIp;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use domain::metadata::Source;
use serde::Deserialize;

use super::ApiError;
use crate::backend::{resolve_session, sign_in, sign_out, AppState};

pub const COOKIE_NAME: &str = "nl_session";

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let max_age = state.settings.session_hours * 3600;
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("nl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

fn peer_ip(req_ext: &axum::http::Extensions) -> Option<IpAddr> {
    req_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// A state-changing request from a browser must come from our own origin. SameSite=Strict
/// already keeps the cookie off cross-site requests; this is the second lock.
fn cross_site(req: &Request) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let Some(origin) = req.headers().get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        // Non-browser clients (scripts, curl) send no Origin.
        return false;
    };
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    origin == "null" || origin_host != host
}

/// Pages (not APIs or assets) need a signed-in user; everything else decides for itself.
/// A last segment with a dot is a static file (`/favicon.svg`); page paths never have one.
fn is_page(path: &str) -> bool {
    let is_file = path.rsplit('/').next().is_some_and(|last| last.contains('.'));
    !(is_file
        || path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path.starts_with("/auth/")
        || path == "/login"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics")
}

pub async fn session_layer(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if cross_site(&req) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let ip = peer_ip(req.extensions());
    req.extensions_mut().insert(ClientIp(ip.map(|i| i.to_string())));
    let user = match session_token(req.headers()) {
        Some(token) => match resolve_session(&state, &token).await {
            Ok(u) => u,
            Err(e) => return ApiError(e).into_response(),
        },
        None => None,
    };
    let path = req.uri().path().to_owned();
    let is_get = req.method() == Method::GET;
    match user {
        Some(user) => {
            if is_get && is_page(&path) && user.must_change_password && path != "/account/password" {
                return Redirect::to("/account/password").into_response();
            }
            req.extensions_mut().insert(user);
        }
        None if is_get && is_page(&path) => {
            let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let next = url_encode(target);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        None => {}
    }
    next.run(req).await
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths, so the login form cannot be used as an open redirect.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login_form(
    State(state): State<Arc<AppState>>,
    req_parts: RequestMeta,
    Form(f): Form<LoginForm>,
) -> Response {
    match sign_in(&state, &f.username, &f.password, req_parts.ip, Source::Ui).await {
        Ok(s) => {
            let to = if s.user.must_change_password { "/account/password" } else { safe_next(f.next.as_deref()) };
            let mut res = Redirect::to(to).into_response();
            res.headers_mut().insert(SET_COOKIE, session_cookie(&state, &s.token));
            res
        }
        Err(e) => {
            let code = match e {
                AppError::RateLimited => "locked",
                AppError::Rejected(_) => "disabled",
                AppError::Unauthenticated => "invalid",
                _ => "unavailable",
            };
            let next = url_encode(safe_next(f.next.as_deref()));
            Redirect::to(&format!("/login?error={code}&next={next}")).into_response()
        }
    }
}

pub async fn logout_form(State(state): State<Arc<AppState>>, meta: RequestMeta, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        if let Err(e) = sign_out(&state, &token, meta.ip).await {
            tracing::warn!(error = %e, "sign-out failed");
        }
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(SET_COOKIE, clear_cookie());
    res
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

pub async fn api_sign_in(
    State(state): State<Arc<AppState>>,
    meta: RequestMeta,
    Json(c): Json<Credentials>,
) -> Result<Response, ApiError> {
    let s = sign_in(&state, &c.username, &c.password, meta.ip, Source::Api).await?;
    let mut res = Json(s.user).into_response();
    res.headers_mut().insert(SET_COOKIE, session_cookie(&state, &s.token));
    Ok(res)
}

pub async fn api_sign_out(
    State(state): State<Arc<AppState>>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        sign_out(&state, &token, meta.ip).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(SET_COOKIE, clear_cookie());
    Ok(res)
}

pub async fn api_me(user: ApiUser) -> Json<CurrentUser> {
    Json(user.user)
}

/// The peer address of a request.
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self { ip: peer_ip(&parts.extensions) })
    }
}

/// The signed-in caller of an API route; 401 in the API's error shape otherwise.
pub struct ApiUser {
    pub user: CurrentUser,
    pub ip: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let user = parts.extensions.get::<CurrentUser>().cloned().ok_or(ApiError(AppError::Unauthenticated))?;
        let ip = parts.extensions.get::<ClientIp>().and_then(|c| c.0.clone());
        Ok(Self { user, ip })
    }
}

impl ApiUser {
    #[must_use]
    pub fn context(&self) -> app::ssr::CommandContext {
        app::ssr::CommandContext { user: self.user.clone(), source: Source::Api, request_ip: self.ip.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_limited_to_local_paths() {
        assert_eq!(safe_next(Some("/devices?q=r1")), "/devices?q=r1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookie_parsing_ignores_other_cookies_and_malformed_tokens() {
        let mut h = HeaderMap::new();
        let token = "a".repeat(64);
        h.insert(COOKIE, HeaderValue::from_str(&format!("theme=dark; nl_session={token}")).unwrap());
        assert_eq!(session_token(&h), Some(token));
        h.insert(COOKIE, HeaderValue::from_static("nl_session=../../etc"));
        assert_eq!(session_token(&h), None);
    }
}
