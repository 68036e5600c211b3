//! An unfolded service's instances: a scrolling box that renders only the rows
//! in view (plus a margin), each an element keyed by address and moved, re-drawn
//! or counted down on its own.

use std::collections::{BTreeSet, HashMap};

use wasm_bindgen::JsValue;
use web_sys::{Element, IntersectionObserver};

use super::dom::Page;
use crate::fleet::ServiceState;
use crate::format::count;
use crate::render::{INSTANCE_HEADINGS, LeaseCells, instance_row, lease_cells};
use crate::window::{ROW_HEIGHT_PX, rows_to_render, table_height};

/// How long a changed row (or service line) stays highlighted.
pub const HIGHLIGHT_MS: f64 = 3_000.0;

/// The rendered table of one unfolded service.
pub struct Table {
    root: Element,
    scroller: Element,
    spacer: Element,
    info: Element,
    /// The addresses to list, in order (the filter and the sort applied).
    order: Vec<String>,
    /// The rows in the page, by address.
    rows: HashMap<String, Row>,
    /// The scroller's position, as its last scroll event said (read there, so
    /// rendering never waits on layout).
    scroll_top: f64,
    /// Whether any of it is in the viewport, as the page's intersection observer
    /// last said (so the tick reads no layout).
    on_screen: bool,
}

/// One rendered row.
struct Row {
    el: Element,
    beat: Option<Element>,
    expires: Option<Element>,
    /// What its lease cells say now.
    cells: LeaseCells,
    /// Its position in `order`.
    index: usize,
    /// When its highlight ends; 0 when it has none.
    highlight_until: f64,
}

impl Table {
    /// An empty table, to be put into the service's section; `observer` is told
    /// to watch whether it is on screen.
    pub fn new(page: &Page, observer: Option<&IntersectionObserver>) -> Result<Table, JsValue> {
        let root = page.create("div", "instances")?;
        let headings = page.create("div", "row headings")?;
        headings.set_inner_html(INSTANCE_HEADINGS);
        let scroller = page.create("div", "scroller")?;
        let spacer = page.create("div", "spacer")?;
        let info = page.create("p", "window-info")?;
        scroller.append_child(&spacer)?;
        root.append_child(&headings)?;
        root.append_child(&scroller)?;
        root.append_child(&info)?;
        if let Some(observer) = observer {
            observer.observe(&scroller);
        }
        Ok(Table {
            root,
            scroller,
            spacer,
            info,
            order: Vec::new(),
            rows: HashMap::new(),
            scroll_top: 0.0,
            on_screen: false,
        })
    }

    /// Takes the table out of the page (and out of `observer`'s watch).
    pub fn remove(self, observer: Option<&IntersectionObserver>) {
        if let Some(observer) = observer {
            observer.unobserve(&self.scroller);
        }
        self.root.remove();
    }

    /// Whether it is on screen, as last observed.
    pub fn is_on_screen(&self) -> bool {
        self.on_screen
    }

    /// The observer says whether it is on screen.
    pub fn set_on_screen(&mut self, on_screen: bool) {
        self.on_screen = on_screen;
    }

    pub fn root(&self) -> &Element {
        &self.root
    }

    pub fn scroller(&self) -> &Element {
        &self.scroller
    }

    /// Remembers where the user scrolled to.
    pub fn scrolled(&mut self, scroll_top: f64) {
        self.scroll_top = scroll_top;
    }

    /// Takes a new order of rows (after a change, the filter or the sort).
    pub fn set_order(&mut self, order: Vec<String>) {
        if order.len() != self.order.len() {
            // Row counts are far below 2^52: exact.
            let total = order.len() as f64 * ROW_HEIGHT_PX;
            let _ = self
                .spacer
                .set_attribute("style", &format!("height:{total}px"));
            let _ = self
                .scroller
                .set_attribute("style", &format!("height:{}px", table_height(order.len())));
            let text = if order.len() > crate::window::ROWS_SHOWN {
                format!("{}, scroll for more", count(order.len(), "row"))
            } else {
                String::new()
            };
            self.info.set_text_content(Some(&text));
        }
        self.order = order;
    }

