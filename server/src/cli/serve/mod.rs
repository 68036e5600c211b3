//! `rollcall serve`: builds the registry's settings from the command line, opens
//! its store (`store.rs`), binds, and serves until SIGINT or SIGTERM; on SIGHUP it
//! reads the token file again.

mod args;
mod store;

pub use args::ServeArgs;

use rollcall_server::{
    Auth, AuthOptions, ConnOptions, Dashboard, HttpConfig, RegistryConfig, TlsConfig, TokenSource,
    WatchConfig, serve_store,
};
use tracing::{error, info, warn};

use super::signals::shutdown_signal;

/// Serves the registry `args` describes until SIGINT or SIGTERM. A setting that
/// cannot work stops the start with a message.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let choice = store::Choice::of(&args)?;
    let registry_config = RegistryConfig {
        default_ttl: args.ttl,
        min_ttl: args.min_ttl(),
        max_ttl: args.max_ttl,
        warmup: args.warmup,
        max_services: args.max_services,
        max_instances: args.max_instances,
        max_metadata_bytes: args.max_metadata_bytes,
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
    let store = choice.open(registry_config).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if https { "https" } else { "http" };
    info!("listening on {addr} ({scheme})");
    let warmup = store.registry().warmup_left();
    if !warmup.is_zero() {
        info!(
            ?warmup,
            "warming up: lists may lack live instances until every one beats again"
        );
    }
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
    serve_store(listener, store, http_config, shutdown_signal())
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
