//! REST errors: `{"error": {"code", "message", "details"}}` with the matching status.

use app::error::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let details = match &self.0 {
            AppError::Invalid(fields) => json!(fields.0),
            AppError::Internal(reference) => json!({ "reference": reference }),
            _ => serde_json::Value::Null,
        };
        let body = json!({ "error": { "code": self.0.code(), "message": self.0.to_string(), "details": details } });
        (status, Json(body)).into_response()
    }
}
