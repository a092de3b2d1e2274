//! The integration marker: a small JSON document kept in a CRM org variable. It records the
//! bound portal, the activation generation and the one-time client mapping, so every run on
//! any machine sees the same truth and one CRM org binds at most one portal.

use serde::{Deserialize, Serialize};

/// API name of the org variable holding the marker.
pub const MARKER_VARIABLE: &str = "projectlink_integration";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntegrationState {
    Active,
    Deactivated,
}

/// Whether the one-time automatic client-account mapping has run in this generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientMappingState {
    #[default]
    Pending,
    Done,
    Skipped,
}

/// The marker document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Format version of this document.
    pub version: u32,
    /// The spec (`metadata.name`, prefixed by namespace when run by the operator) that owns it.
    pub owner: String,
    pub state: IntegrationState,
    pub portal_id: String,
    pub portal_name: String,
    /// Bumped on every activation and portal change; associations of an older generation
    /// are never restored.
    pub generation: u64,
    #[serde(default)]
    pub client_mapping: ClientMappingState,
}

/// Why the marker variable's value is not a marker.
#[derive(Debug, thiserror::Error)]
#[error("marker is not valid JSON: {0}")]
pub struct MarkerError(serde_json::Error);

impl Marker {
    pub const VERSION: u32 = 1;

    /// Parses the variable's value; an error when it is not a marker this version understands.
    pub fn parse(value: &str) -> Result<Marker, MarkerError> {
        serde_json::from_str(value).map_err(MarkerError)
    }

    pub fn to_value(&self) -> String {
        serde_json::to_string(self).expect("marker serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_through_its_variable_value() {
        let m = Marker {
            version: Marker::VERSION,
            owner: "acme".into(),
            state: IntegrationState::Active,
            portal_id: "101".into(),
            portal_name: "Acme Delivery".into(),
            generation: 3,
            client_mapping: ClientMappingState::Done,
        };
        assert_eq!(Marker::parse(&m.to_value()).unwrap(), m);
    }

    #[test]
    fn a_foreign_value_is_reported_not_trusted() {
        assert!(Marker::parse("hello").is_err());
    }
}
