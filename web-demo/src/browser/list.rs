//! The service list in the page: one `<section>` per service, keyed by name, in
//! name order; its line re-drawn only when it changed, its table only while it is
//! unfolded. Nothing here re-renders the whole list.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use wasm_bindgen::JsValue;
use web_sys::{Element, IntersectionObserver};

use super::dom::{Page, time_of_day};
use super::table::{HIGHLIGHT_MS, Table};
use crate::filter::Filter;
use crate::fleet::Fleet;
use crate::overview::{SortBy, ordered, summarize};
use crate::render::{HeadView, service_head};

/// What the user chose to see.
#[derive(Debug, Default)]
pub struct ViewOptions {
    /// The filter box as typed.
    pub filter_text: String,
    pub filter: Filter,
    pub sort: SortBy,
    /// The metadata key services are counted by.
    pub group_key: String,
    /// Unfolded services.
    pub open: BTreeSet<String>,
}

/// The `#services` element's content.
pub struct ServiceList {
    wrapper: Element,
    empty: Element,
    sections: BTreeMap<String, ServiceDom>,
    /// Tells which tables are on screen.
    observer: Option<IntersectionObserver>,
}

/// One service's section.
struct ServiceDom {
    section: Element,
    head: Element,
    head_html: String,
    shown: bool,
    /// Its instances that match the filter, for the totals.
    matching: usize,
    /// Whether its line shows a drop mark.
    dropped: bool,
    /// When its highlight ends; 0 when it has none.
    highlight_until: f64,
    table: Option<Table>,
}

/// What the once-a-second tick found.
#[derive(Debug, Default)]
pub struct TickFound {
    /// Unfolded services on screen whose leases are due to be read again.
    pub leases_due: Vec<String>,
    /// Services whose line must be drawn again (a drop mark came or went).
    pub lines: Vec<String>,
}

impl ServiceList {
    /// Takes over `#services`.
    pub fn new(page: &Page) -> Result<ServiceList, JsValue> {
        let root = page.element("services")?;
        root.set_inner_html("");
        let empty = page.create("p", "empty")?;
        let wrapper = page.create("div", "service-list")?;
        root.append_child(&empty)?;
        root.append_child(&wrapper)?;
        Ok(ServiceList {
            wrapper,
            empty,
            sections: BTreeMap::new(),
            observer: None,
        })
    }

    /// The observer that tells which tables are on screen ([`ServiceList::seen`]).
    pub fn set_observer(&mut self, observer: IntersectionObserver) {
        self.observer = Some(observer);
    }

    /// The observer says whether `scroller` is on screen; a table coming into
    /// view is counted down at once rather than at the next tick.
    pub fn seen(&mut self, scroller: &Element, on_screen: bool, fleet: &Fleet, now_ms: f64) {
        let Some(name) = service_of(scroller) else {
            return;
        };
        let table = self.sections.get_mut(&name).and_then(|d| d.table.as_mut());
        if let Some(table) = table
            && table.scroller() == scroller
        {
            if on_screen
                && !table.is_on_screen()
                && let Some(service) = fleet.service(&name)
            {
                table.tick(service, now_ms);
            }
            table.set_on_screen(on_screen);
        }
    }

    /// Empties the list (another registry).
    pub fn clear(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
        self.wrapper.set_inner_html("");
        self.sections.clear();
    }

    /// Marks the whole list stale (the registry stopped answering) or current.
    pub fn set_stale(&self, stale: bool) {
        let class = if stale {
            "service-list stale"
        } else {
            "service-list"
        };
        if self.wrapper.class_name() != class {
            self.wrapper.set_class_name(class);
        }
    }

    /// The line under the list when it has nothing to show (empty: hidden).
    pub fn set_empty_text(&self, text: &str) {
        if self.empty.text_content().as_deref() != Some(text) {
            self.empty.set_text_content(Some(text));
        }
    }

    /// Services shown and their matching instances.
    pub fn shown(&self) -> (usize, usize) {
        self.sections
            .values()
            .filter(|s| s.shown)
            .fold((0, 0), |(n, m), s| (n + 1, m + s.matching))
    }

