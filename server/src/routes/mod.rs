//! The registry over HTTP: the seed protocol, the JSON API, `/healthz` and CORS, as
//! one [`Handler`] for the accept loop in [`serve`](crate::serve).
//!
//! Routing is a plain `match (method, route)`: `route` names the paths, `seed`,
//! `api` and `watch` (the change feed, and the index header of every watchable
//! answer) answer them. Bodies, answers and CORS are the shared [`crate::http`]'s.

mod api;
mod route;
mod seed;
mod watch;

use std::future::Future;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, ORIGIN};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::dashboard::Asset;
use crate::error::ApiError;
use crate::http::cors::Cors;
use crate::http::{Reply, respond};
use crate::serve::{Handler, Listener, serve};
use crate::{HttpConfig, Registry};
use route::Route;

/// Response headers a page may read: the seed's list, the granted TTL, the revision
/// (as the list's `ETag`, and as the index a watch waits on next).
const EXPOSE_HEADERS: &str = "X-rpc-Servers, X-rpc-Ttl-Ms, ETag, X-Rollcall-Index";

/// Request headers a page may send.
const ALLOW_HEADERS: &str = "Content-Type, X-rpc-Server, If-None-Match";

/// Answers the registry's routes over a [`Registry`]. Cheap to clone: one per
/// connection.
#[derive(Debug, Clone)]
pub struct RegistryService {
    registry: Registry,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: HttpConfig,
    cors: Cors,
}

impl RegistryService {
    /// Serves `registry` with `config`'s path, body limit and CORS origins.
    pub fn new(registry: Registry, config: HttpConfig) -> RegistryService {
        let cors = Cors::new(&config.cors_origins, ALLOW_HEADERS, Some(EXPOSE_HEADERS));
        RegistryService {
            registry,
            inner: Arc::new(Inner { config, cors }),
        }
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    async fn route(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        let Some(route) = Route::parse(path, &self.inner.config.seed_path) else {
            let dashboard = self.inner.config.dashboard.as_ref();
            if let (&Method::GET, Some(asset)) =
                (&parts.method, dashboard.and_then(|d| d.get(path)))
            {
                return asset_response(asset);
            }
            return ApiError::NotFound.to_response(route::not_found_format(path));
        };
        let registry = &self.registry;
        let headers = &parts.headers;
        let query = parts.uri.query();
        let answer = match (&parts.method, route) {
            (&Method::OPTIONS, route) => Ok(self.inner.cors.preflight(route.allow())),
            (&Method::GET, Route::Seed) => Ok(seed::list(registry)),
            (&Method::POST, Route::Seed) => seed::renew(registry, headers),
            (&Method::GET, Route::Health) => Ok(health()),
            (&Method::GET, Route::Services) => api::index(registry, query).await,
            (&Method::GET, Route::Service(service)) => {
                api::list(registry, service, query, headers).await
            }
            (&Method::GET, Route::Changes(service)) => {
                watch::changes(registry, service, query).await
            }
            (&Method::POST, Route::Instances(service)) => {
                let limit = self.inner.config.max_body_bytes;
                let timeout = self.inner.config.body_read_timeout;
                api::register(registry, service, headers, body, limit, timeout).await
            }
            (&Method::DELETE, Route::Instance(service, addr)) => {
                api::deregister(registry, service, addr)
            }
            (&Method::GET, Route::Leases(service)) => api::leases(registry, service),
            (_, route) => Err(ApiError::MethodNotAllowed {
                allow: route.allow(),
            }),
        };
        answer.unwrap_or_else(|error| error.to_response(route.error_format()))
    }
}

impl Handler for RegistryService {
    async fn handle(&self, request: Request<Incoming>) -> Reply {
        let origin = request.headers().get(ORIGIN).cloned();
        let mut response = self.route(request).await;
        self.inner
            .cors
            .apply(origin.as_ref(), response.headers_mut());
        response
    }
}

/// A file of the dashboard bundle, with its content type.
fn asset_response(asset: &Asset) -> Reply {
    let mut response = respond::empty(StatusCode::OK);
    *response.body_mut() = Full::new(asset.body.clone());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    response
}

/// `GET /healthz`: `200 ok` while the process serves.
fn health() -> Reply {
    respond::text(StatusCode::OK, Bytes::from_static(b"ok"))
}

/// Serves `registry` on `listener` until `shutdown` completes: [`RegistryService`]
/// on the generic accept loop, with `config.conn`'s connection settings. Held
/// blocking queries are answered as soon as `shutdown` completes
/// ([`Registry::close_watches`]), so the grace period is not spent waiting them out.
///
/// Must be called from within a tokio runtime (or a turmoil host).
pub async fn serve_registry<L: Listener>(
    listener: L,
    registry: Registry,
    config: HttpConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let closing = registry.clone();
    let shutdown = async move {
        shutdown.await;
        closing.close_watches();
    };
    let conn = config.conn.clone();
    serve(
        listener,
        RegistryService::new(registry, config),
        conn,
        shutdown,
    )
    .await
}
