//! `rollcall list [SERVICE] [--json]`: every service with its instance count, or one
//! service's instances with metadata, weight, TTL and lease.

use std::collections::BTreeMap;

use rollcall_client::protocol::{DEFAULT_SERVICE, InstanceList, Lease, ServiceIndex};

use super::format::{millis, table};
use super::{CliError, RegistryArg};

/// Arguments of `rollcall list`.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// List this service's instances rather than every service.
    pub service: Option<String>,
    /// Print the registry's JSON answer instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArg,
}

/// Prints the services, or the instances of one; stdout gets the table (or the
/// JSON), stderr a note while the registry warms up.
pub async fn run(args: ListArgs) -> Result<(), CliError> {
    let url = &args.registry.url;
    let failed = |e| CliError::from_client(url, e);
    match &args.service {
        None => {
            let client = args.registry.client(DEFAULT_SERVICE)?;
            let index = client.services().await.map_err(failed)?;
            warn_if_warming(index.warming);
            print!("{}", render_index(&index, args.json)?);
        }
        Some(service) => {
            let client = args.registry.client(service)?;
            let list = client.list(None).await.map_err(failed)?;
            // Always a list: no version was sent, so no 304.
            let list = list.ok_or_else(|| CliError::Unexpected {
                registry: url.clone(),
                reason: "304 to a request without If-None-Match".to_owned(),
            })?;
            warn_if_warming(list.warming);
            if args.json {
                print!("{}", to_json(&list)?);
            } else {
                let leases = client.leases().await.map_err(failed)?;
                print!("{}", render_instances(&list, &leases.leases));
            }
        }
    }
    Ok(())
}

fn warn_if_warming(warming: bool) {
    if warming {
        eprintln!(
            "note: the registry is warming up after its start; instances that have not \
             beaten since are missing"
        );
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut text = serde_json::to_string(value).map_err(|e| CliError::Invalid(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// The index as a table (or JSON).
fn render_index(index: &ServiceIndex, json: bool) -> Result<String, CliError> {
    if json {
        return to_json(index);
    }
    let rows: Vec<Vec<String>> = index
        .services
        .iter()
        .map(|s| {
            vec![
                s.service.clone(),
                s.instances.to_string(),
                s.revision.to_string(),
            ]
        })
        .collect();
    Ok(table(&["SERVICE", "INSTANCES", "REVISION"], &rows))
}

/// One service's instances as a table, leases joined by address (an instance that
/// expired between the two requests shows `-`).
fn render_instances(list: &InstanceList, leases: &[Lease]) -> String {
    let leases: BTreeMap<&str, &Lease> = leases.iter().map(|l| (l.addr.as_str(), l)).collect();
    let rows: Vec<Vec<String>> = list
        .instances
        .iter()
        .map(|instance| {
            let lease = leases.get(instance.addr.as_str());
            let ttl = match instance.ttl_ms {
                0 => "never".to_owned(),
                ms => millis(ms),
            };
            let left = match lease {
                None => "-".to_owned(),
                Some(lease) => lease.expires_in_ms.map_or("never".to_owned(), millis),
            };
            let beat = lease.map_or("-".to_owned(), |l| millis(l.since_heartbeat_ms));
            let metadata: Vec<String> = instance
                .metadata
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            vec![
                instance.addr.clone(),
                instance.weight.to_string(),
                ttl,
                left,
                beat,
                metadata.join(","),
            ]
        })
        .collect();
    let mut out = table(
        &["ADDR", "WEIGHT", "TTL", "LEFT", "LAST BEAT", "METADATA"],
        &rows,
    );
    if rows.is_empty() {
        out.push_str(&format!("(no instances of {})\n", list.service));
    }
    out
}

#[cfg(test)]
mod tests {
    use rollcall_client::Instance;

    use super::*;

    #[test]
    fn instances_show_their_lease_and_metadata() {
        let mut a = Instance::from_addr("10.0.0.7:8080");
        a.metadata.insert("zone".to_owned(), "eu-1".to_owned());
        a.weight = 3;
        a.ttl_ms = 30_000;
        let list = InstanceList {
            service: "payments".to_owned(),
            epoch: 1,
            revision: 3,
            warming: false,
            stale: false,
            instances: vec![a, Instance::from_addr("tcp@h:1")],
        };
        let leases = [Lease {
            addr: "10.0.0.7:8080".to_owned(),
            since_heartbeat_ms: 42,
            expires_in_ms: Some(29_958),
        }];
        assert_eq!(
            render_instances(&list, &leases),
            "ADDR           WEIGHT  TTL    LEFT   LAST BEAT  METADATA\n\
             10.0.0.7:8080  3       30.0s  29.9s  42ms       zone=eu-1\n\
             tcp@h:1        1       never  -      -\n"
        );
        let empty = InstanceList {
            instances: Vec::new(),
            ..list
        };
        assert!(render_instances(&empty, &[]).ends_with("(no instances of payments)\n"));
    }
}
