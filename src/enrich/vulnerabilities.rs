//! The vulnerability stage: OSV answers (cached, then fetched) plus local databases, merged into
//! one [`VulnerabilityStatus`] per package.

use pyaudit_cache::Cache;

use super::{
    EnrichError, PackageKey, VulnerabilityData, VulnerabilitySettings, VulnerabilityStatus,
};

/// Collect vulnerability data for `targets`. Every target gets an entry in the result.
pub fn collect(
    targets: &[PackageKey],
    _cache: &Cache,
    _settings: &VulnerabilitySettings,
) -> Result<VulnerabilityData, EnrichError> {
    let mut data = VulnerabilityData::default();
    for target in targets {
        data.packages.insert(
            target.clone(),
            VulnerabilityStatus::Unchecked {
                reason: "not implemented yet".to_string(),
            },
        );
    }
    Ok(data)
}
