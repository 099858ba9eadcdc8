"""The read-only planning tools: describe_mapping and plan_deployment, good and bad arguments."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client

from _support import assert_acyclic, call_err, call_ok

pytestmark = pytest.mark.anyio

KINDS = {
    # kind: (DigitalOcean, AWS) — the table in design.md
    "web_server": ("digitalocean_droplet", "aws_instance"),
    "database": ("digitalocean_database_cluster", "aws_db_instance"),
    "load_balancer": ("digitalocean_loadbalancer", "aws_lb"),
    "block_storage": ("digitalocean_volume", "aws_ebs_volume"),
    "object_storage": ("digitalocean_spaces_bucket", "aws_s3_bucket"),
    "network": ("digitalocean_vpc", "aws_vpc"),
    "firewall": ("digitalocean_firewall", "aws_security_group"),
    "cache": ("digitalocean_database_cluster", "aws_elasticache_cluster"),
}
SIZELESS_KINDS = {"network", "firewall"}
PROVIDERS = {"digitalocean", "aws"}

BRIEF_DO = {
    "name": "shop",
    "provider": "digitalocean",
    "regions": {"digitalocean": "nyc3"},
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4},
    ],
}
BRIEF_AWS = {**copy.deepcopy(BRIEF_DO), "provider": "aws", "regions": {"aws": "us-east-1"}}


def plan_args(base: dict[str, Any] = BRIEF_DO, **top: Any) -> dict[str, Any]:
    args = copy.deepcopy(base)
    args.update(top)
    return args


def with_component(index: int, base: dict[str, Any] = BRIEF_DO, **fields: Any) -> dict[str, Any]:
    args = copy.deepcopy(base)
    args["components"][index].update(fields)
    return args


def with_size(index: int, size: str, base: dict[str, Any] = BRIEF_DO) -> dict[str, Any]:
    """Component `index` names an exact size instead of minimums."""
    args = with_component(index, base, size=size)
    for key in ("vcpus", "memory_gb", "storage_gb"):
        args["components"][index].pop(key, None)
    return args


def of_type(plan: dict[str, Any], terraform_type: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["terraform_type"] == terraform_type]


def one_of_type(plan: dict[str, Any], terraform_type: str) -> dict[str, Any]:
    found = of_type(plan, terraform_type)
    assert len(found) == 1, f"expected one {terraform_type}, got {len(found)}: {summary(plan)}"
    return found[0]


def summary(plan: dict[str, Any]) -> list[str]:
    return [
        f"{r.get('name')}:{r.get('terraform_type')}:{r.get('size')}->{r.get('depends_on')}"
        for r in plan.get("resources", [])
    ]


def plan_providers(plan: dict[str, Any]) -> set[str]:
    """`providers` of a plan: a list of provider names, or of objects carrying `provider`."""
    out = set()
    for p in plan["providers"]:
        out.add(p if isinstance(p, str) else p["provider"])
    return out


def check_plan_shape(plan: dict[str, Any]) -> None:
    assert isinstance(plan.get("plan_id"), str) and plan["plan_id"].strip(), f"no plan_id: {plan.keys()}"
    resources = plan.get("resources")
    assert isinstance(resources, list) and resources, "a plan lists its resources"
    names = [r["name"] for r in resources]
    assert len(names) == len(set(names)), f"resource names must be unique: {names}"
    for r in resources:
        for key in ("name", "provider", "kind", "terraform_type", "region", "size", "depends_on"):
            assert key in r, f"resource {r.get('name')} lacks {key!r}: {r}"
        assert r["provider"] in PROVIDERS, r
        assert r["kind"] in KINDS, r
        assert isinstance(r["terraform_type"], str) and r["terraform_type"].startswith(
            "aws_" if r["provider"] == "aws" else "digitalocean_"
        ), r
        assert isinstance(r["region"], str) and r["region"], r
        if r["kind"] in SIZELESS_KINDS:
            assert r["size"] is None, f"{r['name']} ({r['kind']}) has no size, got {r['size']!r}"
        assert isinstance(r["depends_on"], list), r
        for dep in r["depends_on"]:
            assert dep in names, f"{r['name']} depends on unknown resource {dep!r}; resources: {names}"
            assert dep != r["name"], f"{r['name']} depends on itself"
    assert_acyclic(resources)


# ---------------------------------------------------------------------------
# describe_mapping
# ---------------------------------------------------------------------------


async def test_describe_mapping_has_the_whole_table(client: Client) -> None:
    out = await call_ok(client, "describe_mapping", {})
    kinds = {k["kind"]: k for k in out["kinds"]}
    assert set(KINDS) <= kinds.keys(), f"missing kinds: {set(KINDS) - kinds.keys()}"
    for kind, (do_type, aws_type) in KINDS.items():
        assert kinds[kind]["digitalocean"]["terraform_type"] == do_type, kinds[kind]
        assert kinds[kind]["aws"]["terraform_type"] == aws_type, kinds[kind]


async def test_describe_mapping_lists_regions_sizes_engines(client: Client) -> None:
    out = await call_ok(client, "describe_mapping", {})
    providers = {p["provider"]: p for p in out["providers"]}
    assert providers.keys() == PROVIDERS, list(providers)
    expected = {
        "digitalocean": {
            "region": "nyc3",
            "web_server": {"s-1vcpu-1gb": (1, 1), "s-2vcpu-4gb": (2, 4)},
            "database": {"db-s-2vcpu-4gb": (2, 4)},
        },
        "aws": {
            "region": "us-east-1",
            "web_server": {"t3.medium": (2, 4)},
            "database": {"db.t3.medium": (2, 4)},
        },
    }
    for name, p in providers.items():
        regions = p["regions"]
        assert isinstance(regions, list) and all(isinstance(r, dict) and r.get("slug") for r in regions), regions
        assert expected[name]["region"] in {r["slug"] for r in regions}
        sizes = p["sizes"]
        assert isinstance(sizes, dict) and set(sizes) <= set(KINDS), f"{name}: sizes keyed by kind: {list(sizes)}"
        for kind in ("web_server", "database"):
            entries = sizes.get(kind)
            assert entries, f"{name}: no {kind} sizes"
            for e in entries:
                assert isinstance(e["slug"], str) and e["slug"], e
                assert isinstance(e["vcpus"], int | float) and e["vcpus"] > 0, e
                assert isinstance(e["memory_gb"], int | float) and e["memory_gb"] > 0, e
            by_slug = {e["slug"]: (e["vcpus"], e["memory_gb"]) for e in entries}
            for slug, dims in expected[name][kind].items():
                assert by_slug.get(slug) == dims, f"{name} {kind} {slug}: expected {dims}, got {by_slug.get(slug)}"
        engines = {e["engine"]: e["versions"] for e in p["engines"]}
        for engine in ("postgres", "mysql"):
            versions = engines.get(engine)
            assert versions and all(isinstance(v, str) and v for v in versions), f"{name} {engine}: {versions}"


async def test_describe_mapping_filters_by_provider(client: Client) -> None:
    out = await call_ok(client, "describe_mapping", {"provider": "aws"})
    assert [p["provider"] for p in out["providers"]] == ["aws"]


async def test_describe_mapping_rejects_unknown_provider(client: Client) -> None:
    text = await call_err(client, "describe_mapping", {"provider": "azure"})
    assert "digitalocean" in text and "aws" in text, text


# ---------------------------------------------------------------------------
# plan_deployment: good requests
# ---------------------------------------------------------------------------


async def test_plan_digitalocean(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", BRIEF_DO)
    check_plan_shape(plan)
    droplet = one_of_type(plan, "digitalocean_droplet")
    assert droplet["size"] == "s-2vcpu-4gb", droplet
    db = one_of_type(plan, "digitalocean_database_cluster")
    assert db["size"] == "db-s-2vcpu-4gb", db
    vpc = one_of_type(plan, "digitalocean_vpc")
    assert vpc["kind"] == "network" and vpc["size"] is None, vpc
    assert of_type(plan, "digitalocean_firewall"), summary(plan)
    assert vpc["name"] in droplet["depends_on"], f"the droplet lives in the VPC: {summary(plan)}"
    assert {r["provider"] for r in plan["resources"]} == {"digitalocean"}
    assert {r["region"] for r in plan["resources"]} == {"nyc3"}
    assert plan_providers(plan) == {"digitalocean"}


async def test_plan_aws(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", BRIEF_AWS)
    check_plan_shape(plan)
    instance = one_of_type(plan, "aws_instance")
    assert instance["size"] == "t3.medium", instance
    db = one_of_type(plan, "aws_db_instance")
    assert db["size"] == "db.t3.medium", db
    vpc = one_of_type(plan, "aws_vpc")
    assert vpc["size"] is None, vpc
    assert of_type(plan, "aws_security_group"), summary(plan)
    assert vpc["name"] in instance["depends_on"] or any(
        vpc["name"] in r["depends_on"] for r in plan["resources"] if r["name"] in instance["depends_on"]
    ), f"the instance lives in the VPC (directly or through its subnet): {summary(plan)}"
    assert {r["provider"] for r in plan["resources"]} == {"aws"}
    assert {r["region"] for r in plan["resources"]} == {"us-east-1"}
    assert plan_providers(plan) == {"aws"}


async def test_plan_aws_network_has_subnets_in_two_azs(client: Client) -> None:
    """design.md: aws_vpc (+ subnets in >= 2 AZs, internet gateway, routes); RDS needs two AZs.

    Subnets may be planned as aws_subnet resources or described in the VPC resource's spec."""
    plan = await call_ok(client, "plan_deployment", BRIEF_AWS)
    subnet_resources = of_type(plan, "aws_subnet")
    if subnet_resources:
        assert len(subnet_resources) >= 2, summary(plan)
        return
    vpc = one_of_type(plan, "aws_vpc")
    subnets = (vpc.get("spec") or {}).get("subnets") or []
    zones = {s.get("availability_zone") for s in subnets} - {None}
    assert len(zones) >= 2, f"subnets must span two availability zones: {subnets or summary(plan)}"


