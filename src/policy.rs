//! Guardrails the agent cannot override: allowed providers, regions and sizes, the monthly budget, caps on
//! resources per plan and creations per hour, and deletes only of what rift created.
//!
//! The operator's config file sets the ceiling; a project's own policy can only narrow it (see
//! [`Policy::within`]), so no tool call can loosen what the operator allowed.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{PlannedResource, Provider};
use crate::pricing::Micros;

pub use crate::model::Policy;

/// Caps when neither the operator nor the project sets one.
const DEFAULT_MAX_RESOURCES_PER_PLAN: u32 = 25;
const DEFAULT_MAX_CREATIONS_PER_HOUR: u32 = 30;

impl Policy {
    /// The policy that holds when `self` (a project's) is applied under `ceiling` (the operator's): both
    /// allow-lists must admit a value, the smaller cap wins, unmanaged deletes need both to allow them.
    pub fn within(&self, ceiling: &Policy) -> EffectivePolicy {
        EffectivePolicy {
            layers: [ceiling.clone(), self.clone()],
        }
    }
}

/// A project policy under the operator's ceiling.
#[derive(Debug, Clone)]
pub struct EffectivePolicy {
    layers: [Policy; 2],
}

impl EffectivePolicy {
    fn provider_allowed(&self, provider: Provider) -> bool {
        self.layers
            .iter()
            .all(|p| p.providers.is_empty() || p.providers.contains(&provider))
    }

    fn region_allowed(&self, region: &str) -> bool {
        self.layers
            .iter()
            .all(|p| p.regions.is_empty() || p.regions.iter().any(|g| glob_match(g, region)))
    }

    fn size_allowed(&self, size: &str) -> bool {
        self.layers
            .iter()
            .all(|p| p.sizes.is_empty() || p.sizes.iter().any(|g| glob_match(g, size)))
    }

    fn allowed_list(&self, pick: impl Fn(&Policy) -> Vec<String>) -> String {
        let lists: Vec<String> = self
            .layers
            .iter()
            .map(pick)
            .filter(|l| !l.is_empty())
            .map(|l| l.join(", "))
            .collect();
        lists.join(" and also ")
    }

    /// The smallest cap a layer sets (a project's unset cap inherits the operator's).
    pub fn max_resources_per_plan(&self) -> u32 {
        self.layers
            .iter()
            .filter_map(|p| p.max_resources_per_plan)
            .min()
            .unwrap_or(DEFAULT_MAX_RESOURCES_PER_PLAN)
    }

    pub fn max_creations_per_hour(&self) -> u32 {
        self.layers
            .iter()
            .filter_map(|p| p.max_creations_per_hour)
            .min()
            .unwrap_or(DEFAULT_MAX_CREATIONS_PER_HOUR)
    }

    pub fn allow_unmanaged_deletes(&self) -> bool {
        self.layers.iter().all(|p| p.allow_unmanaged_deletes)
    }
}

/// What a proposed change does to a project, as the policy judges it.
#[derive(Debug, Clone)]
pub struct Impact<'a> {
    /// The project's providers (`cloud_providers`).
    pub project_providers: &'a [Provider],
    /// Resources the change would create (already created ones excluded).
    pub creations: Vec<&'a PlannedResource>,
    /// Resources the change would resize, as they would be after.
    pub resizes: Vec<&'a PlannedResource>,
    /// Resources the change would delete.
    pub deletions: Vec<Deletion<'a>>,
    /// The project's monthly cost now (resources created and not deleted).
    pub current_monthly: Micros,
    /// What the change adds per month (negative for deletions and downsizes).
    pub delta_monthly: Micros,
    /// The project's monthly budget.
    pub budget: Option<Micros>,
    /// Resources created in the project in the last hour.
    pub created_last_hour: u32,
}

/// A resource a change would delete.
#[derive(Debug, Clone, Copy)]
pub struct Deletion<'a> {
    pub name: &'a str,
    /// Created by rift (tagged managed-by=rift).
    pub managed: bool,
}

/// One rule a change breaks.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Violation {
    /// providers, regions, sizes, monthly_budget, max_resources_per_plan, max_creations_per_hour,
    /// unmanaged_delete.
    pub rule: String,
    pub message: String,
}

/// The policy's answer to a change.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Verdict {
    pub allowed: bool,
    pub violations: Vec<Violation>,
}

impl Verdict {
    /// The refusal shown to the agent: every rule broken, with its numbers.
    pub fn refusal(&self) -> Option<String> {
        if self.allowed {
            return None;
        }
        let parts: Vec<String> = self
            .violations
            .iter()
            .map(|v| format!("policy {}: {}", v.rule, v.message))
            .collect();
        Some(parts.join("; "))
    }
}

