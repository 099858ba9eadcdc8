//! The mapping the server enforces: which cloud resource serves which requirement, and which sizes, regions and
//! engines each provider offers. The tables live in `offerings`; this module only looks them up.

mod adopt;
pub mod naming;
mod offerings;

pub use adopt::{adopted_name, planned_from_record};
pub use offerings::{
    AWS_DEFAULT_IMAGE, DIGITALOCEAN_DEFAULT_IMAGE, DefaultImage, EngineOffering, KindMapping,
    Offering, ProviderResource, Region, Size,
};

use crate::model::{Engine, Provider, ResourceKind};

/// A requirement the mapping cannot serve; the message lists what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("unknown {provider} region {given}; valid: {valid}")]
    UnknownRegion {
        provider: Provider,
        given: String,
        valid: String,
    },
    #[error("{provider} region {region} has no object storage; regions with it: {valid}")]
    NoObjectStorage {
        provider: Provider,
        region: String,
        valid: String,
    },
    #[error("unknown {provider} {kind} size {given}; valid: {valid}")]
    UnknownSize {
        provider: Provider,
        kind: ResourceKind,
        given: String,
        valid: String,
    },
    #[error("{kind} has no sizes on {provider}; remove \"size\", \"vcpus\" and \"memory_gb\"")]
    Sizeless {
        provider: Provider,
        kind: ResourceKind,
    },
    #[error(
        "no {provider} {kind} size has {vcpus} vCPU and {memory_gb} GB; the largest are: {largest}"
    )]
    NoSizeLargeEnough {
        provider: Provider,
        kind: ResourceKind,
        vcpus: u32,
        memory_gb: f64,
        largest: String,
    },
    #[error("{provider} offers no {engine} for {kind}; valid engines: {valid}")]
    UnknownEngine {
        provider: Provider,
        kind: ResourceKind,
        engine: Engine,
        valid: String,
    },
    #[error("{provider} {engine} has no version {given}; valid: {valid}")]
    UnknownVersion {
        provider: Provider,
        engine: Engine,
        given: String,
        valid: String,
    },
}

pub fn offering(provider: Provider) -> &'static Offering {
    match provider {
        Provider::Digitalocean => &offerings::DIGITALOCEAN,
        Provider::Aws => &offerings::AWS,
    }
}

pub fn kinds() -> &'static [KindMapping] {
    &offerings::KINDS
}

pub fn provider_resource(provider: Provider, kind: ResourceKind) -> &'static ProviderResource {
    let mapping = offerings::KINDS
        .iter()
        .find(|m| m.kind == kind)
        .unwrap_or(&offerings::KINDS[0]);
    match provider {
        Provider::Digitalocean => &mapping.digitalocean,
        Provider::Aws => &mapping.aws,
    }
}

/// Sizes a kind is offered in on a provider; empty for kinds without sizes.
pub fn sizes(provider: Provider, kind: ResourceKind) -> &'static [Size] {
    let offer = offering(provider);
    match kind {
        ResourceKind::WebServer => offer.web_server_sizes,
        ResourceKind::Database => offer.database_sizes,
        ResourceKind::Cache => offer.cache_sizes,
        _ => &[],
    }
}

pub fn region(provider: Provider, slug: &str) -> Result<&'static Region, MappingError> {
    let offer = offering(provider);
    offer
        .regions
        .iter()
        .find(|r| r.slug == slug)
        .ok_or_else(|| MappingError::UnknownRegion {
            provider,
            given: crate::model::quote(slug),
            valid: join(offer.regions.iter().map(|r| r.slug)),
        })
}

/// A region that must also offer object storage.
pub fn object_storage_region(
    provider: Provider,
    slug: &str,
) -> Result<&'static Region, MappingError> {
    let found = region(provider, slug)?;
    if found.object_storage {
        return Ok(found);
    }
    Err(MappingError::NoObjectStorage {
        provider,
        region: crate::model::quote(slug),
        valid: join(
            offering(provider)
                .regions
                .iter()
                .filter(|r| r.object_storage)
                .map(|r| r.slug),
        ),
    })
}

