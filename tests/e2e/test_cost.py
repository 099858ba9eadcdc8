"""estimate_cost, compare_providers and refresh_prices through the official MCP Python SDK (stdio and HTTP)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from _support import call_err, call_ok, rift_bin

pytestmark = pytest.mark.anyio

BRIEF = {
    "name": "shop",
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4},
    ],
}


def brief(provider: str) -> dict[str, Any]:
    return {**BRIEF, "provider": provider}


def line(estimate: dict[str, Any], key: str) -> dict[str, Any]:
    found = [l for l in estimate["lines"] if l["catalog_key"] == key]
    assert found, f"no line priced from {key}: {json.dumps(estimate['lines'], indent=1)}"
    return found[0]


async def test_estimate_of_the_brief_on_digitalocean_is_84_dollars(client: Client) -> None:
    est = await call_ok(client, "estimate_cost", {**brief("digitalocean")})
    assert line(est, "digitalocean/droplet/s-2vcpu-4gb")["monthly"] == 24.0
    assert line(est, "digitalocean/database/db-s-2vcpu-4gb")["monthly"] == 60.0
    assert est["total_monthly"] == 84.0
    assert est["totals"] == [{"provider": "digitalocean", "monthly": 84.0, "hourly": est["total_hourly"]}]
    assert est["catalog"]["as_of"]


async def test_estimate_of_the_brief_on_aws_shows_every_line(client: Client) -> None:
    est = await call_ok(client, "estimate_cost", {**brief("aws")})
    expected = {
        "aws/us-east-1/ec2/t3.medium": 30.37,
        "aws/us-east-1/rds/postgres/db.t3.medium": 52.56,
        "aws/us-east-1/rds/storage/gp3": 2.30,
        "aws/us-east-1/ipv4/hour": 3.65,
        "aws/us-east-1/ebs/gp3": 1.60,
        "aws/us-east-1/secretsmanager/secret": 0.40,
    }
    for key, monthly in expected.items():
        item = line(est, key)
        assert item["monthly"] == monthly, item
        assert item["source"] and item["as_of"] and isinstance(item["verified"], bool)
    ec2 = line(est, "aws/us-east-1/ec2/t3.medium")
    assert (ec2["unit_price"], ec2["hours"], ec2["unit"]) == (0.0416, 730, "hour")
    assert line(est, "aws/us-east-1/ipv4/hour")["category"] == "hidden"
    assert est["total_monthly"] == round(sum(expected.values()), 2)
    assert any("unverified" in w for w in est["warnings"])


async def test_estimate_by_plan_id_with_a_usage_profile(client: Client) -> None:
    plan = await call_ok(client, "plan_deployment", brief("aws"))
    est = await call_ok(client, "estimate_cost", {"plan_id": plan["plan_id"], "usage": {"profile": "medium"}})
    assert est["plan_id"] == plan["plan_id"]
    assert est["usage"]["given"] and est["usage"]["profile"] == "medium"
    transfer = [l for l in est["lines"] if l["category"] == "usage"]
    # medium: 500 GB out, the first 100 GB free, 400 GB at $0.09.
    assert [(l["quantity"], l["monthly"]) for l in transfer] == [(400.0, 36.0)], transfer


async def test_estimate_rejects_bad_input_in_band(client: Client) -> None:
    text = await call_err(client, "estimate_cost", {"plan_id": "plan-000000000000"})
    assert "plan-000000000000" in text and "plan_deployment" in text
    text = await call_err(client, "estimate_cost", {})
    assert "plan_id" in text and "components" in text
    text = await call_err(client, "estimate_cost", {"plan_id": "x", **brief("aws")})
    assert "not both" in text
    text = await call_err(client, "estimate_cost", {**brief("aws"), "usage": {"lcu": -1}})
    assert "usage.lcu" in text and "negative" in text
    bad_size = {**brief("aws"), "components": [{"name": "web", "kind": "web_server", "size": "t9.huge"}]}
    text = await call_err(client, "estimate_cost", {**bad_size})
    assert "t9.huge" in text and "t3.medium" in text
    bad_region = {**brief("aws"), "regions": {"aws": "mars-1"}}
    text = await call_err(client, "estimate_cost", {**bad_region})
    assert "mars-1" in text and "us-east-1" in text


async def test_another_aws_region_is_priced_with_a_stand_in_warning(client: Client) -> None:
    request = {**brief("aws"), "regions": {"aws": "eu-west-1"}}
    est = await call_ok(client, "estimate_cost", {**request})
    assert line(est, "aws/us-east-1/ec2/t3.medium")["region"] == "eu-west-1"
    assert any("eu-west-1" in w and "stand-in" in w for w in est["warnings"]), est["warnings"]


async def test_compare_providers_side_by_side_and_the_mix(client: Client) -> None:
    result = await call_ok(client, "compare_providers", {**BRIEF, "usage": {"cross_cloud_gb": 300}})
    sides = {s["provider"]: s for s in result["providers"]}
    assert sides["digitalocean"]["total_monthly"] == 84.0
    assert sides["aws"]["total_monthly"] == 90.88
    assert {l["catalog_key"] for l in sides["aws"]["lines"]} >= {
        "aws/us-east-1/ec2/t3.medium",
        "aws/us-east-1/rds/postgres/db.t3.medium",
        "aws/us-east-1/rds/storage/gp3",
        "aws/us-east-1/ipv4/hour",
    }
    rows = {c["component"]: c for c in result["components"]}
    assert rows["web"]["digitalocean"] == {"size": "s-2vcpu-4gb", "monthly": 24.0}
    assert rows["db"]["aws"]["size"] == "db.t3.medium"
    assert result["cheapest_single"] == "digitalocean"
    mix = result["cheapest_mix"]
    assert {a["component"]: a["provider"] for a in mix["assignments"]} == {"web": "digitalocean", "db": "aws"}
    # 300 GB from RDS to the droplet: 100 GB free, 200 GB at $0.09.
    assert mix["cross_cloud_monthly"] == 18.0
    assert "round trip" in mix["latency_caveat"]
    # Each side's plan was stored: estimate_cost takes its id.
    est = await call_ok(client, "estimate_cost", {"plan_id": sides["aws"]["plan_id"]})
    assert est["total_monthly"] == 90.88


async def test_compare_providers_never_splits_a_cache_from_its_web_server(client: Client) -> None:
    request = {**BRIEF, "components": [*BRIEF["components"], {"name": "cache", "kind": "cache", "engine": "valkey"}]}
    result = await call_ok(client, "compare_providers", {**request})
    mix = result["cheapest_mix"]
    assigned = {a["component"]: a["provider"] for a in mix["assignments"]}
    # ElastiCache is reachable only from its own VPC: the cache stays with the droplet.
    assert assigned == {"web": "digitalocean", "db": "aws", "cache": "digitalocean"}
    # The mix plan's warnings are its own, beside its assignments.
    mix_warnings = result["cheapest_mix"]["warnings"]
    assert any(w.startswith("db: clients in another cloud") for w in mix_warnings), mix_warnings
    assert not any("VPN" in w for w in mix_warnings), mix_warnings
    assert "once cross-cloud costs are counted" not in result["recommendation"]


async def test_compare_providers_rejects_bad_requirements(client: Client) -> None:
    text = await call_err(client, "compare_providers", {"components": []})
    assert "components" in text
    text = await call_err(client, "compare_providers", {**BRIEF, "usage": {"transfer_out_gb": -5}})
    assert "usage.transfer_out_gb" in text


def _server_env(data_dir: str, **extra: str) -> dict[str, str]:
    """No credentials of any kind, no metadata service, a private data directory."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": data_dir,
        "RIFT_DATA_DIR": data_dir,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(Path(data_dir) / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(Path(data_dir) / "no-aws-credentials"),
        # Never the real API, whatever happens.
        "DIGITALOCEAN_API_URL": "http://127.0.0.1:9",
    }
    env.update(extra)
    return env


