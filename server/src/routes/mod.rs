//! The registry over HTTP: the seed protocol, the JSON API, `/healthz`, `/readyz`,
//! `/metrics` and CORS, as one [`Handler`] for the accept loop in
//! [`serve`](crate::serve).
//!
//! Routing is a plain `match (method, route)`: `route` names the paths and says
//! what each method on each reads or writes (`Route::access`), `seed`, `api`,
//! `watch` (the change feed, and the index header of every watchable answer) and
//! `probes` answer them. Before the match, every request passes two guards: a write
//! (or a token) from a browser page must come from a CORS write origin, and the
//! token check of [`crate::auth`]. Bodies, answers and CORS are the shared
//! [`crate::http`]'s. Every answer is counted in the service's [`Metrics`].

mod api;
mod probes;
mod route;
mod seed;
mod watch;

use std::future::Future;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use rollcall_protocol::HEADER_STALE;

use crate::auth::{Access, Scope};
use crate::dashboard::Asset;
use crate::error::ApiError;
use crate::http::cors::{self, Cors};
use crate::http::{Reply, respond};
use crate::metrics::{Metrics, RouteLabel};
use crate::serve::{Handler, Listener, serve};
use crate::store::Store;
use crate::{HttpConfig, Registry};
use route::Route;

/// Response headers a page may read: the seed's list, the granted TTL, the warm-up
/// state, the revision (as the list's `ETag`, and as the index a watch waits on
/// next).
const EXPOSE_HEADERS: &str =
    "X-rpc-Servers, X-rpc-Ttl-Ms, X-rpc-Warming, ETag, X-Rollcall-Index, X-Rollcall-Stale";

/// Request headers a page may send (`Authorization` only from a write origin).
const ALLOW_HEADERS: &str = "Content-Type, X-rpc-Server, If-None-Match, Authorization";

/// Answers the registry's routes over a [`Store`]: reads from its [`Registry`],
/// writes through the store. Cheap to clone: one per connection.
#[derive(Debug, Clone)]
pub struct RegistryService {
    store: Arc<dyn Store>,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: HttpConfig,
    cors: Cors,
    metrics: Metrics,
}

impl RegistryService {
    /// Serves `registry` (the memory store) with `config`'s path, body limits, CORS
    /// origins and tokens.
    pub fn new(registry: Registry, config: HttpConfig) -> RegistryService {
        RegistryService::with_store(Arc::new(registry), config)
    }

    /// Serves `store` (reads from its registry, writes through it) with `config`.
    pub fn with_store(store: Arc<dyn Store>, config: HttpConfig) -> RegistryService {
        let cors = Cors::new(
            &config.cors_origins,
            &config.cors_write_origins,
            ALLOW_HEADERS,
            Some(EXPOSE_HEADERS),
        );
        let metrics = Metrics::new(Arc::clone(&store));
        RegistryService {
            store,
            inner: Arc::new(Inner {
                config,
                cors,
                metrics,
            }),
        }
    }

    /// The registry reads are answered from.
    pub fn registry(&self) -> &Registry {
        self.store.registry()
    }

    async fn route(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        let Some(route) = Route::parse(path, &self.inner.config.seed_path) else {
            let dashboard = self.inner.config.dashboard.as_ref();
            if let (&Method::GET | &Method::HEAD, Some(asset)) =
                (&parts.method, dashboard.and_then(|d| d.get(path)))
            {
                return asset_response(asset);
            }
            return ApiError::NotFound.to_response(route::not_found_format(path));
        };
        let store = &*self.store;
        let registry = store.registry();
        let headers = &parts.headers;
        let allow = route.allow();
        let guarded = route
            .access(&parts.method)
            .ok_or(ApiError::MethodNotAllowed { allow })
            .and_then(|access| self.guard(access, headers));
        let scope = match guarded {
            Ok(scope) => scope,
            Err(error) => return error.to_response(route.error_format()),
        };
        let query = parts.uri.query();
        let answer = match (&parts.method, route) {
            (&Method::OPTIONS, route) => (self.inner.cors)
                .preflight(headers, route.allow())
                .map_err(|origin| ApiError::OriginMayNotWrite { origin }),
            (&Method::GET | &Method::HEAD, Route::Seed) => Ok(seed::list(registry)),
            (&Method::POST, Route::Seed) => seed::renew(store, headers).await,
            (&Method::GET | &Method::HEAD, Route::Health) => Ok(health()),
            (&Method::GET | &Method::HEAD, Route::Ready) => Ok(probes::ready(registry)),
            (&Method::GET | &Method::HEAD, Route::Metrics) => {
                Ok(probes::metrics(&self.inner.metrics))
            }
            (&Method::GET | &Method::HEAD, Route::Services) => {
                api::index(registry, query, &scope).await
            }
            (&Method::GET | &Method::HEAD, Route::Service(service)) => {
                api::list(registry, service, query, headers).await
            }
            (&Method::GET | &Method::HEAD, Route::Changes(service)) => {
                watch::changes(registry, service, query).await
            }
            (&Method::POST, Route::Instances(service)) => {
                let limit = self.inner.config.max_body_bytes;
                let timeout = self.inner.config.body_read_timeout;
                api::register(store, service, headers, body, limit, timeout).await
            }
            (&Method::DELETE, Route::Instance(service, addr)) => {
                api::deregister(store, service, addr).await
            }
            (&Method::GET | &Method::HEAD, Route::Leases(service)) => {
                api::leases(store, service).await
            }
            (_, route) => Err(ApiError::MethodNotAllowed {
                allow: route.allow(),
            }),
        };
        let mut reply = answer.unwrap_or_else(|error| error.to_response(route.error_format()));
        if route.reads_the_cache(&parts.method) && registry.stale() {
            reply
                .headers_mut()
                .insert(HEADER_STALE, HeaderValue::from_static("true"));
        }
        reply
    }

    /// The two guards before a route answers: a page may write (or send a token)
    /// only from a CORS write origin, and the token must allow `access`.
    fn guard(&self, access: Access<'_>, headers: &HeaderMap) -> Result<Scope, ApiError> {
        let origin = headers.get(ORIGIN);
        let writes = access.is_write() || headers.contains_key(AUTHORIZATION);
        if writes && !self.inner.cors.may_write(origin) {
            return Err(ApiError::OriginMayNotWrite {
                origin: cors::shown_origin(origin),
            });
        }
        Ok(self.inner.config.auth.check(access, headers)?)
    }
}

impl Handler for RegistryService {
    async fn handle(&self, request: Request<Incoming>) -> Reply {
        let started = tokio::time::Instant::now();
        let label = Route::parse(request.uri().path(), &self.inner.config.seed_path)
            .map_or(RouteLabel::Other, Route::label);
        let origin = request.headers().get(ORIGIN).cloned();
        let mut response = self.route(request).await;
        self.inner
            .cors
            .apply(origin.as_ref(), response.headers_mut());
        let metrics = &self.inner.metrics;
        metrics.record(label, response.status(), started.elapsed());
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
    serve_store(listener, Arc::new(registry), config, shutdown).await
}

/// [`serve_registry`] over any [`Store`]: reads from its registry, writes through
/// it.
///
/// Must be called from within a tokio runtime (or a turmoil host).
pub async fn serve_store<L: Listener>(
    listener: L,
    store: Arc<dyn Store>,
    config: HttpConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let closing = store.registry().clone();
    let shutdown = async move {
        shutdown.await;
        closing.close_watches();
    };
    let conn = config.conn.clone();
    serve(
        listener,
        RegistryService::with_store(store, config),
        conn,
        shutdown,
    )
    .await
}