/// An explicitly named size, which must exist.
pub fn find_size(
    provider: Provider,
    kind: ResourceKind,
    slug: &str,
) -> Result<&'static Size, MappingError> {
    let offered = sizes(provider, kind);
    if offered.is_empty() {
        return Err(MappingError::Sizeless { provider, kind });
    }
    offered
        .iter()
        .find(|s| s.slug == slug)
        .ok_or_else(|| MappingError::UnknownSize {
            provider,
            kind,
            given: crate::model::quote(slug),
            valid: join(offered.iter().map(|s| s.slug)),
        })
}

/// The smallest size on the provider's default ladder with at least `vcpus` and `memory_gb`.
pub fn pick_size(
    provider: Provider,
    kind: ResourceKind,
    vcpus: u32,
    memory_gb: f64,
) -> Result<&'static Size, MappingError> {
    let offered = sizes(provider, kind);
    if offered.is_empty() {
        return Err(MappingError::Sizeless { provider, kind });
    }
    let fits = |s: &&Size| s.vcpus >= vcpus && s.memory_gb + 1e-9 >= memory_gb;
    let ladder_fit = offered
        .iter()
        .filter(|s| s.default_ladder)
        .filter(fits)
        .min_by(|a, b| size_order(a, b));
    ladder_fit
        .or_else(|| offered.iter().filter(fits).min_by(|a, b| size_order(a, b)))
        .ok_or_else(|| {
            let mut by_size: Vec<&Size> = offered.iter().collect();
            by_size.sort_by(|a, b| size_order(b, a));
            MappingError::NoSizeLargeEnough {
                provider,
                kind,
                vcpus,
                memory_gb,
                largest: join(
                    by_size
                        .iter()
                        .take(3)
                        .map(|s| format!("{} ({} vCPU, {} GB)", s.slug, s.vcpus, s.memory_gb)),
                ),
            }
        })
}

/// The next size up from `slug` for a resource that runs short: the smallest size on the default ladder (of any
/// family) with at least as many vCPUs and more memory, or more vCPUs and as much memory.
pub fn next_size_up(provider: Provider, kind: ResourceKind, slug: &str) -> Option<&'static Size> {
    let current = find_size(provider, kind, slug).ok()?;
    let larger = |s: &&Size| {
        s.vcpus >= current.vcpus
            && s.memory_gb + 1e-9 >= current.memory_gb
            && (s.vcpus > current.vcpus || s.memory_gb > current.memory_gb + 1e-9)
    };
    let offered = sizes(provider, kind);
    offered
        .iter()
        .filter(|s| s.default_ladder)
        .filter(larger)
        .min_by(|a, b| size_order(a, b))
        .or_else(|| {
            offered
                .iter()
                .filter(larger)
                .min_by(|a, b| size_order(a, b))
        })
}

fn size_order(a: &Size, b: &Size) -> std::cmp::Ordering {
    a.memory_gb
        .total_cmp(&b.memory_gb)
        .then(a.vcpus.cmp(&b.vcpus))
}

/// The engine offering for a kind, and the version to use (the given one, which must exist, or the default).
/// DigitalOcean replaced Redis with Valkey: asking for redis there gives valkey.
pub fn engine(
    provider: Provider,
    kind: ResourceKind,
    engine: Engine,
    version: Option<&str>,
) -> Result<(&'static EngineOffering, &'static str), MappingError> {
    let offer = offering(provider);
    let wanted = match (provider, engine) {
        (Provider::Digitalocean, Engine::Redis) => Engine::Valkey,
        _ => engine,
    };
    let found = offer
        .engines
        .iter()
        .find(|e| e.engine == wanted && e.kind == kind)
        .ok_or_else(|| MappingError::UnknownEngine {
            provider,
            kind,
            engine,
            valid: join(
                offer
                    .engines
                    .iter()
                    .filter(|e| e.kind == kind)
                    .map(|e| e.engine.as_str()),
            ),
        })?;
    let chosen = match version {
        None => found.default_version,
        Some(v) => found
            .versions
            .iter()
            .copied()
            .find(|known| *known == v)
            .ok_or_else(|| MappingError::UnknownVersion {
                provider,
                engine: found.engine,
                given: crate::model::quote(v),
                valid: join(found.versions.iter().copied()),
            })?,
    };
    Ok((found, chosen))
}

