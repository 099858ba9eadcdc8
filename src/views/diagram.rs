//! The diagram of a plan or a project, drawn by rift: one column per cloud and region, each network a box with
//! its tiers inside (load balancers, then servers, then databases and caches, then storage), firewalls as the
//! dashed boundary of the tier they guard, dependencies as arrows, every node with its name, kind, size, monthly
//! cost and (for a project) state. The layout depends only on the input, so the same project draws the same
//! picture. SVG is the source of truth; Mermaid text is for hosts that render Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{Incident, IncidentState, Micros, Plan, Provider, ResourceKind};
use crate::store::StoredResource;

/// One resource as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub kind: ResourceKind,
    pub provider: Provider,
    pub region: String,
    pub size: Option<String>,
    pub monthly_cost: Option<Micros>,
    /// A project's resource state ("created", "failed", ...); None in a plan.
    pub state: Option<String>,
    /// A project's unresolved incidents on the resource (drawn in red).
    pub incidents: u32,
    pub depends_on: Vec<String>,
}

/// What a diagram shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    pub title: String,
    pub nodes: Vec<Node>,
}

impl Diagram {
    /// A plan's resources, priced with `costs` (monthly USD by resource name).
    pub fn of_plan(plan: &Plan, costs: &BTreeMap<String, f64>) -> Diagram {
        Diagram {
            title: format!("plan {} ({})", plan.name, plan.plan_id),
            nodes: plan
                .resources
                .iter()
                .map(|r| Node {
                    name: r.name.clone(),
                    kind: r.kind,
                    provider: r.provider,
                    region: r.region.clone(),
                    size: r.size.clone(),
                    monthly_cost: costs.get(&r.name).copied().and_then(Micros::from_dollars),
                    state: None,
                    incidents: 0,
                    depends_on: r.depends_on.clone(),
                })
                .collect(),
        }
    }

