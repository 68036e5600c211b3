//! View state to HTML: pure functions, every network-sourced string escaped with
//! [`escape::html`](crate::escape::html). The glue puts the results into the
//! page's elements: `#status`, each service's line and rows, `#call-result`.

mod call;
mod service;
mod status;

pub use call::call_result;
pub use service::{
    GROUPS_SHOWN, HeadView, INSTANCE_HEADINGS, LeaseCells, instance_row, lease_cells, service_head,
};
pub use status::{status, status_class};
