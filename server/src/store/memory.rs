//! The memory store: the [`Registry`] is its own truth. Every operation is
//! synchronous under the registry's lock; the futures are ready at once.

use std::future::ready;
use std::time::Duration;

use rollcall_protocol::{LeaseList, RegisterRequest, RegisterResponse};

use super::{Store, StoreFuture};
use crate::Registry;

impl Store for Registry {
    fn registry(&self) -> &Registry {
        self
    }

    fn register<'a>(
        &'a self,
        service: &'a str,
        request: RegisterRequest,
    ) -> StoreFuture<'a, RegisterResponse> {
        Box::pin(ready(Registry::register(self, service, request)))
    }

    fn renew_seed<'a>(&'a self, addr: &'a str) -> StoreFuture<'a, Duration> {
        Box::pin(ready(Registry::renew_seed(self, addr)))
    }

    fn deregister<'a>(&'a self, service: &'a str, addr: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(ready(Registry::deregister(self, service, addr)))
    }

    fn leases<'a>(&'a self, service: &'a str) -> StoreFuture<'a, LeaseList> {
        let leases = rollcall_protocol::validate_service(service)
            .map(|()| Registry::leases(self, service))
            .map_err(Into::into);
        Box::pin(ready(leases))
    }
}
