//! A fixed list of servers, the seed's `MultiServersDiscovery`: no registry, updated
//! only by hand.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::Discovery;
use crate::error::Error;
use crate::protocol::Instance;
use crate::select::{SelectMode, Selector};

/// Servers given by the caller, picked from by [`SelectMode`].
///
/// A `std` mutex guards the list and the selector: every operation is a short,
/// synchronous copy or pick, never held across an `.await`.
#[derive(Debug)]
pub struct MultiServersDiscovery {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    instances: Vec<Instance>,
    selector: Selector,
}

impl MultiServersDiscovery {
    /// Discovery over `instances`, selection seeded from the OS.
    pub fn new(instances: Vec<Instance>) -> Self {
        MultiServersDiscovery {
            state: Mutex::new(State {
                instances,
                selector: Selector::seeded(None),
            }),
        }
    }

    /// Discovery over plain addresses (`"tcp@localhost:50001"`), as the seed takes them.
    pub fn from_addrs<I>(addrs: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        MultiServersDiscovery::new(addrs.into_iter().map(Instance::from_addr).collect())
    }

    /// Reseeds selection, for reproducible picks in tests and simulations.
    pub fn with_seed(self, seed: u64) -> Self {
        self.lock().selector = Selector::seeded(Some(seed));
        self
    }

    /// Picks one instance now, without refreshing.
    pub(crate) fn pick(&self, mode: SelectMode) -> Result<Instance, Error> {
        let mut state = self.lock();
        let State {
            instances,
            selector,
        } = &mut *state;
        selector.pick(mode, instances).cloned()
    }

    /// A copy of the list now, without refreshing.
    pub(crate) fn all(&self) -> Vec<Instance> {
        self.lock().instances.clone()
    }

    /// Replaces the list.
    pub(crate) fn set(&self, instances: Vec<Instance>) {
        self.lock().instances = instances;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is valid after any panic (plain assignments), so poisoning is moot.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Discovery for MultiServersDiscovery {
    /// Nothing to fetch: always up to date.
    async fn refresh(&self) -> Result<(), Error> {
        Ok(())
    }

    fn update(&self, instances: Vec<Instance>) {
        self.set(instances);
    }

    async fn get(&self, mode: SelectMode) -> Result<Instance, Error> {
        self.pick(mode)
    }

    async fn get_all(&self) -> Result<Vec<Instance>, Error> {
        Ok(self.all())
    }
}
