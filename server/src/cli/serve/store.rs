//! Which store `rollcall serve` keeps the registry in (`--store`), opened before
//! it listens: the memory registry, or a frontend over etcd, which must load the
//! registry from etcd first.

use std::sync::Arc;

use rollcall_server::{
    DEFAULT_ETCD_START_TIMEOUT, EtcdConfig, EtcdStore, Registry, RegistryConfig, Store,
};
use tracing::info;

use super::ServeArgs;
use super::args::StoreKind;

/// The store the command line chose, and what opening it needs.
#[derive(Debug)]
pub(super) enum Choice {
    Memory,
    Etcd {
        config: EtcdConfig,
        /// `--warmup` was given: it has no meaning over etcd.
        warmup: bool,
    },
}

impl Choice {
    pub(super) fn of(args: &ServeArgs) -> Choice {
        match args.store {
            StoreKind::Memory => Choice::Memory,
            StoreKind::Etcd => Choice::Etcd {
                config: EtcdConfig {
                    endpoints: args.etcd_endpoints.clone(),
                    prefix: args.etcd_prefix.clone(),
                    timeout: args.etcd_timeout,
                    start_timeout: DEFAULT_ETCD_START_TIMEOUT,
                },
                warmup: args.warmup.is_some(),
            },
        }
    }

    /// The store, ready to serve: over etcd, once the registry is loaded and
    /// followed. A setting etcd cannot honour, or an etcd that stays unreachable
    /// for [`DEFAULT_ETCD_START_TIMEOUT`], stops the start with the reason.
    pub(super) async fn open(self, registry: RegistryConfig) -> Result<Arc<dyn Store>, String> {
        match self {
            Choice::Memory => Ok(Arc::new(Registry::new(registry))),
            Choice::Etcd { warmup: true, .. } => Err(
                "--warmup does not apply with --store etcd: a frontend that starts has lost nothing, the instances are in etcd"
                    .to_owned(),
            ),
            Choice::Etcd { config, .. } => {
                info!(endpoints = ?config.endpoints, prefix = %config.prefix, "loading the registry from etcd");
                let store = EtcdStore::connect(config, registry)
                    .await
                    .map_err(|e| format!("cannot use etcd: {e}"))?;
                Ok(Arc::new(store))
            }
        }
    }
}
