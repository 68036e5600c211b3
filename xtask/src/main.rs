//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask run [--etcd] [--demo] [ARGS..]`: build the dashboard and start the
//!   registry on `127.0.0.1:9999` serving it at `/`; `--demo` adds two demo `Foo`
//!   servers; `--etcd` starts a throwaway etcd and three frontends over it
//!   (`127.0.0.1:9999`, `:10000`, `:10001`); `ARGS` go to `rollcall serve` (a
//!   `--listen` of your own replaces the default, without `--etcd`).
//! - `cargo xtask test [--fail-fast]`: the checks CI runs: format, lints, tests,
//!   the turmoil simulations, the browser tests.
//! - `cargo xtask bench [ARGS..]`: the load benchmark in release mode
//!   (`server/benches/load/`); `ARGS` go to it (`--duration 5`).
//!   `cargo xtask bench --dashboard [--seconds N]`: the dashboard's browser
//!   benchmark at 10,000 instances (`web-demo/e2e/bench.mjs`).
//!
//! Std only: the tool builds in seconds and needs nothing beyond the toolchain.

mod bench;
mod cmd;
mod frontends;
mod processes;
mod run;
mod setup;
mod test;
mod web;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args..]

commands:
  run   [--etcd] [--demo] [ARGS..]
                         build the dashboard, start `rollcall serve --listen
                         127.0.0.1:9999 ARGS..` serving it at /; --demo adds two
                         Foo servers that heartbeat to it; --etcd starts a local
                         etcd and three frontends over it (:9999, :10000, :10001)
  test  [--fail-fast] [--only STEP]
                         fmt --check, clippy -D warnings, tests, simulations,
                         browser tests
  bench [ARGS..]        the load benchmark (release), ARGS passed to it
  bench --dashboard [--seconds N]
                         the dashboard in Chromium at 10,000 instances
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let result = match command.as_deref() {
        Some("run") => run::run(&rest),
        Some("test") => test::test(&rest),
        Some("bench") => bench::bench(&rest),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
