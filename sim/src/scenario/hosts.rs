//! The hosts of a scenario: servers, clients, watchers and your own, by name.

use std::future::Future;

use rollcall_client::WatchOptions;

use super::Scenario;
use crate::api::{REGISTRY, STORE};
use crate::hosts::{self, ClientHost, Host, HostResult, ServerHost};

impl Scenario {
    /// Adds a server host named `name` running `software`: your server code, handed
    /// a [`ServerHost`] to [`listen`](ServerHost::listen) on.
    pub fn server<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(ServerHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.servers
            .push((name.to_owned(), hosts::software(software)));
        self
    }

    /// Adds `count` server hosts running `software`, named `server-1`, `server-2`..
    /// (numbered on from the servers already added).
    pub fn servers<F, Fut>(mut self, count: usize, software: F) -> Scenario
    where
        F: Fn(ServerHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        let software = hosts::software(software);
        let first = self.servers.len() + 1;
        for i in first..first + count {
            self.servers.push((format!("server-{i}"), software.clone()));
        }
        self
    }

    /// Adds a client host named `name` running `software`: your calling code,
    /// handed a [`ClientHost`] with a discovery of the scenario's service.
    pub fn client<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(ClientHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.clients
            .push((name.to_owned(), Some(hosts::software(software))));
        self
    }

    /// Adds `count` client hosts running `software`, named `client-1`, `client-2`..
    pub fn clients<F, Fut>(mut self, count: usize, software: F) -> Scenario
    where
        F: Fn(ClientHost) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        let software = hosts::software(software);
        let first = self.clients.len() + 1;
        for i in first..first + count {
            self.clients
                .push((format!("client-{i}"), Some(software.clone())));
        }
        self
    }

    /// Adds `count` client hosts that only keep their discovery fresh (and
    /// sampled), named on from the clients already added.
    pub fn idle_clients(mut self, count: usize) -> Scenario {
        let first = self.clients.len() + 1;
        for i in first..first + count {
            self.clients.push((format!("client-{i}"), None));
        }
        self
    }

    /// Adds a host of your own (a proxy, a load generator, a second frontend)
    /// named `name`, running `software`. Faults apply to it like to any host.
    pub fn host<F, Fut>(mut self, name: &str, software: F) -> Scenario
    where
        F: Fn(Host) -> Fut + 'static,
        Fut: Future<Output = HostResult> + 'static,
    {
        self.others
            .push((name.to_owned(), hosts::software(software)));
        self
    }

    /// Adds `count` hosts that follow the scenario's service with a watch stream
    /// ([`RegistryClient::watch_with`](rollcall_client::RegistryClient::watch_with)
    /// and `options`, its list requests timing out as the clients' discovery's),
    /// fold it into a [`ServiceView`](rollcall_client::ServiceView) and record
    /// every item ([`Event::Watched`](crate::Event::Watched)), named `watcher-1`,
    /// `watcher-2`.. (numbered on from the watchers already added). Every watcher
    /// of a scenario runs with the last `options` given.
    pub fn watchers(mut self, count: usize, options: WatchOptions) -> Scenario {
        let first = self.watchers.len() + 1;
        for i in first..first + count {
            self.watchers.push(format!("watcher-{i}"));
        }
        self.watch = options;
        self
    }

    /// The server hosts' names, in order.
    pub fn server_names(&self) -> Vec<String> {
        self.servers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The client hosts' names, in order.
    pub fn client_names(&self) -> Vec<String> {
        self.clients.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The hosts that answer the registry's routes: the [`REGISTRY`] host, or the
    /// frontends ([`frontends`](Scenario::frontends)).
    pub fn registry_names(&self) -> Vec<String> {
        if self.frontends == 0 {
            vec![REGISTRY.to_owned()]
        } else {
            (1..=self.frontends)
                .map(|i| format!("frontend-{i}"))
                .collect()
        }
    }

    /// The host that holds the registry's state: the [`REGISTRY`] host, or the
    /// [`STORE`] behind the frontends.
    pub fn store_name(&self) -> &'static str {
        if self.frontends == 0 { REGISTRY } else { STORE }
    }

    /// Every host's name: the registry (or the store and the frontends), servers,
    /// clients, watchers, your own.
    pub fn host_names(&self) -> Vec<String> {
        let store = (self.frontends > 0).then(|| STORE.to_owned());
        store
            .into_iter()
            .chain(self.registry_names())
            .chain(self.server_names())
            .chain(self.client_names())
            .chain(self.watchers.iter().cloned())
            .chain(self.others.iter().map(|(n, _)| n.clone()))
            .collect()
    }

    /// The watcher hosts' names, in order.
    pub fn watcher_names(&self) -> Vec<String> {
        self.watchers.clone()
    }
}
