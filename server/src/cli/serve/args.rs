//! The arguments of `rollcall serve`, with their environment variables and
//! defaults, and the settings they make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rollcall_protocol::{DEFAULT_PATH, Token};
use rollcall_server::{
    DEFAULT_CHANGE_LOG, DEFAULT_CORS_ORIGIN, DEFAULT_ETCD_PREFIX, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_METADATA_BYTES,
    DEFAULT_MAX_SERVICES, DEFAULT_MAX_WATCHERS, DEFAULT_MIN_TTL, ETCD_MIN_TTL, parse_duration,
};

/// Arguments of `rollcall serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ROLLCALL_LISTEN", default_value = "127.0.0.1:9999")]
    pub listen: SocketAddr,
    /// Default TTL of an instance (0: never expires).
    #[arg(long, env = "ROLLCALL_TTL", value_parser = parse_duration, default_value = DEFAULT_TTL_TEXT)]
    pub ttl: Duration,
    /// Shortest TTL a client may ask for [default: 1s; 2s with --store etcd, which
    /// grants no shorter lease].
    #[arg(long, env = "ROLLCALL_MIN_TTL", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,
    /// Longest TTL a client may ask for.
    #[arg(long, env = "ROLLCALL_MAX_TTL", value_parser = parse_duration, default_value = DEFAULT_MAX_TTL_TEXT)]
    pub max_ttl: Duration,
    /// How long after its start the registry says it is warming up (lists flag it,
    /// /readyz answers 503); default: the default TTL (5m if that is 0).
    #[arg(long, env = "ROLLCALL_WARMUP", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Path of the seed protocol.
    #[arg(long, env = "ROLLCALL_PATH", default_value = DEFAULT_PATH)]
    pub path: String,
    /// Origins whose pages may read answers (CORS; repeatable; `*` for any).
    #[arg(long = "cors-origin", env = "ROLLCALL_CORS_ORIGIN", value_delimiter = ',', default_value = DEFAULT_CORS_ORIGIN)]
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    #[arg(long, env = "ROLLCALL_MAX_BODY", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body: usize,
    /// How long a client may take to send request headers; also the idle limit of a
    /// kept-alive connection.
    #[arg(long, env = "ROLLCALL_HEADER_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_HEADER_READ_TIMEOUT_TEXT)]
    pub header_timeout: Duration,
    /// Directory of the dashboard bundle to serve at `/` (built by `cargo xtask run`).
    #[arg(long, env = "ROLLCALL_DASHBOARD_DIR")]
    pub dashboard_dir: Option<PathBuf>,
    /// Changes kept for the change feed, across services (0: none; watchers that fall
    /// behind list again).
    #[arg(long, env = "ROLLCALL_CHANGE_LOG", default_value_t = DEFAULT_CHANGE_LOG)]
    pub change_log: usize,
    /// Longest wait granted to a blocking query; longer ones are cut to it.
    #[arg(long, env = "ROLLCALL_MAX_WAIT", value_parser = parse_duration, default_value = DEFAULT_MAX_WAIT_TEXT)]
    pub max_wait: Duration,
    /// Blocking queries held at once; past it they answer 503.
    #[arg(long, env = "ROLLCALL_MAX_WATCHERS", default_value_t = DEFAULT_MAX_WATCHERS)]
    pub max_watchers: usize,
    /// Origins whose pages may write or send a token (repeatable; `*` for any).
    #[arg(
        long = "cors-write-origin",
        env = "ROLLCALL_CORS_WRITE_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_write_origins: Vec<String>,
    /// How long a client may take to send a request body.
    #[arg(long, env = "ROLLCALL_BODY_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_BODY_TIMEOUT_TEXT)]
    pub body_timeout: Duration,
    /// How long a response may wait for a client that stopped reading.
    #[arg(long, env = "ROLLCALL_WRITE_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_WRITE_TIMEOUT_TEXT)]
    pub write_timeout: Duration,
    /// Most connections served at once; past it new ones wait to be accepted.
    #[arg(long, env = "ROLLCALL_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Most instances, all services together.
    #[arg(long, env = "ROLLCALL_MAX_INSTANCES", default_value_t = DEFAULT_MAX_INSTANCES)]
    pub max_instances: usize,
    /// Most services.
    #[arg(long, env = "ROLLCALL_MAX_SERVICES", default_value_t = DEFAULT_MAX_SERVICES)]
    pub max_services: usize,
    /// Most bytes of metadata keys and values on one instance.
    #[arg(long, env = "ROLLCALL_MAX_METADATA_BYTES", default_value_t = DEFAULT_MAX_METADATA_BYTES)]
    pub max_metadata_bytes: usize,
    /// Token rules, one per line: `<token> <read|write> <service-pattern>`; read
    /// again on SIGHUP.
    #[arg(long, env = "ROLLCALL_TOKEN_FILE", group = "tokens")]
    pub token_file: Option<PathBuf>,
    /// A token that writes every service (a `<token> write *` rule).
    #[arg(
        long,
        env = "ROLLCALL_WRITE_TOKEN",
        hide_env_values = true,
        group = "tokens"
    )]
    pub write_token: Option<Token>,
    /// Reads (lists, leases, the index) need a token too.
    #[arg(long, env = "ROLLCALL_PRIVATE_READS", requires = "tokens")]
    pub private_reads: bool,
    /// Seed-protocol heartbeats need no token (for trusted networks only).
    #[arg(long, env = "ROLLCALL_SEED_OPEN", requires = "tokens")]
    pub seed_open: bool,
    /// Where the registry is kept: `memory` (this process alone) or `etcd` (several
    /// frontends over one etcd cluster).
    #[arg(long, env = "ROLLCALL_STORE", value_enum, default_value_t = StoreKind::Memory)]
    pub store: StoreKind,
    /// etcd members to use with --store etcd: http://host:port, comma-separated.
    #[arg(
        long,
        env = "ROLLCALL_ETCD_ENDPOINTS",
        value_delimiter = ',',
        required_if_eq("store", "etcd")
    )]
    pub etcd_endpoints: Vec<String>,
    /// Every etcd key of this registry starts with it: registries sharing a cluster
    /// use different prefixes.
    #[arg(long, env = "ROLLCALL_ETCD_PREFIX", default_value = DEFAULT_ETCD_PREFIX)]
    pub etcd_prefix: String,
    /// Longest wait for one etcd operation; past it a write answers 503.
    #[arg(long, env = "ROLLCALL_ETCD_TIMEOUT", value_parser = parse_duration, default_value = DEFAULT_ETCD_TIMEOUT_TEXT)]
    pub etcd_timeout: Duration,
    /// etcd user to act as, for a cluster with authentication on (with
    /// --etcd-password-file).
    #[arg(long, env = "ROLLCALL_ETCD_USER", requires = "etcd_password_file")]
    pub etcd_user: Option<String>,
    /// File whose first line is --etcd-user's password (a file, since `ps` shows
    /// every process's command line).
    #[arg(long, env = "ROLLCALL_ETCD_PASSWORD_FILE", requires = "etcd_user")]
    pub etcd_password_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, env = "ROLLCALL_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ROLLCALL_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Where `rollcall serve` keeps the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// In this process: nothing else to run, gone when it stops.
    Memory,
    /// In etcd: any number of frontends, each serving every route.
    Etcd,
}

