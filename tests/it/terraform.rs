//! Terraform export: golden files for the brief's examples, determinism, valid identifiers, and every reference
//! in the generated files resolving to something they declare. `UPDATE_GOLDEN=1 cargo test` rewrites the golden
//! files after an intended change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rift::model::{DeploymentRequest, Plan};
use rift::terraform::{self, Configuration};
use serde_json::{Value, json};

fn plan(request: Value) -> Plan {
    let request: DeploymentRequest = serde_json::from_value(request).unwrap();
    rift::planner::plan(&request).unwrap()
}

/// The brief's "Deploy Node.js app on AWS with RDS PostgreSQL".
fn node_postgres_on_aws() -> Plan {
    plan(json!({
        "name": "shop", "provider": "aws", "regions": {"aws": "us-east-1"},
        "components": [
            {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
            {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "vcpus": 2, "memory_gb": 4}
        ]
    }))
}

/// The brief's "Create load-balanced app on DigitalOcean".
fn load_balanced_on_digitalocean() -> Plan {
    plan(json!({
        "name": "shop", "provider": "digitalocean", "regions": {"digitalocean": "nyc3"},
        "components": [
            {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4, "count": 2},
            {"name": "lb", "kind": "load_balancer"}
        ]
    }))
}

/// DigitalOcean droplets writing to an AWS S3 bucket: both providers in one configuration.
fn droplets_with_s3() -> Plan {
    plan(json!({
        "name": "media", "regions": {"digitalocean": "nyc3", "aws": "us-east-1"},
        "components": [
            {"name": "web", "kind": "web_server", "provider": "digitalocean", "vcpus": 1, "memory_gb": 2, "count": 2},
            {"name": "uploads", "kind": "object_storage", "provider": "aws", "storage_gb": 100}
        ]
    }))
}

/// Every kind on both providers, a bucket in a second AWS region, private servers and traffic across the clouds.
fn everything() -> Plan {
    plan(json!({
        "name": "big", "regions": {"digitalocean": "nyc3", "aws": "us-east-1"},
        "components": [
            {"name": "web", "kind": "web_server", "provider": "aws", "count": 2},
            {"name": "worker", "kind": "web_server", "provider": "aws", "public": false},
            {"name": "lb", "kind": "load_balancer", "provider": "aws", "ports": [80, 443]},
            {"name": "db", "kind": "database", "provider": "aws", "engine": "mysql", "high_availability": true},
            {"name": "cache", "kind": "cache", "provider": "aws"},
            {"name": "data", "kind": "block_storage", "provider": "aws", "storage_gb": 50, "count": 2},
            {"name": "logs", "kind": "object_storage", "provider": "aws"},
            {"name": "west", "kind": "object_storage", "provider": "aws", "region": "us-west-2"},
            {"name": "app", "kind": "web_server", "provider": "digitalocean", "count": 2},
            {"name": "dlb", "kind": "load_balancer", "provider": "digitalocean"},
            {"name": "pg", "kind": "database", "provider": "digitalocean", "storage_gb": 100},
            {"name": "kv", "kind": "cache", "provider": "digitalocean"},
            {"name": "vol", "kind": "block_storage", "provider": "digitalocean", "storage_gb": 20},
            {"name": "assets", "kind": "object_storage", "provider": "digitalocean"}
        ]
    }))
}

fn cases() -> Vec<(&'static str, Plan)> {
    vec![
        ("aws-node-postgres", node_postgres_on_aws()),
        ("do-load-balanced", load_balanced_on_digitalocean()),
        ("do-droplets-aws-s3", droplets_with_s3()),
    ]
}

fn generate(plan: &Plan) -> Configuration {
    terraform::generate(plan).unwrap_or_else(|e| panic!("{}: {e}", plan.name))
}

fn golden_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/terraform")
        .join(case)
}

#[test]
fn generated_files_match_the_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (case, plan) in cases() {
        let dir = golden_dir(case);
        let files = generate(&plan).files;
        if update {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).unwrap();
            }
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in &files {
                std::fs::write(dir.join(name), text).unwrap();
            }
            continue;
        }
        let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", dir.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let generated: BTreeSet<String> = files.keys().cloned().collect();
        assert_eq!(
            generated,
            on_disk,
            "{case}: files differ from {}",
            dir.display()
        );
        for (name, text) in &files {
            let expected = std::fs::read_to_string(dir.join(name)).unwrap();
            assert!(
                *text == expected,
                "{case}/{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it after an intended change):\n{}",
                first_difference(&expected, text)
            );
        }
    }
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "expected {} lines, got {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

