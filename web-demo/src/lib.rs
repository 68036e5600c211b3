//! # rollcall-web-demo
//!
//! The rollcall dashboard: a page that lists every service of a registry with its
//! alive instances (address, metadata, weight, heartbeat age, time left), refreshed
//! every 1.5 s, and a panel that calls or broadcasts an RPC method through the
//! client library's discovery and selection. It runs `rollcall-client` in the
//! browser unchanged, on its fetch [`Transport`](rollcall_client::Transport).
//!
//! The view code is pure and builds (and is tested) natively:
//! - [`view`]: the dashboard's state as plain data (services, leases, connection).
//! - [`call`]: the call panel's form, checked into a request, and its outcome.
//! - [`render`]: view state to HTML strings, everything escaped.
//! - [`config`]: which registry to talk to (`?registry=<url>` or the page's origin).
//! - [`escape`], [`format`]: HTML escaping, durations for people.
//!
//! The browser glue (`browser`, wasm32 only) reads the DOM, talks to the registry and
//! the RPC servers, and writes the rendered HTML into the page's fixed elements
//! (`#status`, `#services`, `#call-result`).

pub mod call;
pub mod config;
pub mod escape;
pub mod format;
pub mod render;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod browser;
