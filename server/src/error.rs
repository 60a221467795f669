//! The one error type of the HTTP API, and the JSON extractor that speaks it.
//!
//! Every 4xx answers `{"error": {"code": "snake_case_code", "message": "what was wrong"}}`.
//! A 5xx answers a generic message; the detail rides on a response extension that the logging
//! middleware ([`crate::log_requests`]) writes to the log, so the conversion itself has no side
//! effects.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;

/// What went wrong with a request.
#[derive(Debug)]
pub enum AppError {
    /// 400: the input is malformed or invalid; `code` names the field or rule.
    BadRequest(&'static str, Cow<'static, str>),
    /// 401: no credentials, or credentials that match nothing.
    Unauthorized(Cow<'static, str>),
    /// 401 with a code of its own: the password was right, the second step is missing or wrong.
    SecondFactor(&'static str, Cow<'static, str>),
    /// 403: credentials of the wrong kind, a forbidden origin, a failed CSRF check.
    Forbidden(&'static str, Cow<'static, str>),
    /// 404: nothing there.
    NotFound(&'static str, Cow<'static, str>),
    /// 405: the path exists with other methods.
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    Conflict(&'static str, Cow<'static, str>),
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 422: well-formed but not acceptable in the current state.
    Unprocessable(&'static str, Cow<'static, str>),
    /// 429: too many attempts.
    TooManyRequests(Cow<'static, str>),
    /// 500: a failure of the server or its database; the detail is logged, never shown.
    Internal(String),
    /// 503: the database is unreachable.
    Unavailable(String),
}

/// The detail of a 5xx, attached to the response for the logging middleware.
#[derive(Clone, Debug)]
pub struct ErrorDetail(pub String);

#[derive(Serialize, utoipa::ToSchema)]
/// The body of every error answer.
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInner,
}

#[derive(Serialize, utoipa::ToSchema)]
/// A machine-readable code and a sentence for people.
pub struct ErrorInner {
    /// Stable snake_case code.
    pub code: String,
    /// What was wrong.
    pub message: String,
}

impl AppError {
    /// A 400 with `code` and `message`.
    pub fn bad(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        AppError::BadRequest(code, message.into())
    }

    /// A 404 with `code` and `message`.
    pub fn not_found(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        AppError::NotFound(code, message.into())
    }

    /// A 403 with `code` and `message`.
    pub fn forbidden(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        AppError::Forbidden(code, message.into())
    }

    /// A 409 with `code` and `message`.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        AppError::Conflict(code, message.into())
    }

    /// A 422 with `code` and `message`.
    pub fn unprocessable(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        AppError::Unprocessable(code, message.into())
    }

    /// The status, code and public message.
    pub fn parts(&self) -> (StatusCode, &str, Cow<'_, str>) {
        match self {
            AppError::BadRequest(c, m) => (StatusCode::BAD_REQUEST, c, Cow::Borrowed(m)),
            AppError::Unauthorized(m) => {
                (StatusCode::UNAUTHORIZED, "unauthorized", Cow::Borrowed(m))
            }
            AppError::SecondFactor(c, m) => (StatusCode::UNAUTHORIZED, c, Cow::Borrowed(m)),
            AppError::Forbidden(c, m) => (StatusCode::FORBIDDEN, c, Cow::Borrowed(m)),
            AppError::NotFound(c, m) => (StatusCode::NOT_FOUND, c, Cow::Borrowed(m)),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                Cow::Borrowed("this path does not accept that method"),
            ),
            AppError::Conflict(c, m) => (StatusCode::CONFLICT, c, Cow::Borrowed(m)),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                Cow::Borrowed("the request body is too large"),
            ),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                Cow::Borrowed("send the body as application/json (or text/plain holding JSON)"),
            ),
            AppError::Unprocessable(c, m) => {
                (StatusCode::UNPROCESSABLE_ENTITY, c, Cow::Borrowed(m))
            }
            AppError::TooManyRequests(m) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Cow::Borrowed(m),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                Cow::Borrowed("the server failed; the request was not applied"),
            ),
            AppError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                Cow::Borrowed("the database is unavailable; retry later"),
            ),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(d) | AppError::Unavailable(d) => f.write_str(d),
            other => {
                let (s, c, m) = other.parts();
                write!(f, "{s} {c}: {m}")
            }
        }
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            error: ErrorInner {
                code: code.to_owned(),
                message: message.into_owned(),
            },
        };
        let mut res = (status, axum::Json(body)).into_response();
        if let AppError::Internal(d) | AppError::Unavailable(d) = self {
            res.extensions_mut().insert(ErrorDetail(d));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer realm=\"reftrail\""),
            );
        }
        res
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AppError::Unavailable(e.to_string())
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {e}"))
    }
}

/// Whether a database error is a unique-constraint violation (a concurrent duplicate).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The JSON body of a request, with rejections in the API's error shape.
///
/// Accepts `application/json` and also `text/plain` (what `navigator.sendBeacon` sends for a
/// string body) holding JSON; anything else is a 415.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// Parses a JSON body, mapping syntax and type errors to 400s with the serde message.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.is_empty() {
        return Err(AppError::bad(
            "invalid_json",
            "the request body is empty; send a JSON object",
        ));
    }
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(v),
        Err(e) => {
            use serde_json::error::Category;
            let code = match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => "invalid_json",
                Category::Data => "invalid_body",
            };
            Err(AppError::BadRequest(
                code,
                Cow::Owned(clip(&e.to_string(), 300)),
            ))
        }
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn clip(s: &str, max: usize) -> String {
    reftrail::report::truncate(s, max).to_owned()
}

/// Query-string parameters, with rejections in the API's error shape.
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(AppQuery(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> AppError {
    AppError::BadRequest("invalid_query", Cow::Owned(clip(&e.body_text(), 300)))
}

/// An optional JSON body: `None` when the body is empty.
pub struct AppJsonOpt<T>(pub Option<T>);

impl<S, T> FromRequest<S> for AppJsonOpt<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_like = json_content_type(req.headers());
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(AppJsonOpt(None));
        }
        if !json_like {
            return Err(AppError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|v| AppJsonOpt(Some(v)))
    }
}

/// A raw body (a CSV file), within the route's body limit: 413 `payload_too_large` beyond it.
pub struct AppBytes(pub axum::body::Bytes);

impl<S> FromRequest<S> for AppBytes
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(req, state).await.map(AppBytes)
    }
}

/// Whether the request says its body is JSON (or text/plain, as `sendBeacon` sends it).
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence == "application/json"
        || essence == "text/plain"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::bad("invalid_body", "the request body could not be read")
            }
        })
}
