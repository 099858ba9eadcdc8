//! Tool groups: which router serves each group, the router for the groups an operator chose, and the refusal a
//! call to a tool outside them gets (rather than "tool not found").

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rmcp::handler::server::router::tool::ToolRouter;

use super::{RiftServer, compact};
use crate::config::ToolGroup;

impl RiftServer {
    /// The tools of one group.
    fn group_router(group: ToolGroup) -> ToolRouter<RiftServer> {
        Self::reading_router(group) + Self::writing_router(group)
    }

    /// A group's tools that leave cloud resources as they are.
    fn reading_router(group: ToolGroup) -> ToolRouter<RiftServer> {
        match group {
            ToolGroup::Plan => {
                Self::planning_router() + Self::cost_router() + Self::terraform_router()
            }
            ToolGroup::Projects => Self::projects_router(),
            ToolGroup::Provision => ToolRouter::new(),
            ToolGroup::Operate => Self::operations_router() + Self::incidents_router(),
            ToolGroup::Migrate => Self::migration_router(),
            ToolGroup::Views => Self::views_router(),
        }
    }

    /// A group's tools that change cloud resources: served only when writes are enabled.
    fn writing_router(group: ToolGroup) -> ToolRouter<RiftServer> {
        match group {
            ToolGroup::Provision => Self::provisioning_router(),
            ToolGroup::Operate => Self::alerting_router(),
            ToolGroup::Migrate => Self::adoption_router(),
            _ => ToolRouter::new(),
        }
    }
}

/// The router serving these groups. Mutating tools exist only when writes are enabled: not listed, and not
/// callable, otherwise.
pub(super) fn router(groups: &[ToolGroup], writes: bool) -> ToolRouter<RiftServer> {
    let mut router = ToolRouter::new();
    for group in groups {
        router += RiftServer::reading_router(*group);
        if writes {
            router += RiftServer::writing_router(*group);
        }
    }
    compact::compact(router)
}

/// Whether a tool changes cloud resources (and so needs writes enabled).
fn writes(tool: &str) -> bool {
    static WRITING: OnceLock<BTreeSet<String>> = OnceLock::new();
    WRITING
        .get_or_init(|| {
            ToolGroup::ALL
                .into_iter()
                .flat_map(|group| {
                    RiftServer::writing_router(group)
                        .list_all()
                        .into_iter()
                        .map(|tool| tool.name.to_string())
                })
                .collect()
        })
        .contains(tool)
}

/// The group each tool belongs to, by name.
pub fn group_of(tool: &str) -> Option<ToolGroup> {
    static GROUPS: OnceLock<BTreeMap<String, ToolGroup>> = OnceLock::new();
    GROUPS
        .get_or_init(|| {
            ToolGroup::ALL
                .into_iter()
                .flat_map(|group| {
                    RiftServer::group_router(group)
                        .list_all()
                        .into_iter()
                        .map(move |tool| (tool.name.to_string(), group))
                })
                .collect()
        })
        .get(tool)
        .copied()
}

/// Why a call to `tool` is refused on this server, if it is: its group is not served, or it changes cloud
/// resources and writes are off.
pub(super) fn refusal(tool: &str, groups: &[ToolGroup], writes_on: bool) -> Option<String> {
    let group = group_of(tool)?;
    if !groups.contains(&group) {
        let served: Vec<&str> = groups.iter().map(|g| g.as_str()).collect();
        return Some(format!(
            "{tool} is in the tool group \"{group}\", which this rift server does not serve (it serves {}): the \
             operator can add it with --tools (or RIFT_TOOLS, or tools in the config file)",
            served.join(", ")
        ));
    }
    if !writes_on && writes(tool) {
        return Some(format!(
            "{tool} changes cloud resources, and writes are disabled on this rift server: the user can start it \
             with --allow-writes (or RIFT_ALLOW_WRITES=1); every change still needs an approval"
        ));
    }
    None
}
