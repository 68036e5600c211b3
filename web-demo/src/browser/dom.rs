//! The few DOM operations the dashboard needs, by element id, with errors instead
//! of panics: a page edited into a shape the code does not expect logs an error and
//! keeps running.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, Window};

/// The page the dashboard runs in.
#[derive(Debug, Clone)]
pub struct Page {
    window: Window,
    document: Document,
}

impl Page {
    /// The current page; fails outside a window (a worker, say).
    pub fn current() -> Result<Page, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        Ok(Page { window, document })
    }

    /// The element with `id`, or an error naming it.
    pub fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("the page has no #{id}")))
    }

    /// Replaces the content of `#id` with `html` (already escaped by `render`).
    /// Skips the write when nothing changed, so text selections and hover states
    /// survive a refresh that found the same list.
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
    ///
    /// The listener lives as long as the page, so its closure is deliberately leaked
    /// (`Closure::forget`): there is no moment at which it could be dropped.
    pub fn on(
        &self,
        id: &str,
        event: &str,
        handler: impl FnMut() + 'static,
    ) -> Result<(), JsValue> {
        let mut handler = handler;
        let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            e.prevent_default();
            handler();
        });
        self.element(id)?
            .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
        closure.forget();
        Ok(())
    }

    /// The page's query string (`?registry=...`) and origin.
    pub fn location(&self) -> Result<(String, String), JsValue> {
        let location = self.window.location();
        Ok((location.search()?, location.origin()?))
    }

    /// Puts `query` in the address bar without reloading, so a reload or a copied
    /// link keeps the registry chosen in the page.
    pub fn replace_query(&self, query: &str) {
        let replaced = self
            .window
            .history()
            .and_then(|history| history.replace_state_with_url(&JsValue::NULL, "", Some(query)));
        if let Err(e) = replaced {
            log_error(&e);
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

/// Now on the page's wall clock, in milliseconds, with the same moment as a local
/// time of day for the status line. Used for display only: timeouts and sleeps go
/// through `rollcall_client::rt`.
pub fn wall_clock() -> (f64, String) {
    let now = js_sys::Date::new_0();
    let label = String::from(now.to_locale_time_string("en-GB"));
    (now.get_time(), label)
}
