"""AWS end to end, through the official MCP Python SDK over stdio: a project, a plan (VPC, two web servers, an ALB, an
RDS PostgreSQL and an S3 bucket) previewed, approved and applied against moto (RIFT_MOTO_URL, from tools/moto.sh),
then `get_project` shows every resource with its cost; a server is inspected from the cloud and resized (stop, change
type, start) and the bucket deleted, each previewed and approved. The server reaches moto only through the standard AWS
variables (AWS_ENDPOINT_URL, test credentials, AWS_REGION), as a user's rift would reach AWS.

Skipped when moto is not running, unless RIFT_REQUIRE_EMULATORS=1.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from mcp import Client, StdioServerParameters

from _support import call_err, call_ok, rift_bin, seed_cloudwatch
from test_terraform import Config

pytestmark = pytest.mark.anyio

SECRET_KEY = "e2e-aws-secret-access-key-000000000000"
# A region no other suite uses, so this test sees only its own resources in moto.
REGION = "us-east-2"


@pytest.fixture
def server(tmp_path: Path) -> StdioServerParameters:
    moto = os.environ.get("RIFT_MOTO_URL", "").strip()
    if not moto:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail("RIFT_REQUIRE_EMULATORS=1 but RIFT_MOTO_URL is not set (tools/moto.sh start)", pytrace=False)
        pytest.skip("RIFT_MOTO_URL is not set (tools/moto.sh start)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "e2e-aws-key",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    state = tmp_path / "rift.sqlite"
    return StdioServerParameters(
        command=rift_bin(),
        args=["serve", "--allow-writes", "--tools", "plan,projects,provision,operate,migrate", "--state", str(state)],
        env=env,
    )


def plan_request(name: str) -> dict:
    return {
        "name": name,
        "provider": "aws",
        "regions": {"aws": REGION},
        "components": [
            {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 1, "count": 2, "ports": [80]},
            {"name": "lb", "kind": "load_balancer", "ports": [80]},
            {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "vcpus": 2, "memory_gb": 1},
            {"name": "assets", "kind": "object_storage", "storage_gb": 10},
        ],
    }


def moto_client(service: str, region: str = REGION) -> Any:
    """A boto3 client for moto, with the keys the spawned rift uses."""
    return boto3.client(
        service,
        endpoint_url=os.environ["RIFT_MOTO_URL"],
        region_name=region,
        aws_access_key_id="e2e-aws-key",
        aws_secret_access_key=SECRET_KEY,
    )


def seed_cpu(instance_id: str, values: list[float]) -> None:
    """CPUUtilization points a minute apart ending now, as EC2 would publish them."""
    seed_cloudwatch(moto_client("cloudwatch"), "AWS/EC2", "CPUUtilization", ("InstanceId", instance_id), values)


EXPECTED_KINDS = {"network", "firewall", "web_server", "load_balancer", "database", "object_storage"}


async def test_an_aws_plan_is_previewed_approved_applied_and_shown_with_costs(server: StdioServerParameters) -> None:
    # A name unique to the run keeps this project's resources apart from an earlier run on the same moto.
    name = f"shop{int(time.time()) % 100000}"
    async with Client(server, mode="legacy", read_timeout_seconds=180.0) as client:
        project = await call_ok(
            client,
            "create_project",
            {"name": name, "cloud_providers": ["aws", "digitalocean"], "aws_config": {"region": REGION}},
        )
        plan = await call_ok(client, "plan_deployment", plan_request(name))
        kinds = {r["kind"] for r in plan["resources"]}
        assert EXPECTED_KINDS <= kinds, kinds
        assert sum(r["kind"] == "web_server" for r in plan["resources"]) == 2
        names = {r["name"] for r in plan["resources"]}

        apply_args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        preview = await call_ok(client, "apply_plan", apply_args)
        assert preview["status"] == "preview", preview
        assert preview["approval_token"], preview
        assert preview["monthly_cost_delta"] > 0, preview
        assert len(preview["changes"]) == len(names), preview["changes"]

        # Nothing exists before approval.
        before = await call_ok(client, "get_project", {"project_id": project["id"]})
        assert all(group["resources"] == [] for group in before["providers"]), before

        applied = await call_ok(client, "apply_plan", {**apply_args, "approval_token": preview["approval_token"]})
        assert applied["status"] == "executed", json.dumps(applied, indent=2)
        # "created NAME CLOUD-ID" per resource.
        assert all(line.startswith("created ") for line in applied["changes"]), applied["changes"]
        done = dict(line.split(" ", 2)[1:] for line in applied["changes"])
        assert set(done) == names, applied["changes"]
        by_kind = {r["name"]: r["kind"] for r in plan["resources"]}
        prefixes = {"network": "vpc-", "firewall": "sg-", "web_server": "i-", "load_balancer": "arn:aws:elasticloadbalancing:"}
        for resource, cloud_id in done.items():
            prefix = prefixes.get(by_kind[resource])
            assert prefix is None or cloud_id.startswith(prefix), (resource, cloud_id)

        view = await call_ok(client, "get_project", {"project_id": project["id"]})
        aws = next(g for g in view["providers"] if g["provider"] == "aws")
        shown = {r["name"]: r for r in aws["resources"]}
        assert set(shown) == names, sorted(shown)
        assert all(r["state"] == "created" for r in shown.values()), {n: r["state"] for n, r in shown.items()}
        assert all(r["cloud_id"] for r in shown.values())
        priced = [r for r in shown.values() if r["kind"] in ("web_server", "load_balancer", "database")]
        assert all((r["monthly_cost"] or 0) > 0 for r in priced), priced
        assert view["monthly_cost"] > 0 and aws["monthly_cost"] == pytest.approx(view["monthly_cost"])
        db = next(r for r in shown.values() if r["kind"] == "database")
        assert any(":5432" in e for e in db["endpoints"]), db

        # Applying again creates nothing new.
        again = await call_ok(client, "apply_plan", apply_args)
        assert not any(c.startswith("create") for c in again["changes"]), again["changes"]

        # The project as Terraform: every file parses, every reference resolves, every resource is there.
        exported = await call_ok(client, "generate_terraform", {"project_id": project["id"]})
        assert exported["plan_id"] == f"project-{project['id']}"
        config = Config(exported["files"])
        unresolved = [ref for _, ref in config.references() if not config.resolves(ref)]
        assert not unresolved, unresolved
        missing = [n for n in names if f'"{n}"' not in exported["files"]["aws.tf"]]
        assert not missing, missing

        # Inspect one resource from the cloud, list them all.
        web = next(r for r in plan["resources"] if r["kind"] == "web_server")
        fetched = await call_ok(client, "get_resource", {"project_id": project["id"], "name": web["name"], "refresh": True})
        assert fetched["record"]["cloud_id"] == done[web["name"]], fetched
        assert fetched["record"]["state"] == "running", fetched
        assert fetched["record"]["tags"]["rift-project"] == project["id"], fetched
        listed = await call_ok(client, "list_resources", {"project_id": project["id"], "provider": "aws"})
        assert {r["name"] for r in listed["resources"]} == names, listed

        # Metrics under rift's names, from CloudWatch (seeded here: moto publishes none by itself).
        seed_cpu(done[web["name"]], [20.0, 40.0, 60.0])
        metrics = await call_ok(client, "get_metrics", {"project_id": project["id"], "resource": web["name"], "series": True})
        (reading,) = metrics["resources"]
        by_metric = {m["metric"]: m for m in reading["metrics"]}
        cpu = by_metric["cpu_percent"]
        assert cpu["available"] and (cpu["min"], cpu["max"], cpu["last"]) == (20.0, 60.0, 60.0), cpu
        assert "AWS/EC2 CPUUtilization" in cpu["source"] and len(cpu["points"]) == 3, cpu
        memory = by_metric["memory_percent"]
        assert not memory["available"] and "CloudWatch agent" in memory["reason"] and "last" not in memory, memory
        everything_metrics = await call_ok(client, "get_metrics", {"project_id": project["id"]})
        kinds_read = {r["kind"] for r in everything_metrics["resources"]}
        assert kinds_read == {"web_server", "load_balancer", "database"}, kinds_read
        for bad, says in [
            ({"metrics": ["cpu_load"]}, "cpu_percent"),
            ({"resource": "nothing"}, web["name"]),
            ({"minutes": 30000}, "20160"),
            ({"resource": web["name"], "metrics": ["evictions"]}, "cpu_percent"),
        ]:
            text = await call_err(client, "get_metrics", {"project_id": project["id"], **bad})
            assert says in text, (bad, text)

        # Plan moving the database to DigitalOcean: same engine and version, the same or the next size up, the
        # cost before and after, the link the web servers left on AWS need, steps with their downtime.
        db_name = next(r["name"] for r in plan["resources"] if r["kind"] == "database")
        move = await call_ok(client, "plan_migration", {"project_id": project["id"], "component": "db", "to": "digitalocean"})
        assert move["from"] == "aws" and move["to"] == "digitalocean", move
        (line,) = move["moves"]
        assert line.startswith(f"{db_name} (aws db.t3.") and f"{db_name}-do (digitalocean db-s-" in line, line
        assert move["monthly_cost_before"] == pytest.approx(view["monthly_cost"], abs=0.01), move
        assert move["monthly_cost_after"] != move["monthly_cost_before"], move
        assert "web" in move["link"] and "aws" in move["link"], move["link"]
        assert move["steps"][0].startswith("1. create the target") and any("downtime" in s for s in move["steps"]), move
        assert move["cut_over"] and move["rollback"], move
        target = await call_ok(client, "estimate_cost", {"plan_id": move["plan_id"]})
        engines = [r for r in target["lines"] if "database" in r["catalog_key"]]
        assert engines, target["lines"]
        for bad, says in [
            ({"component": "db", "to": "aws"}, "already runs on aws"),
            ({"resource": "nothing", "to": "digitalocean"}, db_name),
            ({"to": "digitalocean"}, "exactly one of resource"),
        ]:
            text = await call_err(client, "plan_migration", {"project_id": project["id"], **bad})
            assert says in text, (bad, text)

        # Resize a web server (stop, change type, start) and delete the bucket, each previewed then approved.
        resize = {"project_id": project["id"], "name": web["name"], "size": "t3.small"}
        resize_preview = await call_ok(client, "resize_resource", resize)
        assert resize_preview["status"] == "preview", resize_preview
        resized = await call_ok(client, "resize_resource", {**resize, "approval_token": resize_preview["approval_token"]})
        assert resized["status"] == "executed", resized
        fetched = await call_ok(client, "get_resource", {"project_id": project["id"], "name": web["name"], "refresh": True})
        assert (fetched["record"]["size"], fetched["record"]["state"]) == ("t3.small", "running"), fetched

        bucket = next(r["name"] for r in plan["resources"] if r["kind"] == "object_storage")
        delete = {"project_id": project["id"], "name": bucket}
        delete_preview = await call_ok(client, "delete_resource", delete)
        assert delete_preview["status"] == "preview", delete_preview
        deleted = await call_ok(client, "delete_resource", {**delete, "approval_token": delete_preview["approval_token"]})
        assert deleted["status"] == "executed", deleted
        view_after = await call_ok(client, "get_project", {"project_id": project["id"]})
        live = {r["name"] for g in view_after["providers"] for r in g["resources"] if r["state"] == "created"}
        assert bucket not in live and web["name"] in live, view_after
        # A deleted resource costs nothing in the rows as in the totals; deleting it again is a success.
        rows = await call_ok(client, "list_resources", {"project_id": project["id"]})
        gone = next(r for r in rows["resources"] if r["name"] == bucket)
        assert (gone["state"], gone["monthly_cost"]) == ("deleted", 0), gone
        twice = await call_ok(client, "delete_resource", delete)
        assert "already deleted" in json.dumps(twice), twice
        # The same name on the other cloud is a clash named as such, never a mislabelled "exists".
        database = next(r for r in plan["resources"] if r["kind"] == "database")
        clash = await call_err(
            client,
            "create_database",
            {"project_id": project["id"], "provider": "digitalocean", "name": database["component"], "engine": "postgres"},
        )
        assert database["name"] in clash and "aws" in clash, clash
        assert not clash.startswith("exists"), clash

        everything = json.dumps([project, plan, preview, applied, view, again, fetched, listed, resized, deleted])
        assert SECRET_KEY not in everything
        assert "MasterUserPassword" not in everything


async def test_discover_resources_lists_what_no_project_manages_with_its_cost(server: StdioServerParameters) -> None:
    """An instance and a bucket made outside rift (boto3) are found with their kind, size and catalog cost, a page
    at a time; a project's own resources are not; bad input says what is valid."""
    ec2, s3 = moto_client("ec2"), moto_client("s3")
    instance = ec2.run_instances(ImageId="ami-00000000000000000", InstanceType="t3.small", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]["InstanceId"]
    bucket = f"hand-made-{int(time.time() * 1000)}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    name = f"adopt{int(time.time()) % 100000}"
    async with Client(server, mode="legacy", read_timeout_seconds=120.0) as client:
        project = await call_ok(
            client, "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
        )
        pid = project["id"]
        plan = await call_ok(
            client,
            "plan_deployment",
            {"name": name, "provider": "aws", "regions": {"aws": REGION},
             "components": [{"name": "files", "kind": "object_storage", "storage_gb": 10}]},
        )
        preview = await call_ok(client, "apply_plan", {"project_id": pid, "plan_id": plan["plan_id"]})
        await call_ok(
            client, "apply_plan", {"project_id": pid, "plan_id": plan["plan_id"], "approval_token": preview["approval_token"]}
        )
        own = {r["cloud_id"] for r in (await call_ok(client, "list_resources", {"project_id": pid}))["resources"]}

        found = await call_ok(client, "discover_resources", {"project_id": pid, "provider": "aws", "limit": 200})
        by_id = {r["cloud_id"]: r for r in found["resources"]}
        server_found = by_id[instance]
        assert (server_found["kind"], server_found["size"], server_found["state"]) == ("web_server", "t3.small", "running")
        t3_small = await call_ok(
            client,
            "estimate_cost",
            {"provider": "aws", "regions": {"aws": REGION},
             "components": [{"name": "w", "kind": "web_server", "size": "t3.small"}]},
        )
        # The instance hour and its public IPv4, from the catalog (its root volume is not seen: not priced).
        priced = {line["catalog_key"].split("/")[2]: line["monthly"] for line in t3_small["lines"]}
        assert server_found["monthly_cost"] == pytest.approx(priced["ec2"] + priced["ipv4"], abs=0.01), (
            server_found,
            priced,
        )
        assert by_id[bucket]["kind"] == "object_storage", by_id[bucket]
        assert not own & set(by_id), "a project's own resources are not for adoption"

        # A page at a time: the cursor resumes after the last one, nothing twice.
        first = await call_ok(client, "discover_resources", {"project_id": pid, "provider": "aws", "limit": 1})
        assert len(first["resources"]) == 1 and first["next_cursor"], first
        second = await call_ok(
            client, "discover_resources", {"project_id": pid, "provider": "aws", "limit": 1, "cursor": first["next_cursor"]}
        )
        assert second["resources"][0]["cloud_id"] != first["resources"][0]["cloud_id"], (first, second)
        only = await call_ok(client, "discover_resources", {"project_id": pid, "provider": "aws", "kind": "object_storage"})
        assert {r["kind"] for r in only["resources"]} == {"object_storage"}, only

        wrong_cloud = await call_err(client, "discover_resources", {"project_id": pid, "provider": "digitalocean"})
        assert "does not use digitalocean" in wrong_cloud and "update_project" in wrong_cloud, wrong_cloud
        too_many = await call_err(client, "discover_resources", {"project_id": pid, "provider": "aws", "limit": 1000})
        assert "limit" in too_many and "200" in too_many, too_many

        # Adopting the instance: previewed with its cost, approved once, then priced in the project and no
        # longer for adoption; a second adoption names the owner; deleting it needs the policy's permission.
        adopt = {"project_id": pid, "provider": "aws", "cloud_ids": [instance]}
        preview = await call_ok(client, "adopt_resources", adopt)
        assert preview["status"] == "preview", preview
        assert preview["monthly_cost_delta"] == pytest.approx(server_found["monthly_cost"], abs=0.01), preview
        done = await call_ok(client, "adopt_resources", {**adopt, "approval_token": preview["approval_token"]})
        assert done["status"] == "executed", done
        listed = await call_ok(client, "list_resources", {"project_id": pid})
        adopted = next(r for r in listed["resources"] if r["cloud_id"] == instance)
        assert (adopted["kind"], adopted["state"]) == ("web_server", "created"), adopted
        assert adopted["monthly_cost"] == pytest.approx(server_found["monthly_cost"], abs=0.01), adopted
        after = await call_ok(client, "discover_resources", {"project_id": pid, "provider": "aws", "limit": 200})
        assert instance not in {r["cloud_id"] for r in after["resources"]}, after
        twice = await call_err(client, "adopt_resources", adopt)
        assert f"already in project {pid}" in twice and instance in twice, twice
        delete = await call_err(client, "delete_resource", {"project_id": pid, "name": adopted["name"]})
        assert "unmanaged" in delete or "not created by rift" in delete, delete