async def test_refresh_prices_without_credentials_is_a_clear_error() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        params = StdioServerParameters(command=rift_bin(), args=["serve"], env=_server_env(data_dir))
        async with Client(params, mode="legacy", read_timeout_seconds=60) as client:
            text = await call_err(client, "refresh_prices", {})
            assert "DIGITALOCEAN_TOKEN" in text and "AWS_ACCESS_KEY_ID" in text, text
            text = await call_err(client, "refresh_prices", {"providers": ["digitalocean"]})
            assert "DIGITALOCEAN_TOKEN" in text and "AWS" not in text, text
        assert not (Path(data_dir) / "prices-overlay.json").exists()


async def test_refresh_prices_from_prism_feeds_later_estimates() -> None:
    prism = os.environ.get("RIFT_PRISM_URL")
    if not prism:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail("RIFT_REQUIRE_EMULATORS=1 but RIFT_PRISM_URL is not set (tools/prism.sh start)")
        pytest.skip("RIFT_PRISM_URL is not set (tools/prism.sh start)")
    token = "dop_v1_e2e-secret-token"
    with tempfile.TemporaryDirectory() as data_dir:
        env = _server_env(data_dir, DIGITALOCEAN_API_URL=prism, DIGITALOCEAN_TOKEN=token)
        params = StdioServerParameters(command=rift_bin(), args=["serve"], env=env)
        async with Client(params, mode="legacy", read_timeout_seconds=60) as client:
            report = await call_ok(client, "refresh_prices", {"providers": ["digitalocean"]})
            assert token not in json.dumps(report)
            droplets = report["providers"][0]
            assert droplets["provider"] == "digitalocean" and droplets["prices"] > 0
            assert any("api.digitalocean.com" in w for w in droplets["warnings"]), droplets["warnings"]
            est = await call_ok(client, "estimate_cost", {**brief("digitalocean")})
            assert est["catalog"].get("refreshed"), est["catalog"]
            refreshed = [l for l in est["lines"] if l["source"].startswith("live refresh")]
            embedded = [l for l in est["lines"] if not l["source"].startswith("live refresh")]
            # Prism's example sizes: whatever it served is labelled; the database price stays embedded.
            assert all(l["catalog_key"].startswith("digitalocean/droplet/") for l in refreshed)
            assert any(l["catalog_key"].startswith("digitalocean/database/") for l in embedded)
        overlay = (Path(data_dir) / "prices-overlay.json").read_text()
        assert token not in overlay
