//! The DOM operations the dashboard needs, with errors instead of panics: a page
//! edited into a shape the code does not expect logs an error and keeps running.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, Performance, Window};

/// The page the dashboard runs in.
#[derive(Debug, Clone)]
pub struct Page {
    window: Window,
    document: Document,
    performance: Option<Performance>,
}

impl Page {
    /// The current page; fails outside a window (a worker, say).
    pub fn current() -> Result<Page, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        let performance = window.performance();
        Ok(Page {
            window,
            document,
            performance,
        })
    }

    pub fn window(&self) -> &Window {
        &self.window
    }

    /// The element with `id`, or an error naming it.
    pub fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("the page has no #{id}")))
    }

    /// A new `<tag class="class">`, not yet in the page.
    pub fn create(&self, tag: &str, class: &str) -> Result<Element, JsValue> {
        let el = self.document.create_element(tag)?;
        el.set_class_name(class);
        Ok(el)
    }

    /// Replaces the content of `#id` with `html` (already escaped by `render`),
    /// unless it is already that, so selections and hover states survive.
    pub fn set_html(&self, id: &str, html: &str) {
        match self.element(id) {
            Ok(el) if el.inner_html() != html => el.set_inner_html(html),
            Ok(_) => {}
            Err(e) => log_error(&e),
        }
    }

    /// Sets the `class` attribute of `#id`.
    pub fn set_class(&self, id: &str, class: &str) {
        match self.element(id) {
            Ok(el) => el.set_class_name(class),
            Err(e) => log_error(&e),
        }
    }

    /// The `value` of the form control `#id` (input, select or textarea).
    pub fn value(&self, id: &str) -> Result<String, JsValue> {
        let el = self.element(id)?;
        js_sys::Reflect::get(&el, &JsValue::from_str("value"))?
            .as_string()
            .ok_or_else(|| JsValue::from_str(&format!("#{id} has no text value")))
    }

    /// Sets the `value` of the form control `#id`.
    pub fn set_value(&self, id: &str, value: &str) {
        let set = self.element(id).and_then(|el| {
            js_sys::Reflect::set(&el, &JsValue::from_str("value"), &JsValue::from_str(value))
        });
        if let Err(e) = set {
            log_error(&e);
        }
    }

    /// Calls `handler` on each `event` (`"click"`, `"submit"`) of `#id`, with the
    /// browser's default action (such as a form's navigation) prevented.
    pub fn on(
        &self,
        id: &str,
        event: &str,
        mut handler: impl FnMut() + 'static,
    ) -> Result<(), JsValue> {
        self.listen(id, event, false, move |e: Event| {
            e.prevent_default();
            handler();
        })
    }

    /// Calls `handler` with each `event` that reaches `#id`; with `capture`, also
    /// events that do not bubble (a scroll inside it).
    ///
    /// The listener lives as long as the page, so its closure is deliberately leaked
    /// (`Closure::forget`): there is no moment at which it could be dropped.
    pub fn listen(
        &self,
        id: &str,
        event: &str,
        capture: bool,
        handler: impl FnMut(Event) + 'static,
    ) -> Result<(), JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(handler);
        self.element(id)?
            .add_event_listener_with_callback_and_bool(
                event,
                closure.as_ref().unchecked_ref(),
                capture,
            )?;
        closure.forget();
        Ok(())
    }

    /// The page's query string (`?registry=...`) and origin.
    pub fn location(&self) -> Result<(String, String), JsValue> {
        let location = self.window.location();
        Ok((location.search()?, location.origin()?))
    }

    /// Puts `query` in the address bar without reloading (the bare path when it is
    /// empty), so a reload or a copied link shows the same view.
    pub fn replace_query(&self, query: &str) {
        let url = if query.is_empty() {
            self.window
                .location()
                .pathname()
                .unwrap_or_else(|_| "/".to_owned())
        } else {
            query.to_owned()
        };
        let replaced = self
            .window
            .history()
            .and_then(|history| history.replace_state_with_url(&JsValue::NULL, "", Some(&url)));
        if let Err(e) = replaced {
            log_error(&e);
        }
    }

    /// Starts timing `name` (a User Timing mark); [`end`](Page::end) measures it.
    pub fn begin(&self, name: &str) {
        if let Some(performance) = &self.performance {
            let _ = performance.mark(&format!("{name} start"));
        }
    }

    /// Records `name` as a User Timing measure since its [`begin`](Page::begin),
    /// visible in the browser's performance tools and to the benchmark, then
    /// clears it so the browser's buffer stays empty (observers have it already).
    pub fn end(&self, name: &str) {
        let Some(performance) = &self.performance else {
            return;
        };
        let start = format!("{name} start");
        let _ = performance.measure_with_start_mark(name, &start);
        performance.clear_marks_with_mark_name(&start);
        performance.clear_measures_with_measure_name(name);
    }

    /// Adds a User Timing mark `name` (kept: it marks a moment that happens once).
    pub fn mark(&self, name: &str) {
        if let Some(performance) = &self.performance {
            let _ = performance.mark(name);
        }
    }
}

impl Page {
    /// The tab's `sessionStorage`: what is kept there leaves with the tab.
    fn session(&self) -> Option<web_sys::Storage> {
        match self.window.session_storage() {
            Ok(storage) => storage,
            Err(e) => {
                log_error(&e);
                None
            }
        }
    }

    /// The value kept for the tab under `key`, if any.
    pub fn session_get(&self, key: &str) -> Option<String> {
        self.session()?.get_item(key).ok().flatten()
    }

    /// Keeps `value` for the tab under `key`, or forgets it (`None`).
    pub fn session_set(&self, key: &str, value: Option<&str>) {
        let Some(storage) = self.session() else {
            return;
        };
        let done = match value {
            Some(value) => storage.set_item(key, value),
            None => storage.remove_item(key),
        };
        if let Err(e) = done {
            log_error(&e);
        }
    }
}

/// Logs `error` to the browser console.
pub fn log_error(error: &JsValue) {
    web_sys::console::error_1(error);
}

/// Now on the page's wall clock, in milliseconds: the clock of every time the
/// dashboard shows (leases, changes). Display only: timeouts and sleeps go through
/// `rollcall_client::rt`.
pub fn wall_ms() -> f64 {
    js_sys::Date::now()
}

/// `ms` on the wall clock as a local time of day, `12:03:04`.
pub fn time_of_day(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    String::from(date.to_locale_time_string("en-GB"))
}