    /// Renders the rows in view at `now_ms`: new ones created, those that left
    /// removed, moved ones moved, and those in `changed` drawn again.
    pub fn render(
        &mut self,
        page: &Page,
        service: &ServiceState,
        changed: &BTreeSet<String>,
        now_ms: f64,
    ) -> Result<(), JsValue> {
        let height = table_height(self.order.len());
        // Row counts are far below 2^52: exact.
        let max_top = (self.order.len() as f64 * ROW_HEIGHT_PX - height).max(0.0);
        let top = self.scroll_top.min(max_top);
        let range = rows_to_render(top, height, ROW_HEIGHT_PX, self.order.len());
        let wanted: BTreeSet<&str> = self.order[range.clone()]
            .iter()
            .map(String::as_str)
            .collect();
        self.rows.retain(|addr, row| {
            let keep = wanted.contains(addr.as_str());
            if !keep {
                row.el.remove();
            }
            keep
        });
        for index in range {
            let addr = &self.order[index];
            let Some(instance) = service.instances.get(addr) else {
                continue;
            };
            match self.rows.get_mut(addr) {
                Some(row) => {
                    if row.index != index {
                        row.index = index;
                        place(&row.el, index);
                    }
                    if changed.contains(addr) {
                        row.el.set_inner_html(&instance_row(instance, now_ms));
                        row.cells = lease_cells(instance.lease, now_ms);
                        (row.beat, row.expires) = lease_elements(&row.el);
                        row.highlight_until = highlight(&row.el, instance.changed_at, now_ms);
                    } else {
                        row.count_down(instance.lease, now_ms);
                    }
                }
                None => {
                    let el = page.create("div", "row instance")?;
                    el.set_attribute("data-addr", addr)?;
                    place(&el, index);
                    el.set_inner_html(&instance_row(instance, now_ms));
                    let highlight_until = highlight(&el, instance.changed_at, now_ms);
                    let (beat, expires) = lease_elements(&el);
                    self.spacer.append_child(&el)?;
                    self.rows.insert(
                        addr.clone(),
                        Row {
                            el,
                            beat,
                            expires,
                            cells: lease_cells(instance.lease, now_ms),
                            index,
                            highlight_until,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The once-a-second update of the rows in the page: lease cells and
    /// highlights that ended.
    pub fn tick(&mut self, service: &ServiceState, now_ms: f64) {
        for (addr, row) in &mut self.rows {
            if let Some(instance) = service.instances.get(addr) {
                row.count_down(instance.lease, now_ms);
            }
            if row.highlight_until > 0.0 && now_ms >= row.highlight_until {
                row.highlight_until = 0.0;
                row.el.set_class_name("row instance");
            }
        }
    }
}

impl Row {
    /// Rewrites the lease cells whose text changed.
    fn count_down(&mut self, lease: Option<crate::fleet::LeaseStamp>, now_ms: f64) {
        let cells = lease_cells(lease, now_ms);
        if cells.beat != self.cells.beat
            && let Some(beat) = &self.beat
        {
            beat.set_text_content(Some(&cells.beat));
        }
        if (cells.expires != self.cells.expires || cells.expired != self.cells.expired)
            && let Some(expires) = &self.expires
        {
            expires.set_text_content(Some(&cells.expires));
            let class = if cells.expired {
                "cell num expires expired"
            } else {
                "cell num expires"
            };
            expires.set_class_name(class);
        }
        self.cells = cells;
    }
}

/// Puts a row at its place in the list.
fn place(el: &Element, index: usize) {
    // Row indexes are far below 2^52: exact.
    let top = index as f64 * ROW_HEIGHT_PX;
    let _ = el.set_attribute("style", &format!("top:{top}px"));
}

/// The row's last two cells: the heartbeat age and the time left.
fn lease_elements(row: &Element) -> (Option<Element>, Option<Element>) {
    let expires = row.last_element_child();
    let beat = expires.as_ref().and_then(Element::previous_element_sibling);
    (beat, expires)
}

/// Highlights a row that changed recently; answers when the highlight ends.
fn highlight(el: &Element, changed_at: Option<f64>, now_ms: f64) -> f64 {
    match changed_at {
        Some(at) if now_ms - at < HIGHLIGHT_MS => {
            el.set_class_name("row instance changed");
            at + HIGHLIGHT_MS
        }
        _ => {
            el.set_class_name("row instance");
            0.0
        }
    }
}
