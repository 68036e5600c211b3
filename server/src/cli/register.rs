//! `rollcall register SERVICE ADDR [--meta k=v]... [--weight N] [--ttl D]`:
//! registers an instance and keeps it registered with heartbeats until told to
//! stop (Ctrl-C or SIGTERM), then deregisters it.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use rollcall_client::protocol::RegisterRequest;
use rollcall_client::{Heartbeat, HeartbeatOptions};
use rollcall_server::parse_duration;

use super::{CliError, RegistryArg};

/// Arguments of `rollcall register`.
#[derive(Debug, Clone, clap::Args)]
pub struct RegisterArgs {
    /// The service to register in.
    pub service: String,
    /// The instance's address (`host:port`, or the seed's `proto@host:port`).
    pub addr: String,
    /// A metadata entry, `KEY=VALUE` (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    pub meta: Vec<(String, String)>,
    /// Weight for weighted selection (registry default: 1).
    #[arg(long)]
    pub weight: Option<u32>,
    /// TTL to ask for, e.g. `30s` (registry default otherwise).
    #[arg(long, value_parser = parse_duration)]
    pub ttl: Option<Duration>,
    #[command(flatten)]
    pub registry: RegistryArg,
}

/// `KEY=VALUE`, split at the first `=`.
fn parse_meta(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

impl RegisterArgs {
    fn request(&self) -> RegisterRequest {
        RegisterRequest {
            addr: self.addr.clone(),
            metadata: self.meta.iter().cloned().collect::<BTreeMap<_, _>>(),
            weight: self.weight,
            ttl_ms: self
                .ttl
                .map(|ttl| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// Registers (failing at once if the registry cannot be reached or refuses), then
/// beats until `stop` completes, then deregisters.
pub async fn run(args: RegisterArgs, stop: impl Future<Output = ()>) -> Result<(), CliError> {
    let url = &args.registry.url;
    let client = args.registry.client(&args.service)?;
    let request = args.request();
    let ttl = client
        .register(&request)
        .await
        .map_err(|e| CliError::from_client(url, e))?;
    let lease = match ttl {
        Duration::ZERO => "never expires".to_owned(),
        ttl => format!("TTL {ttl:?}"),
    };
    println!(
        "registered {} in {} ({lease}); heartbeats until Ctrl-C or SIGTERM",
        args.addr, args.service
    );
    let options = HeartbeatOptions::default();
    let heartbeat = Heartbeat::after_registration(client, request, options, ttl);
    stop.await;
    heartbeat
        .stop()
        .await
        .map_err(|e| CliError::from_client(url, e))?;
    println!("deregistered {} from {}", args.addr, args.service);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_key_equals_value() {
        assert_eq!(parse_meta("zone=eu-1"), Ok(("zone".into(), "eu-1".into())));
        assert_eq!(parse_meta("k=a=b"), Ok(("k".into(), "a=b".into())));
        assert_eq!(parse_meta("k="), Ok(("k".into(), String::new())));
        assert!(parse_meta("novalue").is_err());
        assert!(parse_meta("=v").is_err());
    }
}
