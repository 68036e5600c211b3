//! # rollcall-web-demo
//!
//! The rollcall dashboard: a page that shows every service of a registry, folded
//! to one line each (instance count, counts by a metadata key, last change, a
//! mark when it lost many instances), unfolding to its instances (address,
//! metadata, weight, TTL, heartbeat age, time left), kept current by watching the
//! registry, and a panel that calls or broadcasts an RPC method through the client
//! library's discovery and selection. It runs `rollcall-client` in the browser
//! unchanged, on its fetch [`Transport`](rollcall_client::Transport).
//!
//! The view code is pure and builds (and is tested) natively:
//! - [`fleet`]: what the page knows of the registry, kept current from the service
//!   index and the change feeds; each update says which rows it changed.
//! - [`overview`]: a service's line and its instances' order under the filter and
//!   the sort; [`filter`]: the filter box; [`addr`]: IP-aware address order;
//!   [`drop`]: when a service lost many instances at once.
//! - [`window`]: which rows of a long table to render; [`jobs`]: the fetches, a
//!   few at a time.
//! - [`status`]: how the page stands with the registry.
//! - [`call`]: the call panel's form, checked into a request, and its outcome.
//! - [`render`]: all of it to HTML strings, everything escaped.
//! - [`config`]: the page's address (`?registry=`, `?q=`) and fields.
//! - [`escape`], [`format`]: HTML escaping, durations and counts for people.
//!
//! The browser glue (`browser`, wasm32 only) watches the registry, keeps one
//! element per service and per rendered row, keyed by name and address, and
//! patches only those a change touched, once per animation frame.

pub mod addr;
pub mod call;
pub mod config;
pub mod drop;
pub mod escape;
pub mod filter;
pub mod fleet;
pub mod format;
pub mod jobs;
pub mod overview;
pub mod render;
pub mod status;
pub mod window;

#[cfg(target_arch = "wasm32")]
mod browser;
