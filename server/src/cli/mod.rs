//! The command-line client: `rollcall list`, `register` and `deregister`, one file
//! per command, on [`rollcall_client`] over the JSON API. `main.rs` parses the
//! arguments and calls the command's `run`.
//!
//! Every command takes `--registry URL` (env `ROLLCALL_REGISTRY`). Output meant
//! for people and scripts goes to stdout; a failure is one line on stderr and a
//! non-zero exit (see [`CliError`]).

pub mod deregister;
pub mod list;
pub mod register;

mod error;
mod format;

pub use error::CliError;

use rollcall_client::transport::HyperTransport;
use rollcall_client::{RegistryClient, RegistryEndpoint};

/// Where the commands find the registry unless told otherwise: where
/// `rollcall serve` listens by default.
pub const DEFAULT_REGISTRY: &str = "http://127.0.0.1:9999";

/// The registry a command talks to.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArg {
    /// Base URL of the registry's JSON API.
    #[arg(long = "registry", env = "ROLLCALL_REGISTRY", default_value = DEFAULT_REGISTRY)]
    pub url: String,
}

impl RegistryArg {
    /// A client of `service` at this registry.
    fn client(&self, service: &str) -> RegistryClient<HyperTransport> {
        let endpoint = RegistryEndpoint::json(self.url.as_str(), service);
        RegistryClient::new(HyperTransport::new(), endpoint)
    }
}
