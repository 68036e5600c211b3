//! The dashboard in the browser: reads the page's controls, refreshes the service
//! list every [`REFRESH_EVERY`], runs the call panel, and writes what
//! [`render`](crate::render) produces into the page.
//!
//! All state lives in one [`App`] shared by `Rc` between the refresh loop and the
//! event handlers. Everything runs on the page's single thread, so `Cell`/`RefCell`
//! suffice, and no borrow is held across an `.await`.

mod calls;
mod dom;
mod refresh;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use rollcall_client::rt;
use rollcall_client::transport::FetchTransport;
use rollcall_client::{DiscoveryOptions, RegistryDiscovery, RpcClient};
use rollcall_protocol::Token;
use wasm_bindgen::prelude::*;

use crate::call::{CallForm, CallKind, CallView};
use crate::view::{DashboardView, Snapshot};
use crate::{config, render};
use dom::Page;

/// How often the service list is fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_millis(1_500);

/// How long one whole refresh (index, then every service's list and leases) may
/// take before it counts as failed; each request has its own, shorter timeout too.
pub const REFRESH_TIMEOUT: Duration = Duration::from_secs(5);

/// Entry point, run by wasm-bindgen once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let page = Page::current()?;
    let (search, origin) = page.location()?;
    let mut dashboard = DashboardView::new(String::new());
    match config::registry_url(&search, &origin) {
        Ok(registry) => {
            page.set_value("registry-url", &registry);
            dashboard.registry = registry;
        }
        Err(e) => dashboard.failed(e),
    }
    // The tab's token, if one was given earlier in this tab.
    let kept = page.session_get(config::TOKEN_STORAGE_KEY);
    let token = kept
        .as_deref()
        .and_then(|t| config::token_from_field(t).ok().flatten());
    if let Some(token) = &token {
        page.set_value("registry-token", token.expose());
    }
    let app = Rc::new(App {
        page,
        transport: FetchTransport::new(),
        token: RefCell::new(token),
        dashboard: RefCell::new(dashboard),
        generation: Cell::new(0),
        discoveries: RefCell::new(BTreeMap::new()),
        call_seq: Cell::new(0),
    });
    app.wire()?;
    app.render_dashboard();
    app.show_call(&CallView::Idle);
    rt::spawn(refresh_loop(app));
    Ok(())
}

/// The dashboard's state and the handles it works with.
struct App {
    page: Page,
    transport: FetchTransport,
    /// Sent to the registry (never to the RPC servers), if set.
    token: RefCell<Option<Token>>,
    dashboard: RefCell<DashboardView>,
    /// Bumped when the registry changes: a refresh begun against the old registry
    /// finds it changed on return and drops its result.
    generation: Cell<u64>,
    /// One discovery per service, kept so round-robin goes round across calls.
    /// Cleared when the registry changes.
    discoveries: RefCell<BTreeMap<String, Rc<RegistryDiscovery<FetchTransport>>>>,
    /// Numbers the calls: only the newest one writes its result.
    call_seq: Cell<u64>,
}

/// Refreshes the list now and then every [`REFRESH_EVERY`], for the page's life.
async fn refresh_loop(app: Rc<App>) {
    loop {
        app.refresh().await;
        rt::sleep(REFRESH_EVERY).await;
    }
}

