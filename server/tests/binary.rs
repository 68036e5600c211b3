//! The `rollcall` binary as an operator runs it: nonsense settings refused at
//! start with a message, a token file that does not parse refused with its line,
//! and the token file read again on SIGHUP (a good file replaces the rules, a bad
//! one is logged and the old rules stay).
#![cfg(unix)]

pub mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use common::process::{PATIENCE, Running, run_to_end, said};

/// `--store etcd`, and an endpoint nothing listens on (never reached: these
/// settings are refused first).
const ETCD: &str = "--store etcd";
const ETCD_AT: &str = "--etcd-endpoints http://127.0.0.1:9";

const FIRST: &str = "first-0123456789abcdef";
const SECOND: &str = "second-0123456789abcdef";

#[test]
fn nonsense_settings_are_refused_at_start() {
    for (args, says) in [
        (&["--header-timeout", "0"][..], "header timeout"),
        (&["--write-timeout", "0"][..], "write timeout"),
        (&["--body-timeout", "0"][..], "body timeout"),
        (&["--min-ttl", "10s", "--max-ttl", "5s"][..], "min TTL"),
        (&["--max-instances", "0"][..], "instance limit"),
        (&["--max-services", "0"][..], "service limit"),
        (&["--max-connections", "0"][..], "connection limit"),
        (&["--max-metadata-bytes", "0"][..], "metadata limit"),
        (&["--max-body", "0"][..], "body limit"),
        (
            &["--cors-write-origin", "evil.example"][..],
            "not an origin",
        ),
        (&["--private-reads"][..], "--token-file"),
        (&["--write-token", "short"][..], "shorter than 16"),
        (
            &[
                "--tls-cert",
                "/nonexistent/c.pem",
                "--tls-key",
                "/nonexistent/k.pem",
            ][..],
            "/nonexistent/c.pem",
        ),
        // The etcd store: refused before any connection is tried.
        (&["--store", "etcd"][..], "--etcd-endpoints"),
        (
            &[ETCD, ETCD_AT, "--min-ttl", "1s"][..],
            "below the 2s etcd grants",
        ),
        (
            &[ETCD, "--etcd-endpoints", "https://127.0.0.1:9"][..],
            "TLS to etcd",
        ),
        (
            &[ETCD, ETCD_AT, "--warmup", "5s"][..],
            "--warmup does not apply",
        ),
        (
            &[ETCD, ETCD_AT, "--etcd-prefix", "rollcall"][..],
            "must start with /",
        ),
        (&[ETCD, ETCD_AT, "--etcd-timeout", "0"][..], "above zero"),
    ] {
        let args: Vec<&str> = args.iter().flat_map(|arg| arg.split(' ')).collect();
        let args = &args[..];
        let output = run_to_end(args);
        assert!(!output.status.success(), "{args:?} was accepted");
        let said = said(&output);
        assert!(said.contains(says), "{args:?}: {said}");
    }
}

/// A token file in a fresh temporary directory.
struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    fn new(name: &str, text: &str) -> TokenFile {
        let dir = std::env::temp_dir().join(format!("rollcall-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = TokenFile {
            path: dir.join("tokens"),
        };
        file.write(text);
        file
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).expect("write the token file");
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn a_token_file_that_does_not_parse_stops_the_start() {
    let file = TokenFile::new(
        "bad-start",
        &format!("# ok\n{FIRST} write *\n{SECOND} admin *\n"),
    );
    let path = file.path.to_str().expect("path");
    let output = run_to_end(&["--token-file", path]);
    assert!(!output.status.success());
    let said = said(&output);
    assert!(said.contains("token file line 3"), "{said}");
    assert!(
        !said.contains(SECOND) && !said.contains(FIRST),
        "a token was logged: {said}"
    );
}

#[test]
fn sighup_reloads_the_token_file_and_keeps_the_old_rules_if_it_is_bad() {
    let file = TokenFile::new("reload", &format!("{FIRST} write *\n"));
    let path = file.path.to_str().expect("path");
    let mut server = Running::start(&["--token-file", path]);
    assert_eq!(register(&server, FIRST), 201);
    assert_eq!(register(&server, SECOND), 401);

    file.write(&format!("# rotated\n{SECOND} write s\n"));
    server.hang_up();
    let line = server.wait_for("SIGHUP");
    assert!(line.contains("reloaded"), "{line}");
    assert_eq!(register(&server, SECOND), 200, "the new token writes");
    assert_eq!(register(&server, FIRST), 401, "the old token is gone");

    file.write(&format!("{FIRST} write *\n{FIRST} wrte *\n"));
    server.hang_up();
    let line = server.wait_for("SIGHUP");
    assert!(
        line.contains("not reloaded") && line.contains("line 2"),
        "{line}"
    );
    assert!(!line.contains(FIRST), "a token was logged: {line}");
    assert_eq!(register(&server, SECOND), 200, "the rules in force stay");
    assert_eq!(register(&server, FIRST), 401);
}

/// The status of a registration with `token` at `server`.
fn register(server: &Running, token: &str) -> u16 {
    let body = r#"{"addr":"a:1"}"#;
    let request = format!(
        "POST /v1/services/s/instances HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}