impl ServeArgs {
    /// The shortest TTL: as given, else the default of the store.
    pub fn min_ttl(&self) -> Duration {
        match (self.min_ttl, self.store) {
            (Some(min_ttl), _) => min_ttl,
            (None, StoreKind::Memory) => DEFAULT_MIN_TTL,
            (None, StoreKind::Etcd) => ETCD_MIN_TTL,
        }
    }
}

/// The library's defaults as the command line spells them (checked by a test).
pub const DEFAULT_TTL_TEXT: &str = "5m";
pub const DEFAULT_MAX_TTL_TEXT: &str = "24h";
pub const DEFAULT_HEADER_READ_TIMEOUT_TEXT: &str = "30s";
pub const DEFAULT_BODY_TIMEOUT_TEXT: &str = "10s";
pub const DEFAULT_WRITE_TIMEOUT_TEXT: &str = "30s";
pub const DEFAULT_MAX_WAIT_TEXT: &str = "5m";
pub const DEFAULT_ETCD_TIMEOUT_TEXT: &str = "2s";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use rollcall_protocol::DEFAULT_TTL;
    use rollcall_server::{
        DEFAULT_BODY_READ_TIMEOUT, DEFAULT_ETCD_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
        DEFAULT_MAX_TTL, DEFAULT_WRITE_TIMEOUT,
    };

    /// `rollcall serve` alone, as clap parses it.
    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn command_line_defaults_match_the_library() {
        Serve::command().debug_assert();
        assert_eq!(parse_duration(DEFAULT_TTL_TEXT), Ok(DEFAULT_TTL));
        assert_eq!(
            parse_duration(DEFAULT_ETCD_TIMEOUT_TEXT),
            Ok(DEFAULT_ETCD_TIMEOUT)
        );
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
        assert_eq!(
            parse_duration(DEFAULT_MAX_WAIT_TEXT),
            Ok(rollcall_protocol::DEFAULT_MAX_WAIT)
        );
    }

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let all = ["serve"].iter().chain(args);
        Serve::try_parse_from(all).map(|serve| serve.args)
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
        let args = serve_args(&[
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
            "--warmup",
            "30s",
            "--max-wait",
            "30s",
            "--max-watchers",
            "5",
            "--change-log",
            "0",
        ])
        .expect("parses");
        assert_eq!(args.ttl, Duration::ZERO);
        assert_eq!(args.cors_origins, ["https://a", "https://b"]);
        assert_eq!(args.max_body, 100);
        assert_eq!(args.warmup, Some(Duration::from_secs(30)));
        assert_eq!(args.max_wait, Duration::from_secs(30));
        assert_eq!((args.max_watchers, args.change_log), (5, 0));
        assert!(serve_args(&["--ttl", "5x"]).is_err());
    }

    #[test]
    fn the_etcd_store_needs_endpoints_and_raises_the_min_ttl() {
        let memory = serve_args(&[]).expect("parses");
        assert_eq!(
            (memory.store, memory.min_ttl()),
            (StoreKind::Memory, DEFAULT_MIN_TTL)
        );
        assert!(serve_args(&["--store", "etcd"]).is_err(), "no endpoints");
        let etcd = serve_args(&[
            "--store",
            "etcd",
            "--etcd-endpoints",
            "http://127.0.0.1:2379,http://127.0.0.1:22379",
        ])
        .expect("parses");
        assert_eq!(etcd.etcd_endpoints.len(), 2);
        assert_eq!(etcd.min_ttl(), ETCD_MIN_TTL);
        assert_eq!(etcd.etcd_prefix, DEFAULT_ETCD_PREFIX);
        let given = serve_args(&["--min-ttl", "5s"]).expect("parses");
        assert_eq!(given.min_ttl(), Duration::from_secs(5));
        assert!(serve_args(&["--store", "disk"]).is_err());
    }
}
