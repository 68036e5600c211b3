//! `rollcall deregister SERVICE ADDR`: removes an instance now rather than at its
//! expiry.

use super::{CliError, RegistryArg};

/// Arguments of `rollcall deregister`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeregisterArgs {
    /// The service the instance is registered in.
    pub service: String,
    /// The instance's address, as registered.
    pub addr: String,
    #[command(flatten)]
    pub registry: RegistryArg,
}

/// Deregisters, and says so; an instance not registered is an error (`404`).
pub async fn run(args: DeregisterArgs) -> Result<(), CliError> {
    let client = args.registry.client(&args.service)?;
    client
        .deregister(&args.addr)
        .await
        .map_err(|e| CliError::from_client(&args.registry.url, e))?;
    println!("deregistered {} from {}", args.addr, args.service);
    Ok(())
}