#[test]
fn the_brief_examples_use_what_the_plan_says() {
    let aws = generate(&node_postgres_on_aws()).files;
    assert!(!aws.contains_key("digitalocean.tf"));
    let tf = &aws["aws.tf"];
    for expected in [
        "instance_type               = \"t3.medium\"",
        "instance_class         = \"db.t3.medium\"",
        "engine                 = \"postgres\"",
        "engine_version         = \"16\"",
        "resource \"aws_db_subnet_group\" \"shop_db\"",
        "owners      = [\"137112412989\"]",
    ] {
        assert!(tf.contains(expected), "aws.tf lacks {expected}");
    }

    let digitalocean = generate(&load_balanced_on_digitalocean()).files;
    assert!(!digitalocean.contains_key("aws.tf"));
    let tf = &digitalocean["digitalocean.tf"];
    assert!(tf.contains(
        "droplet_ids = [digitalocean_droplet.shop_web_1.id, digitalocean_droplet.shop_web_2.id]"
    ));
    assert!(tf.contains("source_load_balancer_uids = [digitalocean_loadbalancer.shop_lb.id]"));
    assert_eq!(tf.matches("size       = \"s-2vcpu-4gb\"").count(), 2);

    let mixed = generate(&droplets_with_s3()).files;
    let versions = &mixed["versions.tf"];
    assert!(versions.contains("hashicorp/aws") && versions.contains("digitalocean/digitalocean"));
    let providers = &mixed["providers.tf"];
    assert!(
        providers.contains("provider \"aws\"") && providers.contains("provider \"digitalocean\"")
    );
    assert!(mixed["aws.tf"].contains("restrict_public_buckets = true"));
    assert!(mixed["aws.tf"].contains("sse_algorithm = \"AES256\""));
}

#[test]
fn the_same_plan_gives_byte_identical_files() {
    for plan in [everything(), droplets_with_s3()] {
        let first = generate(&plan);
        // Through JSON and back, as a plan file or the store would hand it over.
        let again: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
        assert_eq!(first, generate(&again));
        assert_eq!(first, generate(&plan));
    }
}

#[test]
fn identifiers_are_valid_terraform_names() {
    for plan in [
        everything(),
        node_postgres_on_aws(),
        load_balanced_on_digitalocean(),
    ] {
        let declared = Declared::of(&generate(&plan).files);
        let names = declared
            .resources
            .iter()
            .chain(&declared.data)
            .map(|(_, name)| name)
            .chain(&declared.variables)
            .chain(&declared.outputs);
        for name in names {
            let mut chars = name.chars();
            let first = chars.next().unwrap();
            assert!(
                first.is_ascii_lowercase()
                    && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name} is not a lowercase Terraform identifier"
            );
        }
    }
}

#[test]
fn every_reference_resolves_to_a_declaration() {
    for plan in [
        everything(),
        node_postgres_on_aws(),
        load_balanced_on_digitalocean(),
        droplets_with_s3(),
    ] {
        let files = generate(&plan).files;
        let declared = Declared::of(&files);
        let mut checked = 0;
        for (file, text) in &files {
            for reference in references(text) {
                assert!(
                    declared.resolves(&reference),
                    "{}: {file}: {} is not declared",
                    plan.name,
                    reference.join(".")
                );
                checked += 1;
            }
        }
        assert!(
            checked > 10,
            "{}: only {checked} references found",
            plan.name
        );
    }
}

#[test]
fn no_secret_is_written() {
    for plan in [everything(), droplets_with_s3()] {
        let config = generate(&plan);
        for (file, text) in &config.files {
            for line in text.lines() {
                let line = line.trim();
                assert!(
                    !line.contains("dop_v1_") && !line.contains("AKIA"),
                    "{file}: {line}"
                );
                for key in ["password", "token", "secret_key", "access_id"] {
                    if let Some(value) = line
                        .strip_prefix(key)
                        .and_then(|rest| rest.trim_start().strip_prefix('='))
                    {
                        assert!(
                            !value.trim().starts_with('"'),
                            "{file}: literal {key}: {line}"
                        );
                    }
                }
            }
        }
        for v in &config.variables {
            let secret = ["token", "secret", "access_id"]
                .iter()
                .any(|s| v.name.contains(s));
            assert_eq!(v.sensitive, secret, "{}", v.name);
        }
    }
}