/// Checks a change against the policy.
pub fn check(policy: &EffectivePolicy, change: &Impact<'_>) -> Verdict {
    let mut violations = Vec::new();
    let mut add = |rule: &str, message: String| {
        violations.push(Violation {
            rule: rule.to_string(),
            message,
        })
    };
    for r in change.creations.iter().chain(&change.resizes) {
        if !change.project_providers.contains(&r.provider) {
            let uses: Vec<&str> = change
                .project_providers
                .iter()
                .map(|p| p.as_str())
                .collect();
            add(
                "providers",
                format!(
                    "{} is on {}, but the project uses only [{}]; add the provider with update_project",
                    r.name,
                    r.provider,
                    uses.join(", ")
                ),
            );
        } else if !policy.provider_allowed(r.provider) {
            let allowed =
                policy.allowed_list(|p| p.providers.iter().map(|x| x.to_string()).collect());
            add(
                "providers",
                format!("{} is on {}; allowed: {allowed}", r.name, r.provider),
            );
        }
        if !policy.region_allowed(&r.region) {
            let allowed = policy.allowed_list(|p| p.regions.clone());
            add(
                "regions",
                format!("{} is in {}; allowed: {allowed}", r.name, r.region),
            );
        }
        if let Some(size) = &r.size
            && !policy.size_allowed(size)
        {
            let allowed = policy.allowed_list(|p| p.sizes.clone());
            add(
                "sizes",
                format!("{} has size {size}; allowed: {allowed}", r.name),
            );
        }
    }
    let creations = u32::try_from(change.creations.len()).unwrap_or(u32::MAX);
    let cap = policy.max_resources_per_plan();
    if creations > cap {
        add(
            "max_resources_per_plan",
            format!("the change creates {creations} resources; the cap is {cap}"),
        );
    }
    let hourly = policy.max_creations_per_hour();
    if creations > 0 && change.created_last_hour.saturating_add(creations) > hourly {
        add(
            "max_creations_per_hour",
            format!(
                "{} created in the last hour + {creations} now = {} exceeds the cap of {hourly} per hour",
                change.created_last_hour,
                change.created_last_hour.saturating_add(creations)
            ),
        );
    }
    if let Some(budget) = change.budget {
        let after = change.current_monthly + change.delta_monthly;
        // Cents decide, as on a bill.
        if change.delta_monthly.is_positive() && after.round_to_cents() > budget.round_to_cents() {
            add(
                "monthly_budget",
                format!(
                    "${:.2}/month now + ${:.2}/month for this change = ${:.2}/month exceeds the budget of ${:.2}/month",
                    change.current_monthly.dollars(),
                    change.delta_monthly.dollars(),
                    after.dollars(),
                    budget.dollars()
                ),
            );
        }
    }
    if !policy.allow_unmanaged_deletes() {
        for Deletion { name, managed } in &change.deletions {
            if !managed {
                add(
                    "unmanaged_delete",
                    format!(
                        "{name} was not created by rift (it lacks the managed-by=rift tag); the policy allows \
                         deleting only resources rift created"
                    ),
                );
            }
        }
    }
    Verdict {
        allowed: violations.is_empty(),
        violations,
    }
}

