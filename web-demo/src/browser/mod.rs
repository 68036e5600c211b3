//! The dashboard in the browser: watches the registry ([`sync`]), keeps the
//! service list in the page ([`list`], [`table`]), patches it once per animation
//! frame with only what changed ([`frame`]), counts leases down once a second,
//! takes the list's controls ([`controls`]) and runs the call panel ([`calls`]).
//!
//! All state lives in one [`App`] shared by `Rc` between the tasks and the event
//! handlers. Everything runs on the page's single thread, so `Cell`/`RefCell`
//! suffice, and no borrow is held across an `.await`.

mod calls;
mod controls;
mod dom;
mod frame;
mod list;
mod sync;
mod table;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{AbortHandle, Abortable};
use rollcall_client::rt;
use rollcall_client::transport::FetchTransport;
use rollcall_client::{DiscoveryOptions, RegistryClient, RegistryDiscovery, RpcClient};
use rollcall_protocol::Token;
use wasm_bindgen::prelude::*;

use crate::call::{CallForm, CallKind, CallView};
use crate::filter::Filter;
use crate::fleet::Fleet;
use crate::jobs::Jobs;
use crate::overview::SortBy;
use crate::status::Status;
use crate::{config, render};
use dom::Page;
use frame::Dirty;
use list::{ServiceList, ViewOptions};

/// The metadata key services are counted by until the user picks another.
pub const DEFAULT_GROUP_KEY: &str = "zone";

/// How old the call panel's list of a service may be when a call needs it: it
/// is read on demand (no call, no request), and this short, so a call does not
/// pick an instance the page already shows as gone.
pub const CALL_DISCOVERY_REFRESH: Duration = Duration::from_millis(1_500);

/// Entry point, run by wasm-bindgen once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let page = Page::current()?;
    let (search, origin) = page.location()?;
    // The tab's token, if one was given earlier in this tab.
    let kept = page.session_get(config::TOKEN_STORAGE_KEY);
    let token = kept
        .as_deref()
        .and_then(|t| config::token_from_field(t).ok().flatten());
    if let Some(token) = &token {
        page.set_value("registry-token", token.expose());
    }
    let transport = FetchTransport::new();
    let mut status = Status::new(String::new());
    let chosen = config::registry_urls(&search, &origin).and_then(|registries| {
        page.set_value("registry-url", &registries.join(", "));
        sync::registry_client(&registries, token.as_ref(), &transport).map_err(|e| e.to_string())
    });
    let registry = match chosen {
        Ok(client) => {
            status.registry = client.frontend().to_owned();
            Some(client)
        }
        Err(e) => {
            status.failed(e);
            None
        }
    };
    let in_url = config::registry_urls(&search, "null").ok();
    let filter_text = config::filter_param(&search);
    page.set_value("filter", &filter_text);
    let group_key = match page.value("group-key") {
        Ok(key) if !key.trim().is_empty() => key,
        _ => DEFAULT_GROUP_KEY.to_owned(),
    };
    let options = ViewOptions {
        filter: Filter::parse(&filter_text),
        filter_text,
        sort: SortBy::parse(&page.value("sort").unwrap_or_default()),
        group_key,
        open: Default::default(),
    };
    let list = ServiceList::new(&page)?;
    let app = Rc::new(App {
        page,
        transport,
        registry: RefCell::new(registry),
        registries_in_url: RefCell::new(in_url),
        status: RefCell::new(status),
        fleet: RefCell::new(Fleet::default()),
        options: RefCell::new(options),
        list: RefCell::new(list),
        dirty: RefCell::new(Dirty::everything()),
        frame: frame::Frame::default(),
        jobs: RefCell::new(Jobs::default()),
        generation: Cell::new(0),
        watch: RefCell::new(None),
        loaded_marked: Cell::new(false),
        discoveries: RefCell::new(BTreeMap::new()),
        call_seq: Cell::new(0),
    });
    app.wire()?;
    app.show_call(&CallView::Idle);
    app.schedule();
    app.start_watch();
    rt::spawn(frame::tick_loop(Rc::clone(&app)));
    Ok(())
}

/// The dashboard's state and the handles it works with.
struct App {
    page: Page,
    transport: FetchTransport,
    /// A client of the registry in use, for its default service: every frontend
    /// the address or the field names (requests go to one and move on when it
    /// cannot be reached), and the token, sent to the registry only (never to the
    /// RPC servers). `None` when no usable URL was given.
    registry: RefCell<Option<RegistryClient<FetchTransport>>>,
    /// The registries as the address bar names them (`None`: the page's origin).
    registries_in_url: RefCell<Option<Vec<String>>>,
    status: RefCell<Status>,
    fleet: RefCell<Fleet>,
    options: RefCell<ViewOptions>,
    list: RefCell<ServiceList>,
    /// What the next frame must patch.
    dirty: RefCell<Dirty>,
    frame: frame::Frame,
    jobs: RefCell<Jobs>,
    /// Bumped when the registry changes: work begun for the old one finds it
    /// changed on return and drops its result.
    generation: Cell<u64>,
    /// Stops the index watch of the current registry.
    watch: RefCell<Option<AbortHandle>>,
    /// Whether the first full view has been marked for the benchmark.
    loaded_marked: Cell<bool>,
    /// One discovery per service, kept so round-robin goes round across calls.
    /// Cleared when the registry changes.
    discoveries: RefCell<BTreeMap<String, Rc<RegistryDiscovery<FetchTransport>>>>,
    /// Numbers the calls: only the newest one writes its result.
    call_seq: Cell<u64>,
}

