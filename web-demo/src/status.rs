//! How the page stands with the registry: connecting, live, or cut off with a
//! stale view on screen.

/// How the last exchange with the registry went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// No answer yet from this registry.
    Connecting,
    /// The watch is answered: what is shown is current.
    Live,
    /// The last request failed, with the client's error message. What is on
    /// screen stays, marked stale.
    Unreachable { error: String },
}

/// What the status line says.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The registry's base URL in use.
    pub registry: String,
    pub connection: Connection,
    /// When the registry last answered, on the page's wall clock, with that
    /// moment as a time of day; `None` before it ever did.
    pub last_heard: Option<(f64, String)>,
    /// The registry says it is warming up after a start (lists may be short).
    pub warming: bool,
}

impl Status {
    /// A page that has not heard from `registry` yet.
    pub fn new(registry: String) -> Status {
        Status {
            registry,
            connection: Connection::Connecting,
            last_heard: None,
            warming: false,
        }
    }

    /// The registry answered at `now_ms` (`label`: the time of day).
    pub fn heard(&mut self, now_ms: f64, label: String, warming: bool) {
        self.connection = Connection::Live;
        self.last_heard = Some((now_ms, label));
        self.warming = warming;
    }

    /// A request failed: what is shown stays, stale.
    pub fn failed(&mut self, error: String) {
        self.connection = Connection::Unreachable { error };
    }

    /// Whether the page shows a view the registry no longer confirms.
    pub fn is_stale(&self) -> bool {
        self.last_heard.is_some() && matches!(self.connection, Connection::Unreachable { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_an_answer_is_stale_before_one_an_error() {
        let mut status = Status::new("http://r".to_owned());
        status.failed("refused".to_owned());
        assert!(!status.is_stale(), "nothing shown yet, so nothing stale");
        status.heard(1.0, "12:00:00".to_owned(), false);
        assert_eq!(status.connection, Connection::Live);
        status.failed("refused".to_owned());
        assert!(status.is_stale());
        status.heard(2.0, "12:00:01".to_owned(), true);
        assert!(!status.is_stale() && status.warming);
    }
}
