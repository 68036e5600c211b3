//! `cargo xtask run [--etcd] [--demo] [ARGS..]`: the registry on the seed's port
//! with the dashboard at `/`, for trying it by hand; `--demo` adds two `Foo` servers
//! that heartbeat to it, so the dashboard has something to show and call; `--etcd`
//! runs three frontends over a throwaway etcd instead ([`frontends`]).

use std::process::Command;

use crate::frontends::Frontends;
use crate::processes::Processes;
use crate::{cmd, setup, web};

/// Where `run` listens unless told otherwise: the seed's demo port, on loopback.
const DEFAULT_LISTEN: &str = "127.0.0.1:9999";

/// Builds the dashboard and the registry, then runs `rollcall serve --listen
/// 127.0.0.1:9999 --dashboard-dir web-demo/dist ARGS..` until it exits (Ctrl-C
/// stops everything). With `--demo`, also runs the `demo_servers` example; with
/// `--etcd`, see [`Frontends`].
pub fn run(args: &[String]) -> Result<(), String> {
    let demo = args.iter().any(|arg| arg == "--demo");
    let etcd = args.iter().any(|arg| arg == "--etcd");
    let args: Vec<&String> = args
        .iter()
        .filter(|arg| !matches!(arg.as_str(), "--demo" | "--etcd"))
        .collect();
    if etcd {
        setup::for_etcd()?;
    } else {
        setup::for_run()?;
    }
    let root = cmd::workspace_root();
    let dist = web::build_dashboard(&root)?;

    let mut build = cmd::cargo(["build", "-p", "rollcall-server", "--bin", "rollcall"]);
    if demo {
        build.args(["--example", "demo_servers"]);
    }
    cmd::run(&mut build)?;
    let debug = web::target_dir(&root).join("debug");
    if etcd {
        return Frontends {
            debug: &debug,
            dist: &dist,
            work: &web::target_dir(&root).join("run-etcd"),
            args: &args,
            demo,
        }
        .run();
    }

    let listen = listen_addr(&args).unwrap_or(DEFAULT_LISTEN).to_owned();
    let mut serve = Command::new(debug.join("rollcall"));
    serve.arg("serve");
    if listen_addr(&args).is_none() {
        serve.args(["--listen", DEFAULT_LISTEN]);
    }
    serve.arg("--dashboard-dir").arg(&dist).args(&args);
    eprintln!("$ {}", cmd::display(&serve));
    let mut registry = serve
        .spawn()
        .map_err(|e| format!("cannot start rollcall: {e}"))?;

    // Killed when this function returns, however it returns.
    let mut servers = Processes::default();
    if demo {
        let port = listen
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .ok_or_else(|| format!("--demo needs a host:port listen address, not {listen:?}"))?;
        servers.wait_for_port(port)?;
        let mut command = Command::new(debug.join("examples").join("demo_servers"));
        command.args(["--registry", &format!("http://{listen}")]);
        let addrs = servers.start_until_lines(command, "serving ", 2)?;
        eprintln!("demo servers {addrs:?} registered with http://{listen}");
    }
    eprintln!("dashboard: open http://{listen}/");
    let status = registry
        .wait()
        .map_err(|e| format!("waiting for rollcall: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("rollcall exited with {status}"))
    }
}

/// The address the caller chose (`--listen X` or `--listen=X`), if any.
fn listen_addr<'a>(args: &[&'a String]) -> Option<&'a str> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg.as_str() == "--listen" {
            return iter.next().map(|value| value.as_str());
        }
        if let Some(value) = arg.strip_prefix("--listen=") {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_listen_replaces_the_default() {
        let given = ["--listen=0.0.0.0:1".to_owned()];
        assert_eq!(
            listen_addr(&given.iter().collect::<Vec<_>>()),
            Some("0.0.0.0:1")
        );
        let given = ["--ttl", "1m", "--listen", "127.0.0.1:7"].map(str::to_owned);
        assert_eq!(
            listen_addr(&given.iter().collect::<Vec<_>>()),
            Some("127.0.0.1:7")
        );
        let given = ["--ttl", "1m"].map(str::to_owned);
        assert_eq!(listen_addr(&given.iter().collect::<Vec<_>>()), None);
    }
}
