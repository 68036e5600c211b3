//! `cargo xtask bench`: the load benchmark, built with the `bench` profile
//! (optimised). It lives in `server/benches/load/`, where it can use the server
//! library directly; this only starts it, after building the Go long-poll peer
//! (the team's `shared/peers/longpoll-go`, beside the workspace) when Go is
//! installed, so the watch fan-out is measured against it in the same run.
//!
//! `cargo xtask bench --dashboard [--seconds N]` runs the dashboard's browser
//! benchmark instead ([`web::dashboard_bench`]).

use std::path::PathBuf;
use std::process::Command;

use crate::{cmd, setup, web};

/// Where the peer's source sits, relative to the workspace root.
const PEER_SOURCE: &str = "../shared/peers/longpoll-go";

/// Runs `cargo bench -p rollcall-server --bench load -- ARGS..`, after installing
/// what it needs (protoc, etcd).
pub fn bench(args: &[String]) -> Result<(), String> {
    setup::for_bench()?;
    if let Some((_, rest)) = args
        .split_first()
        .filter(|(first, _)| *first == "--dashboard")
    {
        return web::dashboard_bench(&cmd::workspace_root(), rest);
    }
    let mut command = cmd::cargo([
        "bench",
        "--package",
        "rollcall-server",
        "--bench",
        "load",
        "--",
    ]);
    command.args(args);
    if !args.iter().any(|arg| arg == "--longpoll-go")
        && let Some(peer) = build_go_peer()
    {
        command.arg("--longpoll-go").arg(peer);
    }
    cmd::run(&mut command)
}

/// Builds the Go peer into the target directory; `None`, with the reason, when
/// its source or Go is missing.
fn build_go_peer() -> Option<PathBuf> {
    let root = cmd::workspace_root();
    let source = root.join(PEER_SOURCE);
    if !source.join("main.go").is_file() {
        eprintln!(
            "note: {} not found: the Go peer is not measured",
            source.display()
        );
        return None;
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target.join("longpoll-go");
    let mut build = Command::new("go");
    build.arg("build").arg("-o").arg(&binary).arg(".");
    build.current_dir(&source);
    match cmd::status(&mut build) {
        Ok(status) if status.success() => Some(binary),
        _ => {
            eprintln!(
                "note: cannot build the Go peer (apt-get install -y golang-go): it is not measured"
            );
            None
        }
    }
}
