//! The command-line client as a user runs it: the real `rollcall` binary, as a
//! child process, against a registry served in this test.

pub mod common;

use std::process::{Output, Stdio};
use std::time::Duration;

use common::{TestServer, in_eu};
use rollcall_protocol::{InstanceList, ServiceIndex};
use rollcall_server::{Auth, AuthOptions, HttpConfig, RegistryConfig, Rules};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// How long any child may take: generous, for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

fn rollcall(registry: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rollcall"));
    command
        .args(args)
        .env("ROLLCALL_REGISTRY", registry)
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    command
}

async fn run(registry: &str, args: &[&str]) -> Output {
    let output = rollcall(registry, args).output();
    tokio::time::timeout(PATIENCE, output)
        .await
        .expect("rollcall finished in time")
        .expect("rollcall ran")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn url(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

#[tokio::test]
async fn list_prints_services_and_instances_as_tables_or_json() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    registry
        .register("payments", in_eu("10.0.0.7:8080", 3))
        .expect("register");
    registry
        .register("payments", in_eu("10.0.0.8:8080", 1))
        .expect("register");
    registry.renew_seed("tcp@127.0.0.1:1").expect("seed");

    let services = run(&url(&server), &["list"]).await;
    assert!(services.status.success(), "{services:?}");
    let table = text(&services.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SERVICE", "INSTANCES", "REVISION"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["default", "1", "3"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["payments", "2", "2"]
    );
    // The registry just started: the note says its lists may be incomplete.
    assert!(
        text(&services.stderr).contains("warming up"),
        "{services:?}"
    );

    let instances = run(&url(&server), &["list", "payments"]).await;
    assert!(instances.status.success(), "{instances:?}");
    let table = text(&instances.stdout);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["ADDR", "WEIGHT", "TTL", "LEFT", "LAST", "BEAT", "METADATA"]
    );
    assert_eq!(rows[1][..3], ["10.0.0.7:8080", "3", "30.0s"]);
    assert!(
        rows[1][3].ends_with('s') && rows[1][4].ends_with('s'),
        "{table}"
    );
    assert_eq!(rows[1][5], "zone=eu-1");
    assert_eq!(rows[2][0], "10.0.0.8:8080");

    let json = run(&url(&server), &["list", "payments", "--json"]).await;
    let list: InstanceList = serde_json::from_slice(&json.stdout).expect("an InstanceList");
    assert_eq!(
        (list.service.as_str(), list.instances.len()),
        ("payments", 2)
    );
    let json = run(&url(&server), &["list", "--json"]).await;
    let index: ServiceIndex = serde_json::from_slice(&json.stdout).expect("a ServiceIndex");
    assert_eq!(index.services.len(), 2);
}

