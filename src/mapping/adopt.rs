//! The mapping read backwards: a resource found in a cloud (a [`ResourceRecord`]) as the planned resource rift
//! would have made of it, so what rift did not create is priced, drawn and exported like its own. What the
//! record does not say (a server's firewalls, a database's clients) is left empty; sizes the catalog knows give
//! their vCPUs and memory.

use crate::model::{
    Engine, ListenerRule, PlannedResource, ResourceKind, ResourceRecord, ResourceSpec,
};

use super::{offering, provider_resource, sizes};

/// What rift calls a found resource: its name in the cloud, or its id when it has none.
pub fn adopted_name(record: &ResourceRecord) -> String {
    if record.name.is_empty() {
        record.cloud_id.clone()
    } else {
        record.name.clone()
    }
}

/// The planned resource a found one stands for, named by [`adopted_name`].
pub fn planned_from_record(record: &ResourceRecord) -> PlannedResource {
    let name = adopted_name(record);
    let size = sizes(record.provider, record.kind)
        .iter()
        .find(|s| Some(s.slug) == record.size.as_deref());
    let (vcpus, memory_gb) = size.map_or((0, 0.0), |s| (s.vcpus, s.memory_gb));
    let part = |key: &str| record.parts.get(key).map(String::as_str);
    let number = |key: &str| part(key).and_then(|v| v.parse::<u32>().ok());
    let engine = engine_of(record);
    let spec = match record.kind {
        ResourceKind::WebServer => ResourceSpec::WebServer {
            vcpus,
            memory_gb,
            disk_gb: number("root_gb").unwrap_or(0),
            public: record.endpoints.iter().any(|e| is_public_address(e)),
            network: String::new(),
            firewalls: vec![],
            image: part("image").map(str::to_string),
            user_data: None,
            ssh_keys: vec![],
        },
        ResourceKind::Database => ResourceSpec::Database {
            engine: engine.map_or(Engine::Postgres, |(e, _)| e),
            version: version_of(record),
            vcpus,
            memory_gb,
            storage_gb: number("storage_gb").unwrap_or(0),
            nodes: number("nodes").unwrap_or(1),
            high_availability: part("multi_az") == Some("true") || number("nodes") > Some(1),
            port: engine.map_or(0, |(_, port)| port),
            network: String::new(),
            firewalls: vec![],
            allowed_from: vec![],
            public: false,
        },
        ResourceKind::Cache => ResourceSpec::Cache {
            engine: engine.map_or(Engine::Valkey, |(e, _)| e),
            version: version_of(record),
            vcpus,
            memory_gb,
            nodes: number("nodes").unwrap_or(1),
            port: engine.map_or(0, |(_, port)| port),
            network: String::new(),
            firewalls: vec![],
            allowed_from: vec![],
        },
        ResourceKind::LoadBalancer => ResourceSpec::LoadBalancer {
            listeners: record
                .parts
                .keys()
                .filter_map(|k| k.strip_prefix("listener:")?.parse::<u16>().ok())
                .map(|port| ListenerRule {
                    port,
                    target_port: port,
                    protocol: "http".to_string(),
                })
                .collect(),
            targets: vec![],
            nodes: record
                .size
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1),
            network: String::new(),
            firewalls: vec![],
        },
        ResourceKind::BlockStorage => ResourceSpec::BlockStorage {
            size_gb: record
                .size
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            volume_type: part("volume_type")
                .unwrap_or(offering(record.provider).volume_type)
                .to_string(),
            attach_to: part("attached_to").map(str::to_string),
        },
        ResourceKind::ObjectStorage => ResourceSpec::ObjectStorage {
            expected_storage_gb: 0,
            private: part("public_access_blocked") != Some("false"),
        },
        ResourceKind::Network => ResourceSpec::Network {
            cidr: part("ip_range").or(part("cidr")).map(str::to_string),
            subnets: vec![],
            internet_gateway: false,
            nat_gateway: record.parts.keys().any(|k| k.starts_with("nat")),
        },
        ResourceKind::Firewall => ResourceSpec::Firewall {
            network: String::new(),
            inbound: vec![],
            applies_to: vec![],
        },
    };
    PlannedResource {
        component: name.clone(),
        name,
        provider: record.provider,
        kind: record.kind,
        terraform_type: provider_resource(record.provider, record.kind)
            .terraform_type
            .to_string(),
        region: record.region.clone(),
        size: match record.kind {
            ResourceKind::WebServer | ResourceKind::Database | ResourceKind::Cache => {
                record.size.clone()
            }
            _ => None,
        },
        depends_on: vec![],
        derived: false,
        spec,
    }
}

