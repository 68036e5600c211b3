//! What a registration asks for, checked: the protocol's rules, this registry's
//! metadata limit and TTL policy. Every store checks a write here before making it,
//! so both stores refuse the same bad input with the same errors.

use rollcall_protocol::{
    RegisterRequest, validate_addr, validate_metadata, validate_service, validate_weight,
};

use super::Registry;
use super::state::Update;
use crate::ApiError;

impl Registry {
    /// Checks a JSON registration against the protocol's rules and this registry's
    /// limits, and says what it sets: the checks every store makes before writing.
    pub(crate) fn prepare(
        &self,
        service: &str,
        request: &RegisterRequest,
    ) -> Result<Update, ApiError> {
        validate_service(service)?;
        validate_addr(&request.addr)?;
        validate_metadata(&request.metadata)?;
        let bytes: usize = request
            .metadata
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        let max = self.shared.config.max_metadata_bytes;
        if bytes > max {
            return Err(ApiError::MetadataTooLarge { bytes, max });
        }
        if let Some(weight) = request.weight {
            validate_weight(weight)?;
        }
        let ttl_ms = self.shared.ttl.grant(request.ttl_ms)?;
        Ok(Update {
            metadata: Some(request.metadata.clone()),
            weight: Some(request.weight.unwrap_or(rollcall_protocol::DEFAULT_WEIGHT)),
            ttl_ms,
        })
    }

    /// What a seed heartbeat for `addr` sets: the default TTL, and whatever metadata
    /// and weight are stored.
    pub(crate) fn prepare_seed(&self, addr: &str) -> Result<Update, ApiError> {
        validate_addr(addr)?;
        Ok(Update {
            metadata: None,
            weight: None,
            ttl_ms: self.shared.ttl.default_ms,
        })
    }
}
