//! Operator routes: `GET /healthz`, `GET /metrics`, `GET /v1/openapi.json`.

use crate::db::Backend;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The schema version.
    pub schema: i64,
    /// The server's version.
    pub version: String,
}

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/healthz", tag = "operator",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let database = match state.db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let version = env!("CARGO_PKG_VERSION").to_owned();
    match state.db.schema_version().await {
        Ok(schema) => Json(Health {
            status: "ok".into(),
            database: database.into(),
            schema,
            version,
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".into(),
                    database: database.into(),
                    schema: 0,
                    version,
                }),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operator", responses((status = 200, body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operator", responses((status = 200, description = "OpenAPI 3.1 JSON")))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}
