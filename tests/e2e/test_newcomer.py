"""What a newcomer's agent tripped over (issue 16), replayed through the official MCP client reading only tools/list:
the brief's example with a storage minimum, one requirements shape, errors in the vocabulary's terms, schemas that
state what validation enforces, and plans that do what they say.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from _support import call_err, call_ok

pytestmark = pytest.mark.anyio

# The brief's own example, exactly as the issue quotes it.
BRIEF_WITH_STORAGE = {
    "name": "shop",
    "provider": "digitalocean",
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4, "storage_gb": 20},
    ],
}


async def test_storage_gb_is_a_minimum_in_every_tool_and_the_brief_costs_84_dollars(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", BRIEF_WITH_STORAGE)
    db = next(r for r in plan["resources"] if r["kind"] == "database")
    assert db["size"] == "db-s-2vcpu-4gb", db
    # The same flat object, at the same place, for the three planning tools.
    estimate = await call_ok(client, "estimate_cost", BRIEF_WITH_STORAGE)
    assert estimate["total_monthly"] == 84.0, estimate["lines"]
    comparison = await call_ok(client, "compare_providers", BRIEF_WITH_STORAGE)
    sides = {side["provider"]: side for side in comparison["providers"]}
    assert sides["digitalocean"]["total_monthly"] == 84.0
    by_id = await call_ok(client, "estimate_cost", {"plan_id": plan["plan_id"]})
    assert by_id["total_monthly"] == 84.0


def with_component(**fields: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "provider": "aws",
        "components": [{"name": "web", "kind": "web_server", **fields}],
    }


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"vcpus": -1}, "vcpus"),
        ({"vcpus": "2"}, "vcpus"),
        ({"ports": [70000]}, "1"),
        ({"count": 0}, "count"),
    ],
)
async def test_bad_values_are_explained_in_the_vocabulary_s_terms(
    client: Client, fields: dict[str, Any], says: str
) -> None:
    for tool in ("plan_deployment", "estimate_cost", "compare_providers"):
        text = await call_err(client, tool, with_component(**fields))
        assert says in text, text
        for jargon in ("u32", "u16", "invalid type", "expected i", "a aws"):
            assert jargon not in text, f"{tool}: {text}"


async def test_a_huge_value_is_quoted_short_with_its_length(client: Client) -> None:
    # 3 MB: within the HTTP transport's 4 MB body limit (a larger body is refused whole, with 413).
    name = "x" * (3 * 1024 * 1024)
    text = await call_err(client, "plan_deployment", {**BRIEF_WITH_STORAGE, "name": name})
    assert len(text) < 2_000, len(text)
    assert str(len(name)) in text.replace(",", ""), text


async def test_an_image_is_capped_and_checked_against_the_slug_or_ami_pattern(client: Client) -> None:
    huge = await call_err(client, "plan_deployment", with_component(image="a" * 1_000_000))
    assert len(huge) < 2_000 and "image" in huge, huge[:500]
    bad = await call_err(client, "plan_deployment", with_component(image="ubuntu 24.04; rm -rf /"))
    assert "image" in bad and "ami-" in bad, bad


async def test_schemas_state_what_validation_enforces(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for tool in tools.values():
        assert tool.title, f"{tool.name} has no top-level title"
    estimate = tools["estimate_cost"].input_schema
    assert "default" not in estimate["properties"]["plan_id"], estimate["properties"]["plan_id"]
    # The flat shape documents its fields where it stands.
    assert estimate["properties"]["components"]["description"]
    component = tools["plan_deployment"].input_schema["properties"]["components"]["items"]["properties"]
    assert (component["count"]["minimum"], component["count"]["maximum"]) == (1, 100)
    assert (component["ports"]["items"]["minimum"], component["ports"]["items"]["maximum"]) == (1, 65535)


async def test_every_web_port_gets_a_listener_and_ssh_comes_only_from_ssh_from(client: Client) -> None:
    request = {
        "name": "shop",
        "provider": "digitalocean",
        "components": [
            {"name": "web", "kind": "web_server", "count": 2, "ports": [22, 80, 443], "ssh_from": ["203.0.113.0/24"]},
            {"name": "lb", "kind": "load_balancer"},
        ],
    }
    plan = await call_ok(client, "plan_deployment", request)
    lb = next(r for r in plan["resources"] if r["kind"] == "load_balancer")
    listeners = {(l["port"], l["target_port"]) for l in lb["spec"]["listeners"]}
    assert listeners == {(80, 80), (443, 443)}, lb["spec"]["listeners"]
    firewall = next(r for r in plan["resources"] if r["kind"] == "firewall")
    ssh = [rule for rule in firewall["spec"]["inbound"] if rule["port"] == 22]
    assert ssh == [{"protocol": "tcp", "port": 22, "source": {"type": "addresses", "value": "203.0.113.0/24"}}], ssh
    assert any("443" in w and "passthrough" in w for w in plan["warnings"]), plan["warnings"]
    # Without ssh_from nobody is admitted to SSH, the load balancer included.
    request["components"][0].pop("ssh_from")
    plan = await call_ok(client, "plan_deployment", request)
    firewall = next(r for r in plan["resources"] if r["kind"] == "firewall")
    assert not [rule for rule in firewall["spec"]["inbound"] if rule["port"] == 22], firewall["spec"]["inbound"]


async def test_a_database_serves_only_the_web_tiers_it_names(client: Client) -> None:
    # Disaster recovery: one stack per cloud; each database serves its own cloud's web tier only.
    request = {
        "name": "dr",
        "regions": {"aws": "us-east-1", "digitalocean": "nyc3"},
        "components": [
            {"name": "web-do", "kind": "web_server", "provider": "digitalocean"},
            {"name": "db-do", "kind": "database", "engine": "postgres", "provider": "digitalocean", "serves": ["web-do"]},
            {"name": "web-aws", "kind": "web_server", "provider": "aws"},
            {"name": "db-aws", "kind": "database", "engine": "postgres", "provider": "aws", "serves": ["web-aws"]},
        ],
    }
    plan = await call_ok(client, "plan_deployment", request)
    text = json.dumps(plan)
    assert "publicly" not in " ".join(plan["warnings"]).lower(), plan["warnings"]
    rds = next(r for r in plan["resources"] if r["kind"] == "database" and r["provider"] == "aws")
    assert rds["spec"].get("public") in (False, None), rds["spec"]
    assert "dr-web-do" not in json.dumps([r for r in plan["resources"] if r["provider"] == "aws" and r["kind"] == "firewall"]), text
    bad = await call_err(client, "plan_deployment", {**request, "components": [
        *request["components"][:1],
        {"name": "db", "kind": "database", "engine": "postgres", "provider": "digitalocean", "serves": ["nothing"]},
    ]})
    assert "serves" in bad and "web-do" in bad, bad


async def test_defaults_are_said_in_the_warnings(client: Client) -> None:
    plan = await call_ok(
        client,
        "plan_deployment",
        {"name": "shop", "provider": "aws", "components": [{"name": "db", "kind": "database"}]},
    )
    warnings = " ".join(plan["warnings"])
    assert "20 GB" in warnings and "postgres" in warnings.lower() and "16" in warnings, plan["warnings"]
