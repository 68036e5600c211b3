//! The command-line client: `rollcall list`, `register`, `deregister` and `watch`,
//! one file per command, on [`rollcall_client`] over the JSON API. `main.rs` parses
//! the arguments and calls the command's `run`.
//!
//! Every command takes `--registry URL[,URL…]` (env `ROLLCALL_REGISTRY`): one
//! registry, or several frontends of one registry, tried in turn. Output meant
//! for people and scripts goes to stdout; a failure is one line on stderr and a
//! non-zero exit (see [`CliError`]).

pub mod deregister;
pub mod list;
pub mod register;
pub mod serve;
pub mod signals;
pub mod watch;

mod error;
mod format;

pub use error::CliError;

use std::path::PathBuf;

use rollcall_client::protocol::Token;
use rollcall_client::transport::HyperTransport;
use rollcall_client::{Error, RegistryClient, RegistryEndpoint};

/// Where the commands find the registry unless told otherwise: where
/// `rollcall serve` listens by default.
pub const DEFAULT_REGISTRY: &str = "http://127.0.0.1:9999";

/// The registry a command talks to.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArg {
    /// Base URL of the registry's JSON API (`http://` or `https://`); several
    /// frontends of one registry as a comma-separated list: a request that cannot
    /// reach one, or gets a 5xx, moves on to the next.
    #[arg(long = "registry", env = "ROLLCALL_REGISTRY", default_value = DEFAULT_REGISTRY)]
    pub url: String,
    /// Bearer token sent with every request (needed where the registry has tokens on).
    #[arg(long, env = "ROLLCALL_TOKEN", hide_env_values = true)]
    pub token: Option<Token>,
    /// PEM file of the CA that signed the registry's certificate, trusted instead of
    /// the platform's roots (`https://` only).
    #[arg(long, env = "ROLLCALL_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

impl RegistryArg {
    /// A client of `service` at this registry (each URL of the list), with the
    /// token and CA given.
    fn client(&self, service: &str) -> Result<RegistryClient<HyperTransport>, CliError> {
        let transport = match &self.ca_file {
            None => HyperTransport::new(),
            Some(path) => HyperTransport::with_ca_file(path)
                .map_err(|e| CliError::Invalid(format!("--ca-file: {e}")))?,
        };
        let endpoint = RegistryEndpoint::parse_json(&self.url, service).map_err(|e| match e {
            Error::InvalidUrl(reason) => CliError::Invalid(format!("--registry: {reason}")),
            other => CliError::Invalid(format!("--registry: {other}")),
        })?;
        let client = RegistryClient::new(transport, endpoint);
        Ok(match &self.token {
            Some(token) => client.with_token(token.clone()),
            None => client,
        })
    }
}