    /// Brings the section of `name` in line with the fleet: created, updated or
    /// removed; its table too when unfolded. `changed`: its rows to draw again.
    pub fn sync(
        &mut self,
        page: &Page,
        fleet: &Fleet,
        options: &ViewOptions,
        name: &str,
        changed: &BTreeSet<String>,
        now_ms: f64,
    ) -> Result<(), JsValue> {
        let Some(service) = fleet.service(name) else {
            if let Some(dom) = self.sections.remove(name) {
                if let Some(table) = dom.table {
                    table.remove(self.observer.as_ref());
                }
                dom.section.remove();
            }
            return Ok(());
        };
        if !self.sections.contains_key(name) {
            let dom = ServiceDom::new(page, name)?;
            let next = self
                .sections
                .range::<str, _>((Bound::Excluded(name), Bound::Unbounded))
                .next()
                .map(|(_, dom)| dom.section.clone());
            self.wrapper
                .insert_before(&dom.section, next.as_ref().map(AsRef::as_ref))?;
            self.sections.insert(name.to_owned(), dom);
        }
        let Some(dom) = self.sections.get_mut(name) else {
            return Ok(());
        };
        let summary = summarize(service, &options.filter, &options.group_key);
        let open = options.open.contains(name);
        let drop = service.drop_at(now_ms);
        let changed_label = service.changed_at.map(time_of_day);
        let html = service_head(&HeadView {
            name,
            summary: &summary,
            total: service.count(),
            loaded: service.is_loaded(),
            open,
            filtered: !options.filter.is_empty(),
            drop,
            changed: changed_label.as_deref(),
            group_key: &options.group_key,
        });
        if html != dom.head_html {
            dom.head.set_inner_html(&html);
            dom.head_html = html;
        }
        dom.dropped = drop.is_some();
        dom.matching = summary.matching;
        dom.set_shown(summary.shown);
        dom.set_open(open);
        dom.highlight(service.changed_at, now_ms);
        if open && summary.shown {
            if dom.table.is_none() {
                let table = Table::new(page, self.observer.as_ref())?;
                dom.section.append_child(table.root())?;
                dom.table = Some(table);
            }
            if let Some(table) = &mut dom.table {
                table.set_order(ordered(service, &options.filter, options.sort));
                table.render(page, service, changed, now_ms)?;
            }
        } else if let Some(table) = dom.table.take() {
            table.remove(self.observer.as_ref());
        }
        Ok(())
    }

    /// Renders the rows now in view of `name`'s table (after a scroll).
    pub fn window(&mut self, page: &Page, fleet: &Fleet, name: &str, now_ms: f64) {
        let table = self.sections.get_mut(name).and_then(|d| d.table.as_mut());
        if let (Some(table), Some(service)) = (table, fleet.service(name)) {
            let rendered = table.render(page, service, &BTreeSet::new(), now_ms);
            if let Err(e) = rendered {
                super::dom::log_error(&e);
            }
        }
    }

    /// Remembers where `name`'s table is scrolled to, read from its scroller.
    pub fn scrolled(&mut self, name: &str, scroller: &Element) -> bool {
        match self.sections.get_mut(name).and_then(|d| d.table.as_mut()) {
            Some(table) if table.scroller() == scroller => {
                table.scrolled(f64::from(scroller.scroll_top()));
                true
            }
            _ => false,
        }
    }

    /// The once-a-second update: counts down the rows of tables on screen, ends
    /// highlights, and reports leases due and drop marks that changed.
    pub fn tick(&mut self, fleet: &Fleet, now_ms: f64) -> TickFound {
        let mut found = TickFound::default();
        for (name, dom) in &mut self.sections {
            let Some(service) = fleet.service(name) else {
                continue;
            };
            if dom.highlight_until > 0.0 && now_ms >= dom.highlight_until {
                dom.highlight_until = 0.0;
                let _ = dom.head.set_attribute("class", "service-head");
            }
            if dom.dropped != service.drop_at(now_ms).is_some() {
                found.lines.push(name.clone());
            }
            if let Some(table) = &mut dom.table
                && dom.shown
                && table.is_on_screen()
            {
                table.tick(service, now_ms);
                if service.leases_due(now_ms) {
                    found.leases_due.push(name.clone());
                }
            }
        }
        found
    }
}

impl ServiceDom {
    fn new(page: &Page, name: &str) -> Result<ServiceDom, JsValue> {
        let section = page.create("section", "service")?;
        section.set_attribute("data-service", name)?;
        let head = page.create("header", "service-head")?;
        head.set_attribute("role", "button")?;
        head.set_attribute("tabindex", "0")?;
        head.set_attribute("aria-expanded", "false")?;
        section.append_child(&head)?;
        Ok(ServiceDom {
            section,
            head,
            head_html: String::new(),
            shown: true,
            matching: 0,
            dropped: false,
            highlight_until: 0.0,
            table: None,
        })
    }

    fn set_shown(&mut self, shown: bool) {
        if shown != self.shown {
            self.shown = shown;
            let _ = if shown {
                self.section.remove_attribute("hidden")
            } else {
                self.section.set_attribute("hidden", "")
            };
        }
    }

    fn set_open(&self, open: bool) {
        let value = if open { "true" } else { "false" };
        if self.head.get_attribute("aria-expanded").as_deref() != Some(value) {
            let _ = self.head.set_attribute("aria-expanded", value);
        }
    }

    fn highlight(&mut self, changed_at: Option<f64>, now_ms: f64) {
        let until = match changed_at {
            Some(at) if now_ms - at < HIGHLIGHT_MS => at + HIGHLIGHT_MS,
            _ => 0.0,
        };
        if until != self.highlight_until {
            let class = if until > 0.0 {
                "service-head changed"
            } else {
                "service-head"
            };
            let _ = self.head.set_attribute("class", class);
            self.highlight_until = until;
        }
    }
}

/// The service an event happened in: the `data-service` of the nearest section.
pub fn service_of(target: &Element) -> Option<String> {
    target
        .closest("section.service")
        .ok()
        .flatten()?
        .get_attribute("data-service")
}