/// When the Terraform CLI is installed, it must leave the files as they are.
#[test]
fn terraform_fmt_leaves_the_files_unchanged() {
    let Ok(status) = std::process::Command::new("terraform")
        .arg("version")
        .output()
    else {
        eprintln!("terraform is not installed: skipping the `terraform fmt -check` comparison");
        return;
    };
    assert!(status.status.success());
    let dir = std::env::temp_dir().join(format!("rift-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in generate(&everything()).files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let out = std::process::Command::new("terraform")
        .args(["fmt", "-check", "-diff"])
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "terraform fmt would change the files:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// What the files declare: resources and data sources by (type, name), variables, outputs, provider aliases.
#[derive(Default)]
struct Declared {
    resources: BTreeSet<(String, String)>,
    data: BTreeSet<(String, String)>,
    variables: BTreeSet<String>,
    outputs: BTreeSet<String>,
    aliases: BTreeSet<(String, String)>,
}

impl Declared {
    fn of(files: &BTreeMap<String, String>) -> Declared {
        let mut d = Declared::default();
        for text in files.values() {
            let mut provider: Option<String> = None;
            for line in text.lines() {
                let labels = quoted(line);
                if line.starts_with("resource ") {
                    assert!(
                        d.resources.insert((labels[0].clone(), labels[1].clone())),
                        "twice: {line}"
                    );
                } else if line.starts_with("data ") {
                    assert!(
                        d.data.insert((labels[0].clone(), labels[1].clone())),
                        "twice: {line}"
                    );
                } else if line.starts_with("variable ") {
                    assert!(d.variables.insert(labels[0].clone()), "twice: {line}");
                } else if line.starts_with("output ") {
                    assert!(d.outputs.insert(labels[0].clone()), "twice: {line}");
                } else if line.starts_with("provider ") {
                    provider = Some(labels[0].clone());
                } else if line.starts_with('}') {
                    provider = None;
                } else if let (Some(p), Some(rest)) = (&provider, line.trim().strip_prefix("alias"))
                {
                    let alias = quoted(rest);
                    d.aliases.insert((p.clone(), alias[0].clone()));
                }
            }
        }
        d
    }

    fn resolves(&self, reference: &[String]) -> bool {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        match reference {
            [root, name, ..] if root == "var" => self.variables.contains(name),
            [root, ty, name, ..] if root == "data" => self.data.contains(&pair(ty, name)),
            [root, alias] if root == "aws" || root == "digitalocean" => {
                self.aliases.contains(&pair(root, alias))
            }
            [ty, name, ..] => self.resources.contains(&pair(ty, name)),
            _ => false,
        }
    }
}

/// The quoted strings on a line, in order.
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every traversal (`a.b.c`, `a.b[0].c`) in expressions, including inside `${...}` in strings; attribute names,
/// keywords and plain strings are not references.
fn references(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut in_string = false;
    let mut interpolation_depth = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string && interpolation_depth == 0 {
            match c {
                '\\' => i += 2,
                '"' => {
                    in_string = false;
                    i += 1;
                }
                '$' if chars.get(i + 1) == Some(&'{') => {
                    if chars.get(i.wrapping_sub(1)) == Some(&'$') {
                        i += 2; // "$${" is an escaped literal
                    } else {
                        interpolation_depth = 1;
                        i += 2;
                    }
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => {
                in_string = true;
                i += 1;
            }
            '}' if interpolation_depth > 0 => {
                interpolation_depth -= 1;
                i += 1;
            }
            '{' if interpolation_depth > 0 => {
                interpolation_depth += 1;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut parts = vec![read_ident(&chars, &mut i)];
                loop {
                    match chars.get(i) {
                        Some('.') => {
                            i += 1;
                            parts.push(read_ident(&chars, &mut i));
                        }
                        Some('[') => {
                            while i < chars.len() && chars[i] != ']' {
                                i += 1;
                            }
                            i += 1;
                        }
                        _ => break,
                    }
                }
                if parts.len() > 1 {
                    out.push(parts);
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn read_ident(chars: &[char], i: &mut usize) -> String {
    let start = *i;
    while *i < chars.len()
        && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_' || chars[*i] == '-')
    {
        *i += 1;
    }
    chars[start..*i].iter().collect()
}

#[test]
fn the_reference_scanner_finds_what_it_should() {
    let text = "a = aws_vpc.x.id\nb = \"${digitalocean_droplet.y.ipv4_address}/32\" # not.this\nc = \"plain.text $${no.ref}\"\nd = [var.k, data.aws_ami.u.id, m.n[0].o]\ntags = { Name = \"x\" }\n";
    let found: Vec<String> = references(text).iter().map(|r| r.join(".")).collect();
    assert_eq!(
        found,
        [
            "aws_vpc.x.id",
            "digitalocean_droplet.y.ipv4_address",
            "var.k",
            "data.aws_ami.u.id",
            "m.n.o"
        ]
    );
}
