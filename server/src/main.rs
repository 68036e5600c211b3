//! `rollcall serve`: parses the command line (or `ROLLCALL_*` environment), sets up
//! logging, binds, and serves the registry until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rollcall_protocol::DEFAULT_PATH;
use rollcall_server::{
    ConnOptions, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_CHANGE_LOG, DEFAULT_CORS_ORIGIN,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WATCHERS, Dashboard, HttpConfig, Registry, RegistryConfig,
    WatchConfig, parse_duration, serve_registry,
};
use tracing::{error, info};
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
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ROLLCALL_LISTEN", default_value = "127.0.0.1:9999")]
    listen: SocketAddr,
    /// Default TTL of an instance (0: never expires).
    #[arg(long, env = "ROLLCALL_TTL", value_parser = parse_duration, default_value = DEFAULT_TTL_TEXT)]
    ttl: Duration,
    /// Shortest TTL a client may ask for.
    #[arg(long, env = "ROLLCALL_MIN_TTL", value_parser = parse_duration, default_value = DEFAULT_MIN_TTL_TEXT)]
    min_ttl: Duration,
    /// Longest TTL a client may ask for.
    #[arg(long, env = "ROLLCALL_MAX_TTL", value_parser = parse_duration, default_value = DEFAULT_MAX_TTL_TEXT)]
    max_ttl: Duration,
    /// Path of the seed protocol.
    #[arg(long, env = "ROLLCALL_PATH", default_value = DEFAULT_PATH)]
    path: String,
    /// Allowed CORS origin (repeatable; `*` for any).
    #[arg(long = "cors-origin", env = "ROLLCALL_CORS_ORIGIN", value_delimiter = ',', default_value = DEFAULT_CORS_ORIGIN)]
    cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    #[arg(long, env = "ROLLCALL_MAX_BODY", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body: usize,
    /// How long a client may take to send request headers; also the idle limit of a
    /// kept-alive connection.
    #[arg(long, env = "ROLLCALL_HEADER_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_HEADER_READ_TIMEOUT_TEXT)]
    header_timeout: Duration,
    /// Directory of the dashboard bundle to serve at `/` (built by `cargo xtask run`).
    #[arg(long, env = "ROLLCALL_DASHBOARD_DIR")]
    dashboard_dir: Option<PathBuf>,
    /// Changes kept for the change feed, across services (0: none; watchers that fall
    /// behind list again).
    #[arg(long, env = "ROLLCALL_CHANGE_LOG", default_value_t = DEFAULT_CHANGE_LOG)]
    change_log: usize,
    /// Longest wait granted to a blocking query; longer ones are cut to it.
    #[arg(long, env = "ROLLCALL_MAX_WAIT", value_parser = parse_duration, default_value = DEFAULT_MAX_WAIT_TEXT)]
    max_wait: Duration,
    /// Blocking queries held at once; past it they answer 503.
    #[arg(long, env = "ROLLCALL_MAX_WATCHERS", default_value_t = DEFAULT_MAX_WATCHERS)]
    max_watchers: usize,
}

/// The library's defaults as the command line spells them (checked by a test).
const DEFAULT_TTL_TEXT: &str = "5m";
const DEFAULT_MIN_TTL_TEXT: &str = "1s";
const DEFAULT_MAX_TTL_TEXT: &str = "24h";
const DEFAULT_HEADER_READ_TIMEOUT_TEXT: &str = "30s";
const DEFAULT_MAX_WAIT_TEXT: &str = "5m";

fn main() -> ExitCode {
    let Cli {
        command: Command::Serve(args),
    } = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            error!(%err, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let registry_config = RegistryConfig {
        default_ttl: args.ttl,
        min_ttl: args.min_ttl,
        max_ttl: args.max_ttl,
        watch: WatchConfig {
            change_log: args.change_log,
            max_wait: args.max_wait,
            max_watchers: args.max_watchers,
            ..WatchConfig::default()
        },
        ..RegistryConfig::default()
    };
    registry_config
        .validate()
        .map_err(|e| format!("invalid TTL settings: {e}"))?;
    let dashboard = match &args.dashboard_dir {
        Some(dir) => {
            let dashboard = Dashboard::load(dir)
                .map_err(|e| format!("cannot load the dashboard from {}: {e}", dir.display()))?;
            info!(
                files = dashboard.len(),
                "dashboard loaded from {}",
                dir.display()
            );
            Some(dashboard)
        }
        None => None,
    };
    let http_config = HttpConfig {
        dashboard,
        seed_path: args.path,
        max_body_bytes: args.max_body,
        body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        cors_origins: args.cors_origins,
        conn: ConnOptions {
            header_read_timeout: args.header_timeout,
            ..ConnOptions::default()
        },
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    info!("listening on {addr}");
    let registry = Registry::new(registry_config);
    serve_registry(listener, registry, http_config, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            error!(%err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => info!("SIGINT received, shutting down"),
        () = terminate => info!("SIGTERM received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use rollcall_protocol::DEFAULT_TTL;
    use rollcall_server::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_TTL, DEFAULT_MIN_TTL};

    #[test]
    fn command_line_defaults_match_the_library() {
        Cli::command().debug_assert();
        assert_eq!(parse_duration(DEFAULT_TTL_TEXT), Ok(DEFAULT_TTL));
        assert_eq!(parse_duration(DEFAULT_MIN_TTL_TEXT), Ok(DEFAULT_MIN_TTL));
        assert_eq!(parse_duration(DEFAULT_MAX_TTL_TEXT), Ok(DEFAULT_MAX_TTL));
        assert_eq!(
            parse_duration(DEFAULT_HEADER_READ_TIMEOUT_TEXT),
            Ok(DEFAULT_HEADER_READ_TIMEOUT)
        );
        assert_eq!(
            parse_duration(DEFAULT_MAX_WAIT_TEXT),
            Ok(rollcall_protocol::DEFAULT_MAX_WAIT)
        );
    }

    #[test]
    fn parses_a_full_command_line() {
        let cli = Cli::try_parse_from([
            "rollcall",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ttl",
            "0",
            "--cors-origin",
            "https://a",
            "--cors-origin",
            "https://b",
            "--max-body",
            "100",
            "--max-wait",
            "30s",
            "--max-watchers",
            "5",
            "--change-log",
            "0",
        ]);
        let Ok(Cli {
            command: Command::Serve(args),
        }) = cli
        else {
            panic!("did not parse: {cli:?}");
        };
        assert_eq!(args.ttl, Duration::ZERO);
        assert_eq!(args.cors_origins, ["https://a", "https://b"]);
        assert_eq!(args.max_body, 100);
        assert_eq!(args.max_wait, Duration::from_secs(30));
        assert_eq!((args.max_watchers, args.change_log), (5, 0));
        assert!(Cli::try_parse_from(["rollcall", "serve", "--ttl", "5x"]).is_err());
    }
}