async def test_plan_per_component_provider_override(client: Client) -> None:
    args = with_component(1, provider="aws")
    args["regions"] = {"digitalocean": "nyc3", "aws": "us-east-1"}
    plan = await call_ok(client, "plan_deployment", args)
    check_plan_shape(plan)
    assert plan_providers(plan) == PROVIDERS, plan["providers"]
    assert one_of_type(plan, "digitalocean_droplet")["region"] == "nyc3"
    db = one_of_type(plan, "aws_db_instance")
    assert db["size"] == "db.t3.medium" and db["region"] == "us-east-1", db
    assert not of_type(plan, "digitalocean_database_cluster"), summary(plan)


async def test_plan_count_gives_that_many_servers(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", with_component(0, count=2))
    check_plan_shape(plan)
    droplets = of_type(plan, "digitalocean_droplet")
    assert len(droplets) == 2, summary(plan)
    assert all(d["kind"] == "web_server" and d["size"] == "s-2vcpu-4gb" for d in droplets), droplets


async def test_plan_explicit_size_is_used(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", with_size(0, "s-4vcpu-8gb"))
    assert one_of_type(plan, "digitalocean_droplet")["size"] == "s-4vcpu-8gb", summary(plan)


# ---------------------------------------------------------------------------
# plan_deployment: bad requests come back as isError naming the field and the valid choices
# ---------------------------------------------------------------------------

dup = copy.deepcopy(BRIEF_DO)
dup["components"][1]["name"] = "web"

BAD_PLANS = [
    ("unknown-region", plan_args(BRIEF_AWS, regions={"aws": "mars-1"}), ["region", "us-east-1"]),
    ("unknown-size", with_size(0, "huge"), ["size", "s-1vcpu-1gb"]),
    ("unknown-engine", with_component(1, engine="oracle"), ["engine", "postgres"]),
    ("unknown-kind", with_component(0, kind="mainframe"), ["web_server"]),
    ("unknown-provider", plan_args(provider="azure"), ["digitalocean", "aws"]),
    ("empty-components", plan_args(components=[]), ["components"]),
    ("count-zero", with_component(0, count=0), ["count"]),
    ("duplicate-names", dup, ["web"]),
    ("uppercase-name", with_component(0, name="Web"), ["name"]),
    ("underscore-name", with_component(0, name="web_1"), ["name"]),
]


@pytest.mark.parametrize(("args", "must_mention"), [(a, m) for _, a, m in BAD_PLANS], ids=[i for i, _, _ in BAD_PLANS])
async def test_plan_rejects_bad_input(client: Client, args: dict[str, Any], must_mention: list[str]) -> None:
    text = await call_err(client, "plan_deployment", args)
    missing = [word for word in must_mention if word.lower() not in text.lower()]
    assert not missing, f"the error should mention {missing}: {text}"
