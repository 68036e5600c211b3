//! `rollcall watch SERVICE [--json]`: follows a service and prints one line per
//! change as it happens, until told to stop (Ctrl-C or SIGTERM).
//!
//! It is [`RegistryClient::watch`](rollcall_client::RegistryClient::watch) folded
//! into a [`ServiceView`]: the list as first seen prints as one `register` line per
//! instance, then each change as it comes; when the stream had to list again (the
//! registry restarted, or its change log moved on) the differences with the last
//! list print. Failures print on stderr, one line each, and the watch goes on.

use std::future::Future;
use std::io::{ErrorKind, Write};
use std::pin::pin;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use rollcall_client::protocol::{ChangeEvent, ListVersion};
use rollcall_client::{ServiceView, WatchEvent};

use super::format::{millis, utc};
use super::{CliError, RegistryArg};

/// Arguments of `rollcall watch`.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// The service to follow.
    pub service: String,
    /// Print each change as a JSON object, one per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArg,
}

/// Follows the service until `stop` completes: changes on stdout, failures and
/// notes on stderr. Fails only on an argument refused before anything is sent, or
/// when stdout cannot be written (a closed pipe just ends the watch).
pub async fn run(args: WatchArgs, stop: impl Future<Output = ()>) -> Result<(), CliError> {
    let url = &args.registry.url;
    let client = args.registry.client(&args.service)?;
    let mut stream = client
        .watch(&args.service)
        .map_err(|e| CliError::from_client(url, e))?;
    let mut view = ServiceView::new();
    let mut notes = Notes::default();
    let mut stop = pin!(stop);
    loop {
        let event = tokio::select! {
            () = &mut stop => return Ok(()),
            event = stream.next() => event,
        };
        // A watch never ends; were it to, there is nothing more to print.
        let Some(event) = event else { return Ok(()) };
        if let WatchEvent::Failed { error, retry_in } = event {
            let error = CliError::from_client(url, error);
            eprintln!(
                "rollcall watch: {error}; retrying in {}",
                duration(retry_in)
            );
            notes.failing = true;
            continue;
        }
        let before = view.version();
        let changes = view.apply(&event);
        for note in notes.after(url, before, view.version()) {
            eprintln!("{note}");
        }
        // Wall-clock time, for people and logs to read; nothing depends on it.
        let now = utc(SystemTime::now());
        let mut out = String::new();
        for change in &changes {
            out.push_str(&line(&now, change, args.json)?);
        }
        if !write_out(&out)? {
            return Ok(());
        }
    }
}

/// What stderr has been told, so each note is given once.
#[derive(Debug, Default)]
struct Notes {
    failing: bool,
    warming: bool,
}

impl Notes {
    /// The notes for stderr after an item took the view from `before` to `after`.
    fn after(
        &mut self,
        url: &str,
        before: Option<ListVersion>,
        after: Option<ListVersion>,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        if std::mem::take(&mut self.failing) {
            notes.push(format!(
                "rollcall watch: the registry at {url} answers again"
            ));
        }
        let warming = after.is_some_and(|v| v.warming);
        let restarted = matches!((before, after), (Some(b), Some(a)) if b.epoch != a.epoch);
        if restarted && warming {
            notes.push(
                "rollcall watch: the registry restarted and warms up: instances that have \
                 not beaten since print as deregister, and register again as they beat"
                    .to_owned(),
            );
        } else if restarted {
            notes.push(
                "rollcall watch: the registry restarted; changes from its last list follow"
                    .to_owned(),
            );
        } else if warming && !self.warming {
            notes.push(
                "note: the registry is warming up after its start; instances that have not \
                 beaten since are missing"
                    .to_owned(),
            );
        }
        self.warming = warming;
        notes
    }
}

/// Writes `out` to stdout at once; `false` when stdout was closed (the reader went
/// away: the watch ends quietly).
fn write_out(out: &str) -> Result<bool, CliError> {
    if out.is_empty() {
        return Ok(true);
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::Invalid(format!("cannot write to stdout: {e}"))),
    }
}

