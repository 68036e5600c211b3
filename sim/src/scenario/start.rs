//! Starting a run: the hosts built in a fixed order (turmoil draws each host's RNG
//! seed as it is added), the plan drawn, the checks gathered.

use std::collections::VecDeque;
use std::time::{Duration, UNIX_EPOCH};

use super::{Scenario, TCP_CAPACITY};
use crate::api::{REGISTRY, STORE};
use crate::checks::{self, Check};
use crate::event::Event;
use crate::fault::Links;
use crate::hosts::{self, HostConfig};
use crate::observer::Observer;
use crate::run::Run;
use crate::seeds;
use crate::world::{Hosts, World};

impl Scenario {
    /// Builds the hosts and starts a run of `seed` at time zero: drive it with
    /// [`Run::until`].
    pub fn start(&self, seed: u64) -> Run {
        let observer = Observer::new();
        let mut builder = turmoil::Builder::new();
        builder
            .rng_seed(seed)
            .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .tick_duration(self.network.tick)
            .simulation_duration(self.duration * 2)
            .min_message_latency(self.network.min_latency)
            .max_message_latency(self.network.max_latency)
            .tcp_capacity(TCP_CAPACITY)
            .fail_rate(self.network.fail_rate)
            .repair_rate(self.network.repair_rate);
        let mut sim = builder.build();
        let registries = self.registry_names();
        let mut broken = None;
        let endpoint = if self.frontends == 0 {
            self.api.endpoint()
        } else {
            self.api.endpoint_at(&registries).unwrap_or_else(|error| {
                broken = Some(format!("{} frontends: {error}", self.frontends));
                self.api.endpoint()
            })
        };
        let config = HostConfig {
            seed,
            observer: observer.clone(),
            api: self.api.clone(),
            endpoint,
            ttl: self.ttl,
            warmup: self.warmup,
            poll: self.network.tick,
            heartbeat: self.heartbeat.clone(),
            discovery: self.discovery.clone(),
            watch: self.watch.clone(),
        };
        let mut hosts: Vec<String> = Vec::new();
        let mut add = |sim: &mut turmoil::Sim<'static>, name: &str, factory: hosts::Factory| {
            if hosts.iter().any(|h| h == name) {
                broken.get_or_insert(format!("two hosts are named {name:?}"));
            } else {
                hosts.push(name.to_owned());
                sim.host(name, factory);
            }
        };
        if self.frontends == 0 {
            add(&mut sim, REGISTRY, hosts::registry(&config));
        } else {
            let slot = hosts::StoreSlot::default();
            add(&mut sim, STORE, hosts::store(&config, &slot));
            for name in &registries {
                add(&mut sim, name, hosts::frontend(&config, &slot));
            }
        }
        for (name, software) in &self.servers {
            add(
                &mut sim,
                name,
                hosts::server(name, &config, software.clone()),
            );
        }
        for (name, software) in &self.clients {
            add(
                &mut sim,
                name,
                hosts::client(name, &config, software.clone()),
            );
        }
        for name in &self.watchers {
            add(&mut sim, name, hosts::watcher(name, &config));
        }
        for (name, software) in &self.others {
            add(
                &mut sim,
                name,
                hosts::other(name, &config, software.clone()),
            );
        }
        for host in &hosts {
            let host = host.clone();
            observer.record_at(Duration::ZERO, Event::Started { host });
        }
        let (servers, clients) = (self.server_names(), self.client_names());
        let plan = match &self.random {
            Some(limits) => {
                let drawn = limits.draw(seeds::derive(seed, "plan"), &servers, &clients);
                self.plan.clone().merge(&drawn)
            }
            None => self.plan.clone(),
        };
        for (_, fault) in plan.faults() {
            if let Some(unknown) = fault
                .hosts()
                .into_iter()
                .find(|h| !hosts.iter().any(|k| k == h))
            {
                broken.get_or_insert(format!(
                    "the plan's {fault:?} names {unknown:?}, which is no host of this scenario"
                ));
            }
        }
        let addrs: Vec<(String, String)> = servers
            .iter()
            .map(|s| (s.clone(), self.server_addr(s)))
            .collect();
        let kinds = Hosts {
            servers: &addrs,
            clients: &clients,
            watchers: &self.watchers,
        };
        let world = World::new(
            self.timing(),
            (self.store_name(), &registries),
            kinds,
            &self.network,
        );
        let mut checks = if self.default_checks {
            checks::rollcall()
        } else {
            Vec::new()
        };
        checks.extend(self.checks.iter().cloned());
        let checks = checks.iter().map(Check::arm).collect();
        Run {
            sim,
            observer,
            world,
            links: Links::default(),
            hosts,
            pending: VecDeque::from(plan.faults()),
            checks,
            name: self.name.clone(),
            seed,
            network: self.network.clone(),
            plan,
            broken,
        }
    }
}
