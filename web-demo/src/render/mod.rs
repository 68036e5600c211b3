//! View state to HTML: pure functions, every network-sourced string escaped with
//! [`escape::html`](crate::escape::html). The glue assigns the results to the
//! `innerHTML` of the page's fixed elements (`#status`, `#services`, `#call-result`).

mod call;
mod dashboard;

pub use call::call_result;
pub use dashboard::{services, status, status_class};