/// `*` matches any run of characters (also none); everything else matches itself. Case-sensitive, as size slugs
/// and regions are.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResourceKind, ResourceSpec};

    fn server(name: &str, provider: Provider, region: &str, size: &str) -> PlannedResource {
        PlannedResource {
            name: name.to_string(),
            component: name.to_string(),
            provider,
            kind: ResourceKind::WebServer,
            terraform_type: "aws_instance".to_string(),
            region: region.to_string(),
            size: Some(size.to_string()),
            depends_on: vec![],
            derived: false,
            spec: ResourceSpec::ObjectStorage {
                expected_storage_gb: 0,
                private: true,
            },
        }
    }

    fn usd(dollars: f64) -> Micros {
        Micros::from_dollars(dollars).unwrap()
    }

    fn change<'a>(creations: Vec<&'a PlannedResource>) -> Impact<'a> {
        Impact {
            project_providers: &[Provider::Aws, Provider::Digitalocean],
            creations,
            resizes: vec![],
            deletions: vec![],
            current_monthly: Micros::ZERO,
            delta_monthly: Micros::ZERO,
            budget: None,
            created_last_hour: 0,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("t3.*", "t3.micro"));
        assert!(!glob_match("t3.*", "t3a.micro"));
        assert!(glob_match("s-*", "s-2vcpu-4gb"));
        assert!(glob_match("*", ""));
        assert!(glob_match("us-*-1", "us-east-1"));
        assert!(!glob_match("us-*-1", "us-east-2"));
        assert!(glob_match("nyc3", "nyc3"));
        assert!(!glob_match("nyc", "nyc3"));
    }

    #[test]
    fn sizes_regions_and_providers_are_checked_against_both_layers() {
        let ceiling = Policy {
            sizes: vec!["t3.*".into(), "s-*".into()],
            regions: vec!["us-*".into(), "nyc3".into()],
            ..Policy::default()
        };
        let project = Policy {
            providers: vec![Provider::Aws],
            sizes: vec!["t3.micro".into(), "t3.small".into()],
            ..Policy::default()
        };
        let effective = project.within(&ceiling);
        let ok = server("web", Provider::Aws, "us-east-1", "t3.small");
        assert!(check(&effective, &change(vec![&ok])).allowed);

        let big = server("web", Provider::Aws, "us-east-1", "t3.xlarge");
        let verdict = check(&effective, &change(vec![&big]));
        assert_eq!(verdict.violations.len(), 1);
        assert_eq!(verdict.violations[0].rule, "sizes");
        let refusal = verdict.refusal().unwrap();
        assert!(
            refusal.contains("t3.xlarge") && refusal.contains("t3.micro, t3.small"),
            "{refusal}"
        );

        let far = server("web", Provider::Aws, "eu-west-1", "m5.large");
        let rules: Vec<String> = check(&effective, &change(vec![&far]))
            .violations
            .into_iter()
            .map(|v| v.rule)
            .collect();
        assert_eq!(rules, vec!["regions", "sizes"]);

        let droplet = server("web", Provider::Digitalocean, "nyc3", "s-1vcpu-1gb");
        let verdict = check(&effective, &change(vec![&droplet]));
        assert_eq!(verdict.violations[0].rule, "providers");

        let mut single = change(vec![&droplet]);
        single.project_providers = &[Provider::Aws];
        let refusal = check(&Policy::default().within(&Policy::default()), &single)
            .refusal()
            .unwrap();
        assert!(refusal.contains("update_project"), "{refusal}");
    }

    #[test]
    fn caps_use_the_smaller_limit_and_count_the_last_hour() {
        let ceiling = Policy {
            max_resources_per_plan: Some(3),
            max_creations_per_hour: Some(10),
            ..Policy::default()
        };
        let project = Policy {
            max_resources_per_plan: Some(5),
            max_creations_per_hour: Some(4),
            ..Policy::default()
        };
        let effective = project.within(&ceiling);
        let rs: Vec<PlannedResource> = (0..4)
            .map(|i| server(&format!("w{i}"), Provider::Aws, "us-east-1", "t3.micro"))
            .collect();
        let verdict = check(&effective, &change(rs.iter().collect()));
        assert_eq!(verdict.violations[0].rule, "max_resources_per_plan");
        assert!(
            verdict.violations[0]
                .message
                .contains("4 resources; the cap is 3")
        );

        let mut c = change(rs.iter().take(2).collect());
        c.created_last_hour = 3;
        let verdict = check(&effective, &c);
        assert_eq!(verdict.violations[0].rule, "max_creations_per_hour");
        assert!(
            verdict.violations[0]
                .message
                .contains("3 created in the last hour + 2 now = 5")
        );
        c.created_last_hour = 2;
        assert!(check(&effective, &c).allowed);
    }

    #[test]
    fn budget_arithmetic_counts_cents_and_lets_savings_through() {
        let effective = Policy::default().within(&Policy::default());
        let web = server("web", Provider::Aws, "us-east-1", "t3.micro");
        let mut c = change(vec![&web]);
        c.budget = Micros::from_dollars(100.0);
        c.current_monthly = usd(69.9);
        c.delta_monthly = usd(30.1); // exactly 100.00
        assert!(check(&effective, &c).allowed);
        c.delta_monthly = usd(30.11);
        let verdict = check(&effective, &c);
        let message = &verdict.violations[0].message;
        assert_eq!(verdict.violations[0].rule, "monthly_budget");
        assert!(
            message.contains("$69.90/month now + $30.11/month")
                && message.contains("$100.01/month")
                && message.contains("budget of $100.00/month"),
            "{message}"
        );
        // Already over budget: a change that saves money is still allowed.
        c.current_monthly = usd(150.0);
        c.delta_monthly = usd(-20.0);
        assert!(check(&effective, &c).allowed);
    }

    #[test]
    fn unmanaged_deletes_need_both_layers_to_allow_them() {
        let mut c = change(vec![]);
        c.deletions = vec![
            Deletion {
                name: "legacy-db",
                managed: false,
            },
            Deletion {
                name: "shop-web",
                managed: true,
            },
        ];
        let verdict = check(&Policy::default().within(&Policy::default()), &c);
        assert_eq!(verdict.violations.len(), 1);
        assert!(verdict.violations[0].message.contains("legacy-db"));
        let open = Policy {
            allow_unmanaged_deletes: true,
            ..Policy::default()
        };
        assert!(!check(&open.within(&Policy::default()), &c).allowed);
        assert!(check(&open.within(&open), &c).allowed);
    }

    #[test]
    fn an_unset_project_cap_inherits_the_operators() {
        let operator = Policy {
            max_resources_per_plan: Some(50),
            ..Policy::default()
        };
        let project = Policy {
            regions: vec!["us-*".into()],
            ..Policy::default()
        };
        let effective = project.within(&operator);
        assert_eq!(effective.max_resources_per_plan(), 50);
        assert_eq!(effective.max_creations_per_hour(), 30);
        let tighter = Policy {
            max_resources_per_plan: Some(5),
            ..Policy::default()
        };
        assert_eq!(tighter.within(&operator).max_resources_per_plan(), 5);
    }
}
