//! `rollcall`: parses the command line (or `ROLLCALL_*` environment), sets up
//! logging, and runs the command: `serve` binds and serves the registry until
//! SIGINT or SIGTERM, and on SIGHUP reads the token file again; `list`, `register`,
//! `deregister` and `watch` are the command-line client (in `cli/`, one file per
//! command).

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing::error;
use tracing_subscriber::EnvFilter;

/// The rollcall service registry.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the registry (seed protocol and JSON API).
    Serve(Box<cli::serve::ServeArgs>),
    /// List the services, or one service's instances.
    List(cli::list::ListArgs),
    /// Register an instance and keep it registered until Ctrl-C or SIGTERM.
    Register(cli::register::RegisterArgs),
    /// Deregister an instance now.
    Deregister(cli::deregister::DeregisterArgs),
    /// Print each change of a service as it happens, until Ctrl-C or SIGTERM.
    Watch(cli::watch::WatchArgs),
}

fn main() -> ExitCode {
    let Cli { command } = Cli::parse();
    let filter =
        |default| EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    match &command {
        Command::Serve(_) => tracing_subscriber::fmt()
            .with_env_filter(filter("info"))
            .init(),
        // The client commands print their answer on stdout: logs (heartbeat
        // retries) go to stderr, warnings only unless RUST_LOG says otherwise.
        _ => tracing_subscriber::fmt()
            .with_env_filter(filter("warn"))
            .with_writer(std::io::stderr)
            .init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            error!(%err, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let (name, outcome) = match command {
        Command::Serve(args) => match runtime.block_on(cli::serve::run(*args)) {
            Ok(()) => return ExitCode::SUCCESS,
            Err(err) => {
                error!("{err}");
                return ExitCode::FAILURE;
            }
        },
        Command::List(args) => ("list", runtime.block_on(cli::list::run(args))),
        Command::Register(args) => (
            "register",
            runtime.block_on(cli::register::run(args, cli::signals::shutdown_signal())),
        ),
        Command::Deregister(args) => ("deregister", runtime.block_on(cli::deregister::run(args))),
        Command::Watch(args) => (
            "watch",
            runtime.block_on(cli::watch::run(args, cli::signals::shutdown_signal())),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("rollcall {name}: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_client_commands() {
        let cli = Cli::try_parse_from([
            "rollcall",
            "register",
            "payments",
            "10.0.0.7:8080",
            "--meta",
            "zone=eu-1",
            "--meta",
            "v=2",
            "--weight",
            "3",
            "--ttl",
            "30s",
            "--registry",
            "http://r:1",
        ]);
        let Ok(Cli {
            command: Command::Register(args),
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert_eq!(args.meta.len(), 2);
        assert_eq!(args.ttl, Some(Duration::from_secs(30)));
        assert_eq!(args.registry.url, "http://r:1");
        let list = Cli::try_parse_from(["rollcall", "list", "--json"]);
        let Ok(Cli {
            command: Command::List(args),
        }) = list
        else {
            panic!("did not parse: {list:?}");
        };
        assert!(args.json && args.service.is_none());
        let watch = Cli::try_parse_from(["rollcall", "watch", "payments", "--json"]);
        let Ok(Cli {
            command: Command::Watch(args),
        }) = watch
        else {
            panic!("did not parse: {watch:?}");
        };
        assert!(args.json && args.service == "payments");
        for bad in [
            &["rollcall", "register", "s"][..],
            &["rollcall", "register", "s", "a:1", "--meta", "novalue"],
            &["rollcall", "register", "s", "a:1", "--weight", "-1"],
            &["rollcall", "deregister", "s"],
            &["rollcall", "watch"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