/// The default engine for a kind.
pub fn default_engine(kind: ResourceKind) -> Engine {
    match kind {
        ResourceKind::Cache => Engine::Valkey,
        _ => Engine::Postgres,
    }
}

pub(crate) fn join<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_size_up_is_the_smallest_larger_one_on_the_ladder() {
        let next = |p, k, slug| next_size_up(p, k, slug).map(|s| s.slug);
        assert_eq!(
            next(Provider::Aws, ResourceKind::WebServer, "t3.small"),
            Some("t3.medium")
        );
        assert_eq!(
            next(
                Provider::Digitalocean,
                ResourceKind::WebServer,
                "s-1vcpu-2gb"
            ),
            Some("s-2vcpu-2gb")
        );
        assert_eq!(
            next(Provider::Aws, ResourceKind::WebServer, "no-such-size"),
            None
        );
    }

    #[test]
    fn brief_example_sizes_map_to_the_expected_slugs() {
        let pick = |p, k| pick_size(p, k, 2, 4.0).map(|s| s.slug);
        assert_eq!(
            pick(Provider::Digitalocean, ResourceKind::WebServer),
            Ok("s-2vcpu-4gb")
        );
        assert_eq!(
            pick(Provider::Aws, ResourceKind::WebServer),
            Ok("t3.medium")
        );
        assert_eq!(
            pick(Provider::Digitalocean, ResourceKind::Database),
            Ok("db-s-2vcpu-4gb")
        );
        assert_eq!(
            pick(Provider::Aws, ResourceKind::Database),
            Ok("db.t3.medium")
        );
    }

    #[test]
    fn sizing_picks_the_smallest_that_fits() {
        for provider in Provider::ALL {
            for kind in [
                ResourceKind::WebServer,
                ResourceKind::Database,
                ResourceKind::Cache,
            ] {
                for wanted in sizes(provider, kind) {
                    let picked = pick_size(provider, kind, wanted.vcpus, wanted.memory_gb)
                        .unwrap_or_else(|e| panic!("{e}"));
                    assert!(picked.vcpus >= wanted.vcpus && picked.memory_gb >= wanted.memory_gb);
                    if wanted.default_ladder {
                        assert!(
                            picked.memory_gb <= wanted.memory_gb,
                            "{} for {}",
                            picked.slug,
                            wanted.slug
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn too_large_a_requirement_names_the_largest_sizes() {
        let err = pick_size(Provider::Digitalocean, ResourceKind::WebServer, 64, 512.0)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("s-8vcpu-16gb"), "{err}");
    }

    #[test]
    fn unknown_names_list_the_valid_choices() {
        let err = region(Provider::Aws, "mars-1")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("us-east-1") && err.contains("mars-1"), "{err}");
        let err = find_size(Provider::Digitalocean, ResourceKind::WebServer, "huge")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("s-1vcpu-1gb"), "{err}");
        let err = engine(Provider::Aws, ResourceKind::Database, Engine::Valkey, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("postgres") && err.contains("mysql"), "{err}");
    }

    #[test]
    fn redis_on_digitalocean_is_valkey() {
        let (offer, version) = engine(
            Provider::Digitalocean,
            ResourceKind::Cache,
            Engine::Redis,
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((offer.engine, version), (Engine::Valkey, "8"));
    }

    #[test]
    fn every_kind_is_mapped_once_for_both_providers() {
        for kind in ResourceKind::ALL {
            assert_eq!(
                kinds().iter().filter(|m| m.kind == kind).count(),
                1,
                "{kind}"
            );
        }
    }

    #[test]
    fn slugs_are_unique_per_kind() {
        for provider in Provider::ALL {
            for kind in ResourceKind::ALL {
                let all = sizes(provider, kind);
                for s in all {
                    assert_eq!(
                        all.iter().filter(|o| o.slug == s.slug).count(),
                        1,
                        "{}",
                        s.slug
                    );
                }
            }
        }
    }
}
