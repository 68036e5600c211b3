//! `rollcall serve`: parses the command line (or `ROLLCALL_*` environment), sets up
//! logging, binds, and serves the registry until SIGINT or SIGTERM; on SIGHUP it
//! reads the token file again.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rollcall_protocol::{DEFAULT_PATH, Token};
use rollcall_server::{
    Auth, AuthOptions, ConnOptions, DEFAULT_CORS_ORIGIN, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_METADATA_BYTES,
    DEFAULT_MAX_SERVICES, Dashboard, HttpConfig, Registry, RegistryConfig, TlsConfig, TokenSource,
    parse_duration, serve_registry,
};
use tracing::{error, info, warn};
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
    /// Origins whose pages may read answers (CORS; repeatable; `*` for any).
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
    /// Origins whose pages may write or send a token (repeatable; `*` for any).
    #[arg(
        long = "cors-write-origin",
        env = "ROLLCALL_CORS_WRITE_ORIGIN",
        value_delimiter = ','
    )]
    cors_write_origins: Vec<String>,
    /// How long a client may take to send a request body.
    #[arg(long, env = "ROLLCALL_BODY_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_BODY_TIMEOUT_TEXT)]
    body_timeout: Duration,
    /// How long a response may wait for a client that stopped reading.
    #[arg(long, env = "ROLLCALL_WRITE_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_WRITE_TIMEOUT_TEXT)]
    write_timeout: Duration,
    /// Most connections served at once; past it new ones wait to be accepted.
    #[arg(long, env = "ROLLCALL_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Most instances, all services together.
    #[arg(long, env = "ROLLCALL_MAX_INSTANCES", default_value_t = DEFAULT_MAX_INSTANCES)]
    max_instances: usize,
    /// Most services.
    #[arg(long, env = "ROLLCALL_MAX_SERVICES", default_value_t = DEFAULT_MAX_SERVICES)]
    max_services: usize,
    /// Most bytes of metadata keys and values on one instance.
    #[arg(long, env = "ROLLCALL_MAX_METADATA_BYTES", default_value_t = DEFAULT_MAX_METADATA_BYTES)]
    max_metadata_bytes: usize,
    /// Token rules, one per line: `<token> <read|write> <service-pattern>`; read
    /// again on SIGHUP.
    #[arg(long, env = "ROLLCALL_TOKEN_FILE", group = "tokens")]
    token_file: Option<PathBuf>,
    /// A token that writes every service (a `<token> write *` rule).
    #[arg(
        long,
        env = "ROLLCALL_WRITE_TOKEN",
        hide_env_values = true,
        group = "tokens"
    )]
    write_token: Option<Token>,
    /// Reads (lists, leases, the index) need a token too.
    #[arg(long, env = "ROLLCALL_PRIVATE_READS", requires = "tokens")]
    private_reads: bool,
    /// Seed-protocol heartbeats need no token (for trusted networks only).
    #[arg(long, env = "ROLLCALL_SEED_OPEN", requires = "tokens")]
    seed_open: bool,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, env = "ROLLCALL_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ROLLCALL_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// The library's defaults as the command line spells them (checked by a test).