    /// A project's live resources, as recorded, each with its unresolved incidents.
    pub fn of_project(
        project_id: &str,
        resources: &[StoredResource],
        incidents: &[Incident],
    ) -> Diagram {
        let mut open: BTreeMap<&str, u32> = BTreeMap::new();
        for incident in incidents
            .iter()
            .filter(|i| i.state != IncidentState::Resolved)
        {
            *open.entry(incident.resource.as_str()).or_default() += 1;
        }
        Diagram {
            title: format!("project {project_id}"),
            nodes: resources
                .iter()
                .filter(|r| r.state.is_live())
                .map(|r| Node {
                    name: r.name.clone(),
                    kind: r.kind,
                    provider: r.provider,
                    region: r.region.clone(),
                    size: r.size.clone(),
                    monthly_cost: r.monthly_cost.and_then(Micros::from_dollars),
                    state: Some(r.state.as_str().to_string()),
                    incidents: open.get(r.name.as_str()).copied().unwrap_or(0),
                    depends_on: r
                        .planned
                        .as_ref()
                        .map(|p| p.depends_on.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    fn crosses_clouds(&self, from: usize, to: usize) -> bool {
        self.nodes[from].provider != self.nodes[to].provider
    }

    /// The SVG document.
    pub fn svg(&self) -> String {
        let layout = Layout::of(self);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, sans-serif" font-size="12">"#,
            w = layout.width,
            h = layout.height
        );
        svg.push_str(
            r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
        );
        let _ = write!(
            svg,
            r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="{MARGIN}" y="24" font-size="16" font-weight="bold">{}</text>"##,
            escape(&self.title)
        );
        for column in &layout.columns {
            let _ = write!(
                svg,
                r##"<g class="site"><rect x="{}" y="{}" width="{}" height="{}" rx="8" fill="{}" stroke="#999"/><text x="{}" y="{}" font-weight="bold">{}</text></g>"##,
                column.x,
                TOP,
                COLUMN_WIDTH,
                layout.height - TOP - MARGIN,
                provider_fill(column.provider),
                column.x + 10,
                TOP + 20,
                escape(&format!("{} {}", column.provider, column.region))
            );
            if let Some(network) = &column.network {
                let _ = write!(
                    svg,
                    r##"<g class="network"><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="none" stroke="#336" stroke-width="2"/><text x="{}" y="{}" fill="#336">{}</text></g>"##,
                    column.x + 8,
                    TOP + 32,
                    COLUMN_WIDTH - 16,
                    layout.height - TOP - MARGIN - 40,
                    column.x + 16,
                    TOP + 48,
                    escape(&format!("network {}", self.nodes[*network].name))
                );
            }
        }
        // One label per pair of sites: the link between two clouds, however many arrows cross it.
        let mut labelled = std::collections::BTreeSet::new();
        for (from, to) in &layout.edges {
            let (a, b) = (&layout.boxes[from], &layout.boxes[to]);
            let (x1, y1, x2, y2) = (
                a.0 + NODE_WIDTH / 2,
                a.1 + NODE_HEIGHT,
                b.0 + NODE_WIDTH / 2,
                b.1,
            );
            if self.crosses_clouds(*from, *to) {
                // Traffic between clouds is billed per GB by the sender: the one link worth labelling.
                let (fa, fb) = (&self.nodes[*from], &self.nodes[*to]);
                let sites = (
                    (fa.provider, fa.region.clone()),
                    (fb.provider, fb.region.clone()),
                );
                let label = if labelled.insert(sites) {
                    format!(
                        r##"<text x="{}" y="{}" fill="#b42318" text-anchor="middle">{CROSS_CLOUD_LABEL}</text>"##,
                        (x1 + x2) / 2,
                        (y1 + y2) / 2 - 6,
                    )
                } else {
                    String::new()
                };
                let _ = write!(
                    svg,
                    r##"<g class="edge cross-cloud" data-from="{}" data-to="{}"><line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#b42318" stroke-width="2" stroke-dasharray="8 4" marker-end="url(#arrow)"/>{label}</g>"##,
                    escape(&fa.name),
                    escape(&fb.name),
                );
                continue;
            }
            let _ = write!(
                svg,
                r##"<line class="edge" data-from="{}" data-to="{}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" marker-end="url(#arrow)"/>"##,
                escape(&self.nodes[*from].name),
                escape(&self.nodes[*to].name),
            );
        }
        for (index, (x, y)) in &layout.boxes {
            let node = &self.nodes[*index];
            let dashed = if node.kind == ResourceKind::Firewall {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let _ = write!(
                svg,
                r##"<g class="node" data-name="{name}" data-kind="{kind}" data-incidents="{incidents}"><rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="4" fill="{fill}" stroke="{stroke}"{dashed}/><text x="{tx}" y="{l1}" font-weight="bold">{name}</text><text x="{tx}" y="{l2}">{line2}</text><text x="{tx}" y="{l3}">{line3}</text></g>"##,
                name = escape(&node.name),
                kind = node.kind,
                incidents = node.incidents,
                fill = node_fill(node),
                stroke = if node.incidents > 0 {
                    "#b42318"
                } else {
                    "#333"
                },
                tx = x + 8,
                l1 = y + 18,
                l2 = y + 36,
                l3 = y + 54,
                line2 = escape(&kind_and_size(node)),
                line3 = escape(&cost_and_state(node)),
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// A few lines of text saying what the picture shows, for hosts (and people) that do not see images: the
    /// total, then one line per cloud and region with its resources.
    pub fn summary(&self) -> String {
        let layout = Layout::of(self);
        let total: Micros = self.nodes.iter().filter_map(|n| n.monthly_cost).sum();
        let mut text = format!(
            "{}: {} resources, {total}/month\n",
            self.title,
            self.nodes.len()
        );
        for column in &layout.columns {
            let members: Vec<String> = column
                .network
                .iter()
                .chain(column.members.iter())
                .map(|i| {
                    let node = &self.nodes[*i];
                    format!(
                        "{} ({}, {})",
                        node.name,
                        kind_and_size(node),
                        cost_and_state(node)
                    )
                })
                .collect();
            let _ = writeln!(
                text,
                "{} {}: {}",
                column.provider,
                column.region,
                members.join("; ")
            );
        }
        text
    }

    /// The SVG rendered as a PNG (for hosts that show images but not SVG).
    pub fn png(&self) -> Result<super::Png, super::PngError> {
        super::png::render(&self.svg())
    }

    /// Mermaid flowchart text: a subgraph per cloud and region, nodes with the same labels, the same arrows.
    pub fn mermaid(&self) -> String {
        let layout = Layout::of(self);
        let mut text = String::from("flowchart TB\n");
        for (c, column) in layout.columns.iter().enumerate() {
            let _ = writeln!(
                text,
                "  subgraph site{c}[\"{} {}\"]",
                column.provider,
                mermaid_escape(&column.region)
            );
            for index in column.network.iter().chain(column.members.iter()) {
                let node = &self.nodes[*index];
                let _ = writeln!(
                    text,
                    "    n{index}[\"{}<br/>{}<br/>{}\"]",
                    mermaid_escape(&node.name),
                    mermaid_escape(&kind_and_size(node)),
                    mermaid_escape(&cost_and_state(node))
                );
            }
            text.push_str("  end\n");
        }
        for (from, to) in &layout.edges {
            if self.crosses_clouds(*from, *to) {
                let _ = writeln!(text, "  n{from} -. \"{CROSS_CLOUD_LABEL}\" .-> n{to}");
            } else {
                let _ = writeln!(text, "  n{from} --> n{to}");
            }
        }
        let alerting: Vec<String> = (0..self.nodes.len())
            .filter(|i| self.nodes[*i].incidents > 0)
            .map(|i| format!("n{i}"))
            .collect();
        if !alerting.is_empty() {
            text.push_str("  classDef incident fill:#fde2e2,stroke:#b42318\n");
            let _ = writeln!(text, "  class {} incident", alerting.join(","));
        }
        text
    }
}

/// What a dependency between clouds costs is traffic, priced per GB (estimate_cost with usage says how much).
const CROSS_CLOUD_LABEL: &str = "cross-cloud · transfer per GB";
const MARGIN: u32 = 16;
const TOP: u32 = 40;
const COLUMN_WIDTH: u32 = 520;
const NODE_WIDTH: u32 = 236;
const NODE_HEIGHT: u32 = 64;
const ROW_GAP: u32 = 36;
const GAP: u32 = 16;

/// Where everything goes.
struct Layout {
    width: u32,
    height: u32,
    columns: Vec<Column>,
    /// Node index → top-left corner (networks are drawn as their column's box instead).
    boxes: BTreeMap<usize, (u32, u32)>,
    /// Dependency arrows between drawn boxes: (dependent, dependency).
    edges: Vec<(usize, usize)>,
}

struct Column {
    provider: Provider,
    region: String,
    x: u32,
    /// The column's network, drawn as the box around the tiers.
    network: Option<usize>,
    members: Vec<usize>,
}

/// Top to bottom: what is reached first from outside, then what it reaches.
fn tier(kind: ResourceKind) -> usize {
    match kind {
        ResourceKind::LoadBalancer => 0,
        ResourceKind::Firewall => 1,
        ResourceKind::WebServer => 2,
        ResourceKind::Database | ResourceKind::Cache => 3,
        ResourceKind::BlockStorage | ResourceKind::ObjectStorage => 4,
        ResourceKind::Network => 5,
    }
}

impl Layout {
    fn of(diagram: &Diagram) -> Layout {
        let mut sites: BTreeMap<(Provider, String), Vec<usize>> = BTreeMap::new();
        for (index, node) in diagram.nodes.iter().enumerate() {
            sites
                .entry((node.provider, node.region.clone()))
                .or_default()
                .push(index);
        }
        let mut columns = Vec::new();
        let mut boxes = BTreeMap::new();
        let mut height = TOP + 80;
        for (c, ((provider, region), members)) in sites.into_iter().enumerate() {
            let x = MARGIN + u32::try_from(c).unwrap_or(0) * (COLUMN_WIDTH + GAP);
            let network = members
                .iter()
                .copied()
                .find(|i| diagram.nodes[*i].kind == ResourceKind::Network);
            let mut drawn: Vec<usize> = members
                .into_iter()
                .filter(|i| Some(*i) != network)
                .collect();
            drawn.sort_by(|a, b| {
                let (na, nb) = (&diagram.nodes[*a], &diagram.nodes[*b]);
                (tier(na.kind), &na.name).cmp(&(tier(nb.kind), &nb.name))
            });
            let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for index in &drawn {
                rows.entry(tier(diagram.nodes[*index].kind))
                    .or_default()
                    .push(*index);
            }
            let mut y = TOP + 60;
            for row in rows.values() {
                for (i, index) in row.iter().enumerate() {
                    let i = u32::try_from(i).unwrap_or(0);
                    // Two boxes to a line inside the column.
                    let bx = x + 16 + (i % 2) * (NODE_WIDTH + 16);
                    let by = y + (i / 2) * (NODE_HEIGHT + 12);
                    boxes.insert(*index, (bx, by));
                }
                let lines = u32::try_from(row.len().div_ceil(2)).unwrap_or(1);
                y += lines * (NODE_HEIGHT + 12) + ROW_GAP;
            }
            height = height.max(y + MARGIN);
            columns.push(Column {
                provider,
                region,
                x,
                network,
                members: drawn,
            });
        }
        let names: BTreeMap<&str, usize> = diagram
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut edges = Vec::new();
        for (from, node) in diagram.nodes.iter().enumerate() {
            for dependency in &node.depends_on {
                if let Some(&to) = names.get(dependency.as_str())
                    && boxes.contains_key(&from)
                    && boxes.contains_key(&to)
                {
                    edges.push((from, to));
                }
            }
        }
        let count = u32::try_from(columns.len().max(1)).unwrap_or(1);
        Layout {
            width: MARGIN * 2 + count * COLUMN_WIDTH + (count - 1) * GAP,
            height,
            columns,
            boxes,
            edges,
        }
    }
}

fn kind_and_size(node: &Node) -> String {
    match &node.size {
        Some(size) => format!("{} · {size}", node.kind),
        None => node.kind.to_string(),
    }
}

fn cost_and_state(node: &Node) -> String {
    let cost = match node.monthly_cost {
        Some(cost) if cost.is_positive() => format!("{cost}/month"),
        Some(_) => "free".to_string(),
        None => "not priced".to_string(),
    };
    let line = match &node.state {
        Some(state) => format!("{cost} · {state}"),
        None => cost,
    };
    match node.incidents {
        0 => line,
        1 => format!("{line} · 1 incident"),
        n => format!("{line} · {n} incidents"),
    }
}

fn provider_fill(provider: Provider) -> &'static str {
    match provider {
        Provider::Digitalocean => "#eaf3fe",
        Provider::Aws => "#fff4e5",
    }
}

/// Red for what needs a look (an unresolved incident, a failed or vanished resource), yellow for what is not
/// made yet.
fn node_fill(node: &Node) -> &'static str {
    match node.state.as_deref() {
        _ if node.incidents > 0 => "#fde2e2",
        Some("failed" | "gone") => "#fde2e2",
        Some("intended") => "#fff9d6",
        _ => "#ffffff",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeploymentRequest;

    fn plan() -> Plan {
        let request: DeploymentRequest = serde_json::from_value(serde_json::json!({
            "name": "shop", "provider": "aws", "components": [
                {"name": "web", "kind": "web_server", "count": 2, "provider": "digitalocean"},
                {"name": "lb", "kind": "load_balancer", "provider": "digitalocean"},
                {"name": "db", "kind": "database", "engine": "postgres"},
                {"name": "files", "kind": "object_storage"}]}))
        .unwrap();
        crate::planner::plan(&request).unwrap()
    }

    #[test]
    fn a_resource_with_unresolved_incidents_is_drawn_in_red() {
        let mut diagram = Diagram::of_plan(&plan(), &BTreeMap::new());
        let db = diagram
            .nodes
            .iter()
            .position(|n| n.kind == ResourceKind::Database)
            .unwrap();
        diagram.nodes[db].incidents = 2;
        let svg = diagram.svg();
        let drawn = svg
            .split(r#"<g class="node""#)
            .find(|g| g.contains(r#"data-incidents="2""#))
            .unwrap();
        assert!(
            drawn.contains(r##"fill="#fde2e2" stroke="#b42318""##),
            "{drawn}"
        );
        assert!(drawn.contains("· 2 incidents"), "{drawn}");
        assert_eq!(
            svg.matches(r#"data-incidents="0""#).count(),
            svg.matches(r#"<g class="node""#).count() - 1
        );
        let mermaid = diagram.mermaid();
        assert!(
            mermaid.contains(&format!("  class n{db} incident\n")),
            "{mermaid}"
        );
    }

    #[test]
    fn every_resource_is_drawn_once_and_the_same_plan_draws_the_same_picture() {
        let plan = plan();
        let costs: BTreeMap<String, f64> = plan
            .resources
            .iter()
            .map(|r| (r.name.clone(), 12.5))
            .collect();
        let diagram = Diagram::of_plan(&plan, &costs);
        let svg = diagram.svg();
        assert_eq!(svg, Diagram::of_plan(&plan, &costs).svg());
        let networks = plan
            .resources
            .iter()
            .filter(|r| r.kind == ResourceKind::Network)
            .count();
        assert!(networks >= 2, "one network per cloud");
        assert_eq!(
            svg.matches(r#"<g class="node""#).count()
                + svg.matches(r#"<g class="network""#).count(),
            plan.resources.len()
        );
        for r in &plan.resources {
            assert!(svg.contains(&escape(&r.name)), "{} not drawn", r.name);
        }
        assert!(svg.contains("$12.50/month"));
        assert!(svg.contains("digitalocean nyc3") && svg.contains("aws us-east-1"));
        assert!(
            svg.matches(r#"class="edge""#).count() > 0,
            "no dependency drawn"
        );
        // The database on AWS serves the web servers on DigitalOcean: one labelled link per pair.
        let crossing = plan
            .resources
            .iter()
            .flat_map(|r| r.depends_on.iter().map(move |d| (r, d)))
            .filter(|(r, d)| {
                plan.resources.iter().any(|other| {
                    &&other.name == d
                        && other.provider != r.provider
                        && other.kind != ResourceKind::Network
                        && r.kind != ResourceKind::Network
                })
            })
            .count();
        assert!(crossing > 0, "the example has a cross-cloud dependency");
        assert_eq!(svg.matches(r#"class="edge cross-cloud""#).count(), crossing);
        assert_eq!(
            svg.matches(CROSS_CLOUD_LABEL).count(),
            1,
            "one label per link"
        );

        let summary = diagram.summary();
        assert!(
            summary.contains(&format!("{} resources", plan.resources.len())),
            "{summary}"
        );
        assert_eq!(summary.lines().count(), 3, "{summary}");

        let mermaid = diagram.mermaid();
        assert!(mermaid.starts_with("flowchart TB\n"));
        assert_eq!(mermaid.matches("  subgraph ").count(), 2);
        assert_eq!(mermaid.matches("\"]\n").count() - 2, plan.resources.len());
        assert_eq!(mermaid.matches(" .-> ").count(), crossing);
    }

    #[test]
    fn the_png_has_the_svgs_size_and_readable_labels() {
        let plan = plan();
        let diagram = Diagram::of_plan(&plan, &BTreeMap::new());
        let svg = diagram.svg();
        let png = diagram.png().unwrap();
        let decoded = resvg::tiny_skia::Pixmap::decode_png(&png.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (png.width, png.height));
        let width = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(png.width.to_string(), width);
        // The labels are drawn with the embedded font: the same picture without its text has far fewer dark
        // pixels (every node has three lines of text).
        let unlabelled = {
            let mut bare = String::new();
            let mut rest = svg.as_str();
            while let Some(start) = rest.find("<text") {
                bare.push_str(&rest[..start]);
                let end = rest[start..].find("</text>").unwrap() + start + "</text>".len();
                rest = &rest[end..];
            }
            bare.push_str(rest);
            super::super::png::render(&bare).unwrap()
        };
        let dark = |bytes: &[u8]| {
            let pixmap = resvg::tiny_skia::Pixmap::decode_png(bytes).unwrap();
            pixmap
                .pixels()
                .iter()
                .filter(|p| u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 300)
                .count()
        };
        let (labelled, bare) = (dark(&png.bytes), dark(&unlabelled.bytes));
        assert!(
            labelled > bare + 200 * plan.resources.len(),
            "labels add {} dark pixels for {} resources",
            labelled - bare,
            plan.resources.len()
        );
    }

    #[test]
    fn labels_are_escaped() {
        let diagram = Diagram {
            title: "<b>&\"".to_string(),
            nodes: vec![],
        };
        let svg = diagram.svg();
        assert!(svg.contains("&lt;b&gt;&amp;&quot;"), "{svg}");
        assert!(!svg.contains("<b>"));
    }
}
