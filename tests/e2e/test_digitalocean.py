"""DigitalOcean end to end, through the official MCP Python SDK over stdio: a project, a plan (VPC, firewall, two
droplets, load balancer, managed PostgreSQL, volume, Spaces bucket) previewed, approved and applied against Prism
serving DigitalOcean's official OpenAPI spec (RIFT_PRISM_URL, from tools/prism.sh) and moto's S3 for Spaces
(RIFT_MOTO_URL, from tools/moto.sh). Every API request rift sends is validated by Prism: one the spec rejects
answers 422 and fails the apply.

Skipped when the emulators are not running, unless RIFT_REQUIRE_EMULATORS=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from _support import call_ok, rift_bin

pytestmark = pytest.mark.anyio

TOKEN = "dop_v1_e2e0000000000000000000000000000000000000000000000000000000000"
SPACES_SECRET = "e2e-spaces-secret-key-0000000000000000"


def emulator(variable: str, how: str) -> str:
    url = os.environ.get(variable, "").strip()
    if not url:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail(f"RIFT_REQUIRE_EMULATORS=1 but {variable} is not set ({how})", pytrace=False)
        pytest.skip(f"{variable} is not set ({how})")
    return url


@pytest.fixture
def server(tmp_path: Path) -> StdioServerParameters:
    prism = emulator("RIFT_PRISM_URL", "tools/prism.sh start")
    moto = emulator("RIFT_MOTO_URL", "tools/moto.sh start")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DIGITALOCEAN_API_URL": prism,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "SPACES_ENDPOINT_URL": moto,
        "SPACES_ACCESS_KEY_ID": "e2e-spaces-key",
        "SPACES_SECRET_ACCESS_KEY": SPACES_SECRET,
        # Prism's actions and clusters never finish: wait a moment, then record them as still in progress.
        "RIFT_DIGITALOCEAN_WAIT_S": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    state = tmp_path / "rift.sqlite"
    return StdioServerParameters(command=rift_bin(), args=["serve", "--allow-writes", "--state", str(state)], env=env)


PLAN = {
    "name": "shop",
    "provider": "digitalocean",
    "regions": {"digitalocean": "nyc3"},
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4, "count": 2, "ports": [80, 443]},
        {"name": "lb", "kind": "load_balancer"},
        {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "vcpus": 2, "memory_gb": 4},
        {"name": "data", "kind": "block_storage", "storage_gb": 50},
        {"name": "assets", "kind": "object_storage", "storage_gb": 10},
    ],
}

EXPECTED_KINDS = {"network", "firewall", "web_server", "load_balancer", "database", "block_storage", "object_storage"}


async def test_a_digitalocean_plan_is_previewed_approved_and_applied(server: StdioServerParameters) -> None:
    async with Client(server, mode="legacy", read_timeout_seconds=120.0) as client:
        project = await call_ok(
            client,
            "create_project",
            {
                "name": "shop",
                "cloud_providers": ["digitalocean"],
                "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
            },
        )
        plan = await call_ok(client, "plan_deployment", PLAN)
        kinds = {r["kind"] for r in plan["resources"]}
        assert EXPECTED_KINDS <= kinds, kinds
        assert sum(r["kind"] == "web_server" for r in plan["resources"]) == 2

        apply_args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        preview = await call_ok(client, "apply_plan", apply_args)
        names = {r["name"] for r in plan["resources"]}
        assert preview["status"] == "preview", preview
        assert preview["approval_token"], preview
        assert len(preview["changes"]) == len(names), preview["changes"]
        for name in names:
            line = next((c for c in preview["changes"] if f" {name} " in f" {c} "), None)
            assert line is not None and line.startswith("create"), (name, preview["changes"])

        applied = await call_ok(client, "apply_plan", {**apply_args, "approval_token": preview["approval_token"]})
        assert applied["status"] == "executed", json.dumps(applied, indent=2)
        # One line per resource: "created NAME CLOUD-ID" (or "failed NAME: why", ...).
        done = {}
        for line in applied["changes"]:
            verb, name, cloud_id = line.split(" ", 2)
            assert verb == "created", applied["changes"]
            done[name] = cloud_id
        assert set(done) == names, applied["changes"]
        bucket = next(r["name"] for r in plan["resources"] if r["kind"] == "object_storage")
        assert done[bucket] == bucket
        # Prism answers with the spec's example resources.
        droplets = [n for n in names if n.startswith("shop-web")]
        assert len(droplets) == 2 and all(done[n] == "3164444" for n in droplets), done

        listed = await call_ok(client, "list_resources", {"project_id": project["id"]})
        stored = {r["name"]: r for r in listed["resources"]}
        assert set(stored) == names
        assert all(r["provider"] == "digitalocean" for r in stored.values())

        # Applying again creates nothing new.
        again = await call_ok(client, "apply_plan", apply_args)
        assert not any(c.startswith("create") for c in again["changes"]), again["changes"]

        # Read, resize and delete through the tools, each mutation previewed and approved.
        volume = next(r["name"] for r in plan["resources"] if r["kind"] == "block_storage")
        database = next(r["name"] for r in plan["resources"] if r["kind"] == "database")
        got = await call_ok(client, "get_resource", {"project_id": project["id"], "name": volume, "refresh": True})
        assert got["record"]["kind"] == "block_storage", got
        outputs = [got]
        for tool, args in [
            ("resize_resource", {"name": volume, "storage_gb": 100}),
            ("resize_resource", {"name": database, "size": "db-s-4vcpu-8gb"}),
            ("delete_resource", {"name": bucket}),
        ]:
            args = {"project_id": project["id"], **args}
            previewed = await call_ok(client, tool, args)
            assert previewed["status"] == "preview" and previewed["approval_token"], previewed
            done = await call_ok(client, tool, {**args, "approval_token": previewed["approval_token"]})
            assert done["status"] == "executed", (tool, done)
            outputs += [previewed, done]
        # The bucket is really gone from (moto's) S3: deleting it again finds nothing to delete.
        gone = await call_ok(client, "list_resources", {"project_id": project["id"]})
        assert bucket not in {r["name"] for r in gone["resources"] if r["state"] != "deleted"}, gone

        everything = json.dumps([project, plan, preview, applied, listed, again, outputs, gone])
        assert TOKEN not in everything and SPACES_SECRET not in everything