#[tokio::test]
async fn register_beats_until_sigterm_then_deregisters() {
    let server = TestServer::start().await;
    let registry = server.registry.clone();
    let mut child = rollcall(
        // --registry wins over the environment.
        "http://127.0.0.1:1",
        &[
            "register",
            "echo",
            "127.0.0.1:7001",
            "--meta",
            "zone=eu-1",
            "--meta",
            "v=2",
            "--weight",
            "3",
            "--ttl",
            "1500ms",
            "--registry",
            &url(&server),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("registered in time")
        .expect("read");
    assert_eq!(
        first.as_deref(),
        Some("registered 127.0.0.1:7001 in echo (TTL 1.5s); heartbeats until Ctrl-C or SIGTERM")
    );
    let snapshot = registry.list("echo");
    let list: InstanceList = serde_json::from_slice(snapshot.body()).expect("list");
    assert_eq!(list.instances.len(), 1);
    let instance = &list.instances[0];
    assert_eq!((instance.weight, instance.ttl_ms), (3, 1_500));
    assert_eq!(instance.metadata["zone"], "eu-1");
    assert_eq!(instance.metadata["v"], "2");

    // Heartbeats renew it (the period is a third of the TTL).
    tokio::time::timeout(PATIENCE, async {
        while registry.stats().renewals < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("heartbeats");
    assert_eq!(registry.len(), 1);

    let pid = child.id().expect("running").to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(killed.is_ok_and(|s| s.success()));
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("exited in time")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    let last = lines.next_line().await.expect("read");
    assert_eq!(
        last.as_deref(),
        Some("deregistered 127.0.0.1:7001 from echo")
    );
    assert!(registry.is_empty(), "deregistered at once");
}

#[tokio::test]
async fn deregister_removes_once_then_says_not_registered() {
    let server = TestServer::start().await;
    server
        .registry
        .register("echo", in_eu("a:1", 1))
        .expect("register");
    let done = run(&url(&server), &["deregister", "echo", "a:1"]).await;
    assert!(done.status.success(), "{done:?}");
    assert_eq!(text(&done.stdout), "deregistered a:1 from echo\n");
    assert!(server.registry.is_empty());

    let again = run(&url(&server), &["deregister", "echo", "a:1"]).await;
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stderr),
        "rollcall deregister: the registry refused (404): instance a:1 is not registered in service echo\n"
    );
}

#[tokio::test]
async fn failures_are_one_line_and_a_non_zero_exit() {
    let server = TestServer::start().await;
    // Nothing listens on port 1.
    let down = run("http://127.0.0.1:1", &["list"]).await;
    assert_eq!(down.status.code(), Some(1));
    let stderr = text(&down.stderr);
    assert!(
        stderr.starts_with("rollcall list: cannot reach the registry at http://127.0.0.1:1: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(down.stdout.is_empty());

    // Refused by the registry: a TTL below its minimum; nothing registered.
    let refused = run(&url(&server), &["register", "echo", "a:1", "--ttl", "10ms"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        text(&refused.stderr),
        "rollcall register: the registry refused (400): ttl_ms 10 is below the minimum of 1000 ms\n"
    );
    assert!(server.registry.is_empty());

    // Refused before sending: an address the protocol does not allow.
    let invalid = run(&url(&server), &["register", "echo", "a b:1"]).await;
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(text(&invalid.stderr).lines().count(), 1, "{invalid:?}");

    // Bad arguments are a usage error.
    let usage = run(
        &url(&server),
        &["register", "echo", "a:1", "--meta", "novalue"],
    )
    .await;
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("expected KEY=VALUE"));
}

#[tokio::test]
async fn commands_send_the_token_they_are_given() {
    const WRITER: &str = "cli-writer-0123456789abcdef";
    let rules = Rules::parse(&format!("{WRITER} write *\n")).expect("rules");
    let options = AuthOptions {
        private_reads: true,
        seed_open: false,
    };
    let http = HttpConfig {
        auth: Auth::tokens(rules, options),
        ..HttpConfig::default()
    };
    let server = TestServer::with(RegistryConfig::default(), http).await;

    let refused = run(&url(&server), &["deregister", "echo", "a:1"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("refused (401)"), "{stderr}");

    let with_token = |args: &[&str]| {
        let mut command = rollcall(&url(&server), args);
        command.env("ROLLCALL_TOKEN", WRITER);
        command.output()
    };
    server
        .registry
        .register("echo", in_eu("a:1", 1))
        .expect("register");
    let listed = tokio::time::timeout(PATIENCE, with_token(&["list", "echo", "--json"]))
        .await
        .expect("in time")
        .expect("ran");
    assert!(listed.status.success(), "{listed:?}");
    let list: InstanceList = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(list.instances.len(), 1);
    let removed = tokio::time::timeout(PATIENCE, with_token(&["deregister", "echo", "a:1"]))
        .await
        .expect("in time")
        .expect("ran");
    assert!(removed.status.success(), "{removed:?}");
    assert!(server.registry.is_empty());

    // A CA file that cannot be read is refused before anything is sent.
    let bad_ca = run(
        &url(&server),
        &["list", "--ca-file", "/no/such/ca.pem", "--token", WRITER],
    )
    .await;
    assert_eq!(bad_ca.status.code(), Some(1));
    assert!(text(&bad_ca.stderr).contains("--ca-file"), "{bad_ca:?}");
}
