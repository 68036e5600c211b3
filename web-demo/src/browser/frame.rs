//! When the page is written: changes are collected as they arrive ([`Dirty`]) and
//! applied once per animation frame, touching only the services and rows they
//! concern; a tick once a second counts down the rows on screen.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use rollcall_client::rt;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::App;
use super::dom::{log_error, wall_ms};
use crate::format::{count, thousands};
use crate::jobs::Job;
use crate::render;
use crate::status::Connection;

/// How often lease times are counted down.
pub const TICK: Duration = Duration::from_secs(1);

/// Names of the User Timing measures the page records (the benchmark reads them).
pub const MEASURE_FRAME: &str = "rollcall frame";
pub const MEASURE_TICK: &str = "rollcall tick";
/// The User Timing mark set once the first full view is on screen.
pub const MARK_LOADED: &str = "rollcall loaded";

/// What the next frame must write.
#[derive(Debug, Default)]
pub struct Dirty {
    /// Every service's line and open table (the filter, sort or key changed).
    pub all: bool,
    /// Services to bring in line, each with its rows to draw again.
    pub services: BTreeMap<String, BTreeSet<String>>,
    /// Tables scrolled: render the rows now in view.
    pub windows: BTreeSet<String>,
    /// The status line and totals.
    pub status: bool,
}

impl Dirty {
    /// Everything: the first frame, or another registry.
    pub fn everything() -> Dirty {
        Dirty {
            all: true,
            status: true,
            ..Dirty::default()
        }
    }
}

/// The animation-frame callback, made once, and whether one is requested.
#[derive(Default)]
pub struct Frame {
    callback: RefCell<Option<Closure<dyn FnMut()>>>,
    requested: Cell<bool>,
}

impl App {
    /// Asks for a frame in which to write what is dirty (one per frame at most).
    pub(super) fn schedule(self: &Rc<Self>) {
        if self.frame.requested.replace(true) {
            return;
        }
        let mut callback = self.frame.callback.borrow_mut();
        let callback = callback.get_or_insert_with(|| {
            let app = Rc::clone(self);
            Closure::new(move || app.flush())
        });
        if let Err(e) = self
            .page
            .window()
            .request_animation_frame(callback.as_ref().unchecked_ref())
        {
            log_error(&e);
            self.frame.requested.set(false);
        }
    }

    /// Writes what changed since the last frame.
    fn flush(&self) {
        self.frame.requested.set(false);
        self.page.begin(MEASURE_FRAME);
        let dirty = std::mem::take(&mut *self.dirty.borrow_mut());
        let now = wall_ms();
        let fleet = self.fleet.borrow();
        let options = self.options.borrow();
        let mut list = self.list.borrow_mut();
        let none = BTreeSet::new();
        let mut synced = BTreeSet::new();
        let names: Vec<String> = if dirty.all {
            let mut all: BTreeSet<String> = fleet.services().map(|s| s.name.clone()).collect();
            all.extend(dirty.services.keys().cloned());
            all.into_iter().collect()
        } else {
            dirty.services.keys().cloned().collect()
        };
        for name in names {
            let rows = dirty.services.get(&name).unwrap_or(&none);
            if let Err(e) = list.sync(&self.page, &fleet, &options, &name, rows, now) {
                log_error(&e);
            }
            synced.insert(name);
        }
        for name in dirty.windows.difference(&synced) {
            list.window(&self.page, &fleet, name, now);
        }
        if dirty.status || dirty.all || !dirty.services.is_empty() {
            let status = self.status.borrow();
            self.page.set_class(
                "status",
                &format!("status {}", render::status_class(&status)),
            );
            self.page
                .set_html("status", &render::status(&status, fleet.totals(), now));
            list.set_stale(status.is_stale());
            let (services, instances) = fleet.totals();
            let (shown, matching) = list.shown();
            let summary = if options.filter.is_empty() {
                String::new()
            } else {
                format!(
                    "{} of {} in {} of {} match",
                    thousands(matching),
                    count(instances, "instance"),
                    thousands(shown),
                    count(services, "service")
                )
            };
            self.page
                .set_html("matches", &crate::escape::html(&summary));
            let empty = match (&status.connection, services, shown) {
                (Connection::Connecting, 0, _) => "Waiting for the registry…",
                (Connection::Unreachable { .. }, 0, _) if status.last_heard.is_none() => {
                    "No list yet: the registry has not answered."
                }
                (Connection::Live | Connection::Unreachable { .. }, 0, _) => {
                    "No service is registered."
                }
                (_, _, 0) => "Nothing matches the filter.",
                _ => "",
            };
            list.set_empty_text(empty);
        }
        if !self.loaded_marked.get() && fleet.is_loaded() {
            self.loaded_marked.set(true);
            let _ = self
                .page
                .element("services")
                .and_then(|el| el.set_attribute("data-loaded", ""));
            self.page.mark(MARK_LOADED);
        }
        self.page.end(MEASURE_FRAME);
    }

    /// Once a second: count down the rows on screen, end highlights, read the
    /// leases that are due, and age the stale banner.
    fn tick(self: &Rc<Self>) {
        self.page.begin(MEASURE_TICK);
        let now = wall_ms();
        let found = {
            let fleet = self.fleet.borrow();
            self.list.borrow_mut().tick(&fleet, now)
        };
        {
            let mut jobs = self.jobs.borrow_mut();
            for name in found.leases_due {
                jobs.push(Job::Leases(name), true);
            }
        }
        let stale = self.status.borrow().is_stale();
        if stale {
            let status = self.status.borrow();
            let totals = self.fleet.borrow().totals();
            self.page
                .set_html("status", &render::status(&status, totals, now));
        }
        if !found.lines.is_empty() {
            let mut dirty = self.dirty.borrow_mut();
            for name in found.lines {
                dirty.services.entry(name).or_default();
            }
            drop(dirty);
            self.schedule();
        }
        self.page.end(MEASURE_TICK);
        self.pump();
    }
}

/// Counts down once a second, for the page's life.
pub async fn tick_loop(app: Rc<App>) {
    loop {
        rt::sleep(TICK).await;
        app.tick();
    }
}
