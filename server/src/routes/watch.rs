//! The change feed, `GET /v1/services/{service}/changes?since=N&wait=D&epoch=E`,
//! and the [`HEADER_INDEX`] every watchable answer carries.

use http::{HeaderValue, StatusCode};
use rollcall_protocol::{HEADER_INDEX, WatchQuery, validate_service};

use crate::http::{Reply, respond};
use crate::{ApiError, Registry};

/// `GET /v1/services/{service}/changes`: every change after `since`, held while
/// there is none; `410` when the client must list again.
pub(super) async fn changes(
    registry: &Registry,
    service: &str,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    validate_service(service)?;
    let query = WatchQuery::parse_changes(query)?;
    let answer = registry.watch_changes(service, &query).await?;
    Ok(indexed(
        respond::json_bytes(StatusCode::OK, answer.body),
        answer.revision,
    ))
}

/// `response` with [`HEADER_INDEX`]: the revision to wait on next.
pub(super) fn indexed(mut response: Reply, revision: u64) -> Reply {
    response
        .headers_mut()
        .insert(HEADER_INDEX, HeaderValue::from(revision));
    response
}