const DEFAULT_TTL_TEXT: &str = "5m";
const DEFAULT_MIN_TTL_TEXT: &str = "1s";
const DEFAULT_MAX_TTL_TEXT: &str = "24h";
const DEFAULT_HEADER_READ_TIMEOUT_TEXT: &str = "30s";
const DEFAULT_BODY_TIMEOUT_TEXT: &str = "10s";
const DEFAULT_WRITE_TIMEOUT_TEXT: &str = "30s";

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
        max_services: args.max_services,
        max_instances: args.max_instances,
        max_metadata_bytes: args.max_metadata_bytes,
        ..RegistryConfig::default()
    };
    registry_config
        .validate()
        .map_err(|e| format!("invalid registry settings: {e}"))?;
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
    let tokens = TokenSource {
        file: args.token_file,
        write_token: args.write_token,
    };
    let options = AuthOptions {
        private_reads: args.private_reads,
        seed_open: args.seed_open,
    };
    let auth = start_auth(&tokens, options)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            TlsConfig::from_pem_files(cert, key).map_err(|e| format!("cannot serve HTTPS: {e}"))?,
        ),
        _ => None,
    };
    let https = tls.is_some();
    let http_config = HttpConfig {
        dashboard,
        seed_path: args.path,
        max_body_bytes: args.max_body,
        body_read_timeout: args.body_timeout,
        cors_origins: args.cors_origins,
        cors_write_origins: args.cors_write_origins,
        auth: auth.clone(),
        conn: ConnOptions {
            header_read_timeout: args.header_timeout,
            write_timeout: args.write_timeout,
            max_connections: args.max_connections,
            tls,
            ..ConnOptions::default()
        },
    };
    http_config
        .validate()
        .map_err(|e| format!("invalid HTTP settings: {e}"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if https { "https" } else { "http" };
    info!("listening on {addr} ({scheme})");
    if !addr.ip().is_loopback() {
        if !auth.is_on() {
            warn!(
                "tokens are off and {addr} is reachable from the network: anyone who can \
                 reach it can register and deregister instances (see --token-file)"
            );
        } else if !https {
            warn!("tokens travel in clear text over plain HTTP on {addr} (see --tls-cert)");
        }
    }
    if auth.is_on() {
        tokio::spawn(reload_on_hangup(auth, tokens));
    }
    let registry = Registry::new(registry_config);
    serve_registry(listener, registry, http_config, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

/// Tokens from `tokens`, or off if none are configured. A token file that does
/// not parse stops the start, naming its line.
fn start_auth(tokens: &TokenSource, options: AuthOptions) -> Result<Auth, String> {
    let auth = tokens
        .start(options)
        .map_err(|e| format!("cannot start: {e}"))?;
    if auth.is_on() {
        info!(rules = auth.rule_count(), ?options, "tokens on");
        if auth.rule_count() == 0 {
            warn!("the token file has no rules: every write will be refused");
        }
    }
    Ok(auth)
}

/// Reads the token rules again on every SIGHUP. A file that does not parse is
/// logged with its line number, and the rules in force stay.
async fn reload_on_hangup(auth: Auth, tokens: TokenSource) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(err) => {
                error!(%err, "cannot listen for SIGHUP: the token file will not be reloaded");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            match tokens.reload_into(&auth) {
                Ok(count) => info!(rules = count, "SIGHUP: token rules reloaded"),
                Err(err) => error!("SIGHUP: token rules not reloaded, the old ones stay: {err}"),
            }
        }
    }
    #[cfg(not(unix))]
    drop((auth, tokens));
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
    use rollcall_server::{
        DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_TTL, DEFAULT_MIN_TTL,
        DEFAULT_WRITE_TIMEOUT,
    };

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
            parse_duration(DEFAULT_BODY_TIMEOUT_TEXT),
            Ok(DEFAULT_BODY_READ_TIMEOUT)
        );
        assert_eq!(
            parse_duration(DEFAULT_WRITE_TIMEOUT_TEXT),
            Ok(DEFAULT_WRITE_TIMEOUT)
        );
    }

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let all = ["rollcall", "serve"].iter().chain(args);
        Cli::try_parse_from(all).map(
            |Cli {
                 command: Command::Serve(args),
             }| args,
        )
    }

    #[test]
    fn token_options_need_tokens_and_never_show_them() {
        let token = "w-0123456789abcdef";
        let args = serve_args(&["--write-token", token, "--private-reads", "--seed-open"])
            .expect("parses");
        assert!(args.private_reads && args.seed_open);
        assert!(!format!("{args:?}").contains(token), "{args:?}");
        assert!(serve_args(&["--write-token", "short"]).is_err());
        for alone in ["--private-reads", "--seed-open"] {
            assert!(serve_args(&[alone]).is_err(), "{alone} without tokens");
        }
        assert!(
            serve_args(&["--tls-cert", "c.pem"]).is_err(),
            "a certificate needs its key"
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
        assert!(Cli::try_parse_from(["rollcall", "serve", "--ttl", "5x"]).is_err());
    }
}