impl App {
    /// Hooks up the registry form and the call panel's buttons.
    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let app = Rc::clone(self);
        self.page
            .on("registry-form", "submit", move || app.change_registry())?;
        let app = Rc::clone(self);
        self.page
            .on("call-btn", "click", move || app.start_call(CallKind::Call))?;
        let app = Rc::clone(self);
        self.page.on("broadcast-btn", "click", move || {
            app.start_call(CallKind::Broadcast)
        })
    }

    /// Fetches the list once and shows the outcome.
    async fn refresh(&self) {
        let generation = self.generation.get();
        let registry = self.dashboard.borrow().registry.clone();
        if registry.is_empty() {
            return; // no usable registry URL: the status line says why
        }
        let token = self.token.borrow().clone();
        let fetched = rt::timeout(
            REFRESH_TIMEOUT,
            refresh::fetch_services(&registry, token.as_ref(), &self.transport),
        )
        .await;
        if generation != self.generation.get() {
            return;
        }
        {
            let mut dashboard = self.dashboard.borrow_mut();
            match fetched {
                Some(Ok(services)) => {
                    let (fetched_at_ms, fetched_at_label) = dom::wall_clock();
                    dashboard.refreshed(Snapshot {
                        services,
                        fetched_at_ms,
                        fetched_at_label,
                    });
                }
                Some(Err(e)) => dashboard.failed(e.to_string()),
                None => dashboard.failed(format!("refresh timed out after {REFRESH_TIMEOUT:?}")),
            }
        }
        self.render_dashboard();
    }

    /// Writes the status line and the service list.
    fn render_dashboard(&self) {
        let (now_ms, _) = dom::wall_clock();
        let dashboard = self.dashboard.borrow();
        self.page.set_class(
            "status",
            &format!("status {}", render::status_class(&dashboard)),
        );
        self.page
            .set_html("status", &render::status(&dashboard, now_ms));
        self.page
            .set_html("services", &render::services(&dashboard, now_ms));
    }

    /// Switches to the registry typed in `#registry-url`, with the token typed in
    /// `#registry-token` (kept for this tab only).
    fn change_registry(self: &Rc<Self>) {
        let typed = self.page.value("registry-url").unwrap_or_default();
        let typed_token = self.page.value("registry-token").unwrap_or_default();
        let chosen = config::normalize(&typed)
            .and_then(|registry| Ok((registry, config::token_from_field(&typed_token)?)));
        let (registry, token) = match chosen {
            Ok(chosen) => chosen,
            Err(e) => {
                self.page
                    .set_html("registry-error", &crate::escape::html(&e));
                return;
            }
        };
        self.page.set_html("registry-error", "");
        self.page.set_value("registry-url", &registry);
        self.page.replace_query(&config::query_for(&registry));
        self.page
            .session_set(config::TOKEN_STORAGE_KEY, token.as_ref().map(Token::expose));
        *self.token.borrow_mut() = token;
        self.generation.set(self.generation.get() + 1);
        self.discoveries.borrow_mut().clear();
        *self.dashboard.borrow_mut() = DashboardView::new(registry);
        self.render_dashboard();
        let app = Rc::clone(self);
        rt::spawn(async move { app.refresh().await });
    }

    /// Reads the call panel and runs a call or a broadcast in the background.
    fn start_call(self: &Rc<Self>, kind: CallKind) {
        let request = self.read_call_form().and_then(|form| {
            CallForm {
                service: &form[0],
                method: &form[1],
                args: &form[2],
                mode: &form[3],
            }
            .parse()
        });
        let seq = self.call_seq.get() + 1;
        self.call_seq.set(seq);
        let request = match request {
            Ok(request) => request,
            Err(error) => return self.show_call(&CallView::Failed { error }),
        };
        self.show_call(&CallView::Running {
            kind,
            method: request.method.clone(),
        });
        let discovery = self.discovery(&request.service);
        let rpc = RpcClient::new(self.transport.clone());
        let app = Rc::clone(self);
        rt::spawn(async move {
            let view = match kind {
                CallKind::Call => calls::call(&discovery, &rpc, &request).await,
                CallKind::Broadcast => calls::broadcast(&discovery, &rpc, &request).await,
            };
            if app.call_seq.get() == seq {
                app.show_call(&view);
            }
        });
    }

    /// The panel's fields: service, method, arguments, mode.
    fn read_call_form(&self) -> Result<[String; 4], String> {
        let read = |id: &str| {
            self.page
                .value(id)
                .map_err(|e| format!("{id}: {}", e.as_string().unwrap_or_default()))
        };
        Ok([
            read("call-service")?,
            read("call-method")?,
            read("call-args")?,
            read("call-mode")?,
        ])
    }

    /// The discovery of `service` on the current registry, made on first use.
    fn discovery(&self, service: &str) -> Rc<RegistryDiscovery<FetchTransport>> {
        let registry = self.dashboard.borrow().registry.clone();
        let mut discoveries = self.discoveries.borrow_mut();
        let token = self.token.borrow();
        let discovery = discoveries.entry(service.to_owned()).or_insert_with(|| {
            let client = refresh::client(&registry, service, token.as_ref(), &self.transport);
            // Refresh as often as the dashboard does, so a call does not pick an
            // instance the page already shows as gone.
            let options = DiscoveryOptions {
                refresh: REFRESH_EVERY,
                ..DiscoveryOptions::default()
            };
            Rc::new(RegistryDiscovery::new(client, options))
        });
        Rc::clone(discovery)
    }

    fn show_call(&self, view: &CallView) {
        self.page
            .set_html("call-result", &render::call_result(view));
    }
}
