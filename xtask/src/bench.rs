//! `cargo xtask bench`: the load benchmark, built with the `bench` profile
//! (optimised). It lives in `server/benches/load/`, where it can use the server
//! library directly; this only starts it.

use crate::cmd;

/// Runs `cargo bench -p rollcall-server --bench load -- ARGS..`.
pub fn bench(args: &[String]) -> Result<(), String> {
    let mut command = cmd::cargo([
        "bench",
        "--package",
        "rollcall-server",
        "--bench",
        "load",
        "--",
    ]);
    command.args(args);
    cmd::run(&mut command)
}
