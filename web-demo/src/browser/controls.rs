//! The list's controls: folding a service (click or Enter on its line), scrolling
//! a table, the filter box, the sort and the count-by key. Each only marks what
//! it changed for the next frame; and the observer that says which tables are on
//! screen.

use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, IntersectionObserver, IntersectionObserverEntry, KeyboardEvent};

use super::App;
use super::dom::wall_ms;
use super::list::service_of;
use crate::filter::Filter;
use crate::jobs::Job;
use crate::overview::SortBy;

impl App {
    /// Hooks up folding, scrolling, the filter, the sort and the count-by key.
    pub(super) fn wire_list(self: &Rc<Self>) -> Result<(), JsValue> {
        // Which tables are on screen, told by the browser as it lays the page
        // out, so the tick never reads layout. Lives as long as the page.
        let app = Rc::clone(self);
        let seen = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let fleet = app.fleet.borrow();
            let mut list = app.list.borrow_mut();
            let now = wall_ms();
            for entry in entries.iter() {
                let entry: IntersectionObserverEntry = entry.unchecked_into();
                list.seen(&entry.target(), entry.is_intersecting(), &fleet, now);
            }
        });
        let observer = IntersectionObserver::new(seen.as_ref().unchecked_ref())?;
        seen.forget();
        self.list.borrow_mut().set_observer(observer);
        let app = Rc::clone(self);
        self.page.listen("services", "click", false, move |e| {
            if let Some(name) = head_of(&e) {
                app.toggle(&name);
            }
        })?;
        let app = Rc::clone(self);
        self.page.listen("services", "keydown", false, move |e| {
            let key = e.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key);
            if matches!(key.as_deref(), Some("Enter" | " "))
                && let Some(name) = head_of(&e)
            {
                e.prevent_default();
                app.toggle(&name);
            }
        })?;
        // Scroll events do not bubble: caught on the way down instead.
        let app = Rc::clone(self);
        self.page.listen("services", "scroll", true, move |e| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            if let Some(name) = service_of(&target)
                && app.list.borrow_mut().scrolled(&name, &target)
            {
                app.dirty.borrow_mut().windows.insert(name);
                app.schedule();
            }
        })?;
        let app = Rc::clone(self);
        self.page.listen("filter", "input", false, move |_| {
            let text = app.page.value("filter").unwrap_or_default();
            {
                let mut options = app.options.borrow_mut();
                options.filter = Filter::parse(&text);
                options.filter_text = text;
            }
            app.update_address();
            app.redraw_all();
        })?;
        let app = Rc::clone(self);
        self.page.listen("sort", "change", false, move |_| {
            let value = app.page.value("sort").unwrap_or_default();
            app.options.borrow_mut().sort = SortBy::parse(&value);
            app.redraw_all();
        })?;
        let app = Rc::clone(self);
        self.page.listen("group-key", "input", false, move |_| {
            let key = app.page.value("group-key").unwrap_or_default();
            app.options.borrow_mut().group_key = key;
            app.redraw_all();
        })
    }

    /// Folds or unfolds `name`; an unfolded service's leases are read if due.
    fn toggle(self: &Rc<Self>, name: &str) {
        let open = {
            let mut options = self.options.borrow_mut();
            if !options.open.remove(name) {
                options.open.insert(name.to_owned());
                true
            } else {
                false
            }
        };
        if open {
            let due = self
                .fleet
                .borrow()
                .service(name)
                .is_some_and(|s| s.is_loaded() && s.leases_due(wall_ms()));
            if due {
                self.jobs
                    .borrow_mut()
                    .push(Job::Leases(name.to_owned()), true);
            }
        }
        self.dirty
            .borrow_mut()
            .services
            .entry(name.to_owned())
            .or_default();
        self.schedule();
        self.pump();
    }

    /// Every service's line and open table again (the view options changed).
    fn redraw_all(self: &Rc<Self>) {
        let mut dirty = self.dirty.borrow_mut();
        dirty.all = true;
        dirty.status = true;
        drop(dirty);
        self.schedule();
    }
}

/// The service whose line (`header.service-head`) an event happened on.
fn head_of(event: &Event) -> Option<String> {
    let target = event.target()?.dyn_into::<Element>().ok()?;
    let head = target.closest("header.service-head").ok().flatten()?;
    service_of(&head)
}
