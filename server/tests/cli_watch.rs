//! `rollcall watch` as a user runs it: the real binary, as a child process,
//! following a registry served in this test, read line by line, stopped by SIGTERM.

pub mod common;

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use common::{TestServer, in_eu};
use rollcall_protocol::{ChangeEvent, ChangeKind};
use rollcall_server::{HttpConfig, Registry, RegistryConfig, serve_registry};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

/// How long any line or exit may take: generous, for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `rollcall watch`, its output read line by line.
struct Watch {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
}

impl Watch {
    fn start(registry: &str, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollcall"))
            .arg("watch")
            .args(args)
            .args(["--registry", registry])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Watch {
            child,
            stdout,
            stderr,
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.stdout.next_line())
            .await
            .expect("a line in time")
            .expect("read")
            .expect("still running")
    }

    /// The next stdout line, split on whitespace.
    async fn fields(&mut self) -> Vec<String> {
        let line = self.line().await;
        line.split_whitespace().map(str::to_owned).collect()
    }

    async fn error_line(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.stderr.next_line())
            .await
            .expect("a line in time")
            .expect("read")
            .expect("still running")
    }

    /// Sends SIGTERM and waits for the exit.
    async fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
        assert!(killed.is_ok_and(|s| s.success()));
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("exited in time")
            .expect("wait")
    }
}

#[tokio::test]
async fn prints_the_list_then_each_change_until_sigterm() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    registry
        .register("echo", in_eu("a:1", 3))
        .expect("register");
    let mut watch = Watch::start(&format!("http://{}", server.addr), &["echo"]);

    // The list as first seen: one register line per instance.
    let first = watch.fields().await;
    assert_eq!(
        first[1..],
        ["register", "a:1", "weight=3", "ttl=30.0s", "zone=eu-1"]
    );
    let time = &first[0];
    assert!(
        time.len() == 24 && time.ends_with('Z') && time.contains('T'),
        "{time}"
    );

    registry
        .register("echo", in_eu("b:1", 1))
        .expect("register");
    assert_eq!(watch.fields().await[1..3], ["register", "b:1"]);
    registry.register("echo", in_eu("a:1", 5)).expect("update");
    assert_eq!(watch.fields().await[1..4], ["update", "a:1", "weight=5"]);
    registry.deregister("echo", "b:1").expect("deregister");
    assert_eq!(watch.fields().await[1..3], ["deregister", "b:1"]);

    let status = watch.terminate().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn json_prints_one_change_event_per_line() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    registry
        .register("echo", in_eu("a:1", 1))
        .expect("register");
    let mut watch = Watch::start(&format!("http://{}", server.addr), &["echo", "--json"]);
    let parse = |line: &str| -> (serde_json::Value, ChangeEvent) {
        let value = serde_json::from_str(line).expect("JSON");
        let event = serde_json::from_str(line).expect("a ChangeEvent");
        (value, event)
    };
    let (value, first) = parse(&watch.line().await);
    assert!(value["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        (first.kind, first.instance.addr.as_str()),
        (ChangeKind::Register, "a:1")
    );
    assert_eq!(first.instance.metadata["zone"], "eu-1");
    registry.deregister("echo", "a:1").expect("deregister");
    let (_, gone) = parse(&watch.line().await);
    assert_eq!(
        (gone.kind, gone.instance.addr.as_str()),
        (ChangeKind::Deregister, "a:1")
    );
    assert_eq!(gone.revision, registry.revision());
    assert!(watch.terminate().await.success());
}

#[tokio::test]
async fn failures_go_to_stderr_and_the_watch_reconnects_by_itself() {
    // A port nobody listens on yet.
    let addr: SocketAddr = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let mut watch = Watch::start(&format!("http://{addr}"), &["echo"]);
    let failure = watch.error_line().await;
    assert!(
        failure.starts_with(&format!(
            "rollcall watch: cannot reach the registry at http://{addr}: "
        )) && failure.contains("; retrying in "),
        "{failure}"
    );

    // The registry comes up: the watch finds it without being told.
    let listener = TcpListener::bind(addr).await.expect("bind again");
    let registry = Registry::new(RegistryConfig {
        warmup: Some(Duration::ZERO),
        ..RegistryConfig::default()
    });
    registry
        .register("echo", in_eu("a:1", 1))
        .expect("register");
    tokio::spawn(serve_registry(
        listener,
        registry.clone(),
        HttpConfig::default(),
        std::future::pending(),
    ));
    assert_eq!(watch.fields().await[1..3], ["register", "a:1"]);
    // Every failure was one line; then a note that the registry is back.
    loop {
        let line = watch.error_line().await;
        if line.contains("answers again") {
            break;
        }
        assert!(line.starts_with("rollcall watch: cannot reach"), "{line}");
    }
    assert!(watch.terminate().await.success());
}

#[tokio::test]
async fn a_bad_service_name_fails_at_once() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rollcall"));
    let child = command
        .args(["watch", "a/b", "--registry", "http://127.0.0.1:1"])
        .env_remove("RUST_LOG")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PATIENCE, child)
        .await
        .expect("in time")
        .expect("ran");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("rollcall watch: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(output.stdout.is_empty());
}