/// The engine a database or cache runs and its port, from the cloud's own engine name ("pg", "postgres",
/// "valkey", "redis", ...).
fn engine_of(record: &ResourceRecord) -> Option<(Engine, u16)> {
    let native = record.parts.get("engine")?;
    offering(record.provider)
        .engines
        .iter()
        .find(|e| e.kind == record.kind && e.native_name == native.as_str())
        .map(|e| (e.engine, e.port))
}

/// The major version, as rift names versions ("16" of PostgreSQL 16.3; "8.0" of MySQL 8.0.35).
fn version_of(record: &ResourceRecord) -> String {
    let full = record
        .parts
        .get("version")
        .or(record.parts.get("engine_version"))
        .map(String::as_str)
        .unwrap_or_default();
    let mut pieces = full.split('.');
    match (pieces.next(), pieces.next()) {
        (Some(major), Some(minor)) if record.parts.get("engine").is_some_and(|e| e == "mysql") => {
            format!("{major}.{minor}")
        }
        (Some(major), _) => major.to_string(),
        _ => String::new(),
    }
}

/// An IPv4 address outside the private ranges (a server with one is reachable from the internet).
fn is_public_address(endpoint: &str) -> bool {
    match endpoint.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => !(ip.is_private() || ip.is_loopback() || ip.is_link_local()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Provider;

    fn record(
        provider: Provider,
        kind: ResourceKind,
        size: Option<&str>,
        parts: &[(&str, &str)],
    ) -> ResourceRecord {
        ResourceRecord {
            kind,
            provider,
            cloud_id: "id-1".into(),
            name: String::new(),
            region: "nyc3".into(),
            size: size.map(str::to_string),
            state: "active".into(),
            endpoints: vec!["203.0.113.7".into(), "10.0.0.4".into()],
            tags: BTreeMap::new(),
            parts: parts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            monthly_cost: None,
        }
    }

    #[test]
    fn a_found_droplet_is_the_web_server_of_its_size() {
        let planned = planned_from_record(&record(
            Provider::Digitalocean,
            ResourceKind::WebServer,
            Some("s-2vcpu-4gb"),
            &[],
        ));
        assert_eq!(
            (planned.name.as_str(), planned.size.as_deref()),
            ("id-1", Some("s-2vcpu-4gb"))
        );
        assert_eq!(planned.terraform_type, "digitalocean_droplet");
        match planned.spec {
            ResourceSpec::WebServer {
                vcpus,
                memory_gb,
                public,
                ..
            } => {
                assert_eq!((vcpus, memory_gb, public), (2, 4.0, true));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_found_cluster_keeps_its_engine_major_version_nodes_and_storage() {
        let planned = planned_from_record(&record(
            Provider::Digitalocean,
            ResourceKind::Database,
            Some("db-s-2vcpu-4gb"),
            &[
                ("engine", "pg"),
                ("version", "16"),
                ("nodes", "2"),
                ("storage_gb", "60"),
            ],
        ));
        match planned.spec {
            ResourceSpec::Database {
                engine,
                version,
                nodes,
                storage_gb,
                high_availability,
                port,
                ..
            } => {
                assert_eq!(
                    (
                        engine,
                        version.as_str(),
                        nodes,
                        storage_gb,
                        high_availability,
                        port
                    ),
                    (Engine::Postgres, "16", 2, 60, true, 25060)
                );
            }
            other => panic!("{other:?}"),
        }
        let rds = planned_from_record(&record(
            Provider::Aws,
            ResourceKind::Database,
            Some("db.t3.medium"),
            &[
                ("engine", "mysql"),
                ("engine_version", "8.0.35"),
                ("multi_az", "false"),
            ],
        ));
        match rds.spec {
            ResourceSpec::Database {
                engine,
                version,
                high_availability,
                ..
            } => {
                assert_eq!(
                    (engine, version.as_str(), high_availability),
                    (Engine::Mysql, "8.0", false)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
