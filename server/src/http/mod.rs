//! HTTP plumbing shared by every handler of the crate, the registry's routes
//! ([`crate::routes`]) and the RPC host ([`crate::rpc`]) alike, so that each rule
//! has one owner:
//!
//! - `body`: reading a request body within a size limit and a time limit;
//! - `respond`: JSON, error and empty answers, with their content types;
//! - `cors`: which origins a browser lets read an answer, and preflights.

pub(crate) mod body;
pub(crate) mod cors;
pub(crate) mod respond;

pub use body::{BodyError, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES};

use bytes::Bytes;
use http_body_util::Full;

/// A whole answer, as every handler gives one.
pub type Reply = http::Response<Full<Bytes>>;