impl App {
    /// Starts watching the registry in use, stopping any earlier watch.
    fn start_watch(self: &Rc<Self>) {
        if let Some(old) = self.watch.borrow_mut().take() {
            old.abort();
        }
        if self.registry.borrow().is_none() {
            return; // no usable registry URL: the status line says why
        }
        let (handle, registration) = AbortHandle::new_pair();
        *self.watch.borrow_mut() = Some(handle);
        let watch = Rc::clone(self).watch_index(self.generation.get());
        rt::spawn(async move {
            let _ = Abortable::new(watch, registration).await;
        });
    }

    /// Hooks up the registry form, the list's controls and the call panel.
    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let app = Rc::clone(self);
        self.page
            .on("registry-form", "submit", move || app.change_registry())?;
        self.wire_list()?;
        let app = Rc::clone(self);
        self.page
            .on("call-btn", "click", move || app.start_call(CallKind::Call))?;
        let app = Rc::clone(self);
        self.page.on("broadcast-btn", "click", move || {
            app.start_call(CallKind::Broadcast)
        })
    }

    /// Switches to the registries typed in `#registry-url` (one, or the frontends
    /// of one registry, comma-separated), with the token typed in
    /// `#registry-token` (kept for this tab only).
    fn change_registry(self: &Rc<Self>) {
        let typed = self.page.value("registry-url").unwrap_or_default();
        let typed_token = self.page.value("registry-token").unwrap_or_default();
        let chosen = config::parse_registries(&typed).and_then(|registries| {
            let token = config::token_from_field(&typed_token)?;
            let client = sync::registry_client(&registries, token.as_ref(), &self.transport)
                .map_err(|e| e.to_string())?;
            Ok((registries, token, client))
        });
        let (registries, token, client) = match chosen {
            Ok(chosen) => chosen,
            Err(e) => {
                self.page
                    .set_html("registry-error", &crate::escape::html(&e));
                return;
            }
        };
        self.page.set_html("registry-error", "");
        self.page.set_value("registry-url", &registries.join(", "));
        self.page
            .session_set(config::TOKEN_STORAGE_KEY, token.as_ref().map(Token::expose));
        *self.status.borrow_mut() = Status::new(client.frontend().to_owned());
        *self.registry.borrow_mut() = Some(client);
        *self.registries_in_url.borrow_mut() = Some(registries);
        self.update_address();
        self.generation.set(self.generation.get() + 1);
        self.discoveries.borrow_mut().clear();
        *self.fleet.borrow_mut() = Fleet::default();
        *self.jobs.borrow_mut() = Jobs::default();
        self.options.borrow_mut().open.clear();
        self.list.borrow_mut().clear();
        self.loaded_marked.set(false);
        *self.dirty.borrow_mut() = Dirty::everything();
        self.schedule();
        self.start_watch();
    }

    /// Puts the registries and the filter in the address bar.
    fn update_address(&self) {
        let registries = self.registries_in_url.borrow();
        let query = config::query_for(registries.as_deref(), &self.options.borrow().filter_text);
        self.page.replace_query(&query);
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
        let chosen = request.and_then(|request| {
            let discovery = self
                .discovery(&request.service)
                .map_err(|e| e.to_string())?;
            Ok((request, discovery))
        });
        let (request, discovery) = match chosen {
            Ok(chosen) => chosen,
            Err(error) => return self.show_call(&CallView::Failed { error }),
        };
        self.show_call(&CallView::Running {
            kind,
            method: request.method.clone(),
        });
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

    /// The discovery of `service` on the registry in use, made on first use.
    fn discovery(
        &self,
        service: &str,
    ) -> Result<Rc<RegistryDiscovery<FetchTransport>>, rollcall_client::Error> {
        if let Some(discovery) = self.discoveries.borrow().get(service) {
            return Ok(Rc::clone(discovery));
        }
        let options = DiscoveryOptions {
            refresh: CALL_DISCOVERY_REFRESH,
            ..DiscoveryOptions::default()
        };
        let discovery = Rc::new(RegistryDiscovery::new(self.client(service)?, options));
        self.discoveries
            .borrow_mut()
            .insert(service.to_owned(), Rc::clone(&discovery));
        Ok(discovery)
    }

    fn show_call(&self, view: &CallView) {
        self.page
            .set_html("call-result", &render::call_result(view));
    }
}