/// One change as a line: `time  type  addr  weight=N  ttl=D  k=v,...` (metadata
/// `-` when none), or the change's JSON (its wire shape) with `time` added.
fn line(time: &str, change: &ChangeEvent, json: bool) -> Result<String, CliError> {
    if json {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            time: &'a str,
            #[serde(flatten)]
            change: &'a ChangeEvent,
        }
        let mut text = serde_json::to_string(&Line { time, change })
            .map_err(|e| CliError::Invalid(e.to_string()))?;
        text.push('\n');
        return Ok(text);
    }
    let instance = &change.instance;
    let ttl = match instance.ttl_ms {
        0 => "never".to_owned(),
        ms => millis(ms),
    };
    let metadata: Vec<String> = instance
        .metadata
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let metadata = if metadata.is_empty() {
        "-".to_owned()
    } else {
        metadata.join(",")
    };
    Ok(format!(
        "{time}  {:<10}  {}  weight={}  ttl={ttl}  {metadata}\n",
        change.kind.as_str(),
        instance.addr,
        instance.weight
    ))
}

fn duration(d: Duration) -> String {
    millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use rollcall_client::Instance;
    use rollcall_client::protocol::ChangeKind;

    use super::*;

    fn change(kind: ChangeKind) -> ChangeEvent {
        let mut instance = Instance::from_addr("10.0.0.7:8080");
        instance
            .metadata
            .insert("zone".to_owned(), "eu-1".to_owned());
        instance.metadata.insert("v".to_owned(), "2".to_owned());
        instance.weight = 3;
        instance.ttl_ms = 30_000;
        ChangeEvent {
            revision: 4,
            kind,
            instance,
        }
    }

    #[test]
    fn a_change_is_one_line_of_time_type_address_and_metadata() {
        let time = "2025-06-01T12:34:56.789Z";
        assert_eq!(
            line(time, &change(ChangeKind::Register), false).expect("line"),
            "2025-06-01T12:34:56.789Z  register    10.0.0.7:8080  weight=3  ttl=30.0s  v=2,zone=eu-1\n"
        );
        let mut bare = change(ChangeKind::Expire);
        bare.instance.metadata.clear();
        bare.instance.ttl_ms = 0;
        assert_eq!(
            line(time, &bare, false).expect("line"),
            "2025-06-01T12:34:56.789Z  expire      10.0.0.7:8080  weight=3  ttl=never  -\n"
        );
    }

    #[test]
    fn json_lines_are_the_wire_shape_with_the_time() {
        let text = line("t", &change(ChangeKind::Deregister), true).expect("json");
        assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["time"], "t");
        assert_eq!(value["type"], "deregister");
        assert_eq!(value["revision"], 4);
        let back: ChangeEvent = serde_json::from_str(&text).expect("a ChangeEvent");
        assert_eq!(back, change(ChangeKind::Deregister));
    }

    #[test]
    fn stderr_says_when_the_registry_is_back_restarted_or_warming() {
        let at = |epoch, warming| {
            Some(ListVersion {
                epoch,
                revision: 1,
                warming,
            })
        };
        let mut notes = Notes::default();
        let first = notes.after("http://r", None, at(1, true));
        assert_eq!(first.len(), 1);
        assert!(first[0].starts_with("note: the registry is warming up"));
        assert!(notes.after("http://r", at(1, true), at(1, true)).is_empty());
        assert!(
            notes
                .after("http://r", at(1, true), at(1, false))
                .is_empty()
        );
        notes.failing = true;
        let back = notes.after("http://r", at(1, false), at(2, true));
        assert_eq!(back.len(), 2);
        assert_eq!(
            back[0],
            "rollcall watch: the registry at http://r answers again"
        );
        assert!(back[1].contains("restarted and warms up"), "{}", back[1]);
        let again = notes.after("http://r", at(2, true), at(3, false));
        assert_eq!(
            again,
            ["rollcall watch: the registry restarted; changes from its last list follow"]
        );
        assert!(
            notes
                .after("http://r", at(3, false), at(3, false))
                .is_empty()
        );
    }
}
