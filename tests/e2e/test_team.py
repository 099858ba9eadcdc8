"""Team mode with real processes: three `rift serve --http` replicas on one PostgreSQL database (a fresh database
on the cluster RIFT_POSTGRES_URL names, from tools/postgres.sh), reaching AWS through moto (RIFT_MOTO_URL).

- 50 concurrent redemptions of one approval token, spread over the replicas: exactly one executes (the token
  was issued by one replica and is valid on the others: the signing key lives in the database).
- two replicas applying the same plan at once: every resource exists once in the cloud, and the replica found
  busy did not spend its approval token.
- a replica killed mid-apply (its EC2 RunInstances reached moto, the answer never came back): another replica
  marks the change interrupted, applies again and finishes without a duplicate instance.

Skipped when PostgreSQL or moto is not running, unless RIFT_REQUIRE_EMULATORS=1.
"""

from __future__ import annotations

import asyncio
import http.client
import http.server
import os
import subprocess
import threading
import time
import uuid
import urllib.parse
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import boto3
import pytest
from mcp import Client

from _support import HttpServer, call_ok, server_env, spawn_http_server, text_of

pytestmark = pytest.mark.anyio

REGION = "eu-north-1"  # no other suite uses it, so moto holds only this test's resources there
REPLICAS = 3
REDEMPTIONS = 50


def required(name: str, how: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail(f"RIFT_REQUIRE_EMULATORS=1 but {name} is not set ({how})", pytrace=False)
        pytest.skip(f"{name} is not set ({how})")
    return value


@pytest.fixture
def database() -> str:
    """A fresh database on the test cluster; its URL."""
    cluster = required("RIFT_POSTGRES_URL", "tools/postgres.sh start")
    name = f"rift_team_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", cluster, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return cluster.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def replicas(database: str, tmp_path: Path) -> Iterator[list[HttpServer]]:
    moto = required("RIFT_MOTO_URL", "tools/moto.sh start")
    env = server_env(
        HOME=str(tmp_path),
        AWS_ENDPOINT_URL=moto,
        AWS_ACCESS_KEY_ID="team-key",
        AWS_SECRET_ACCESS_KEY="team-secret",
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    args = ["serve", "--http", "127.0.0.1:0", "--allow-writes", "--state", database]
    servers = [spawn_http_server(args, env=env) for _ in range(REPLICAS)]
    yield servers
    for server in servers:
        server.stop()


def bucket_plan(name: str) -> dict:
    return {
        "name": name,
        "provider": "aws",
        "regions": {"aws": REGION},
        "components": [{"name": "assets", "kind": "object_storage", "storage_gb": 10}],
    }


def web_plan(name: str) -> dict:
    return {
        "name": name,
        "provider": "aws",
        "regions": {"aws": REGION},
        "components": [{"name": "web", "kind": "web_server", "vcpus": 1, "memory_gb": 1, "count": 2}],
    }


def running_instance_names(project_id: str) -> list[str]:
    """The Name tags of the project's pending or running EC2 instances, sorted: one per planned server."""
    reservations = ec2().describe_instances(
        Filters=[
            {"Name": "tag:rift-project", "Values": [project_id]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )["Reservations"]
    return sorted(next(t["Value"] for t in i["Tags"] if t["Key"] == "Name") for r in reservations for i in r["Instances"])


def ec2() -> object:
    return boto3.client(
        "ec2",
        endpoint_url=os.environ["RIFT_MOTO_URL"],
        region_name=REGION,
        aws_access_key_id="team-key",
        aws_secret_access_key="team-secret",
    )


async def test_one_token_is_redeemed_once_across_replicas(replicas: list[HttpServer]) -> None:
    name = f"team{int(time.time() * 1000) % 10_000_000}"
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(Client(r.mcp_url, mode="legacy", read_timeout_seconds=120.0))
            for r in replicas
        ]
        project = await call_ok(
            clients[0], "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
        )
        # Planned on one replica, previewed (the token issued) on another: the plan and the key are shared.
        plan = await call_ok(clients[1], "plan_deployment", bucket_plan(name))
        apply_args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        preview = await call_ok(clients[2], "apply_plan", apply_args)
        token = preview["approval_token"]
        assert token, preview

        calls = [
            clients[i % REPLICAS].call_tool("apply_plan", {**apply_args, "approval_token": token})
            for i in range(REDEMPTIONS)
        ]
        results = await asyncio.gather(*calls)
        executed = [r for r in results if not r.is_error]
        refused = [text_of(r) for r in results if r.is_error]
        assert len(executed) == 1, [r.structured_content for r in executed]
        assert executed[0].structured_content["status"] == "executed", executed[0].structured_content
        # The others found the token spent, or the project busy with the one that runs (refused before the
        # token is looked at, so a busy project spends nothing).
        assert all("already used" in text or "is being changed by" in text for text in refused), refused[:3]

        view = await call_ok(clients[0], "get_project", {"project_id": project["id"]})
        shown = [r for g in view["providers"] for r in g["resources"]]
        assert [r["state"] for r in shown] == ["created"], shown


async def test_two_replicas_applying_one_plan_create_each_resource_once(
    replicas: list[HttpServer], database: str
) -> None:
    name = f"race{int(time.time() * 1000) % 10_000_000}"
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(Client(r.mcp_url, mode="legacy", read_timeout_seconds=180.0))
            for r in replicas[:2]
        ]
        project = await call_ok(
            a, "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
        )
        plan = await call_ok(a, "plan_deployment", web_plan(name))
        apply_args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        token_a = (await call_ok(a, "apply_plan", apply_args))["approval_token"]
        token_b = (await call_ok(b, "apply_plan", apply_args))["approval_token"]
        both = await asyncio.gather(
            a.call_tool("apply_plan", {**apply_args, "approval_token": token_a}),
            b.call_tool("apply_plan", {**apply_args, "approval_token": token_b}),
        )
        texts = [text_of(r) for r in both]
        # The one that ran second found the project busy (another replica holds its change lock) or, had the
        # first finished already, everything made.
        assert any("created 4" in t for t in texts), texts
        assert any("is being changed by" in t or "created 0" in t for t in texts), texts
        # A busy project refuses before the approval is spent: only the tokens that ran are marked used.
        ran = sum(1 for t in texts if "is being changed by" not in t)
        used = subprocess.run(
            ["psql", database, "-tAc", "SELECT count(*) FROM approvals WHERE used_at IS NOT NULL"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert used == str(ran), (used, texts)
        # Whichever lost (busy, or found everything made), applying again on either replica completes the plan.
        again = await call_ok(b, "apply_plan", apply_args)
        if again.get("approval_token"):
            await call_ok(b, "apply_plan", {**apply_args, "approval_token": again["approval_token"]})

        planned = {r["name"] for r in plan["resources"]}
        view = await call_ok(a, "get_project", {"project_id": project["id"]})
        shown = {r["name"]: r["state"] for g in view["providers"] for r in g["resources"]}
        assert shown == {n: "created" for n in planned}, shown

    web = sorted(r["name"] for r in plan["resources"] if r["kind"] == "web_server")
    assert running_instance_names(project["id"]) == web
    vpcs = ec2().describe_vpcs(Filters=[{"Name": "tag:rift-project", "Values": [project["id"]]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs


class HoldingProxy(http.server.ThreadingHTTPServer):
    """Forwards to moto, but holds the answer to every EC2 RunInstances (not a dry run) it forwarded until
    `release` is set: the instance exists in the cloud and the rift that asked never hears of it (a crash in the
    worst place)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.held = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _Forward)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: HoldingProxy

    def do_POST(self) -> None:  # noqa: N802 (the handler's API)
        self._forward()

    def do_GET(self) -> None:  # noqa: N802
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(self.server.upstream.hostname, self.server.upstream.port, timeout=60)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
        answer = upstream.getresponse()
        payload = answer.read()
        if b"Action=RunInstances" in body and b"DryRun=true" not in body:
            self.server.held.set()
            self.server.release.wait(120)
            return
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


async def test_a_replica_killed_mid_apply_is_finished_by_another_without_a_duplicate(
    database: str, tmp_path: Path
) -> None:
    moto = required("RIFT_MOTO_URL", "tools/moto.sh start")
    proxy = HoldingProxy(moto)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "team-key",
        "AWS_SECRET_ACCESS_KEY": "team-secret",
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    args = ["serve", "--http", "127.0.0.1:0", "--allow-writes", "--state", database]
    doomed = spawn_http_server(
        args,
        env=server_env(**env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.server_address[1]}", RIFT_CHANGE_WAIT_S="0"),
    )
    survivor = spawn_http_server(args, env=server_env(**env, AWS_ENDPOINT_URL=moto))
    name = f"kill{int(time.time() * 1000) % 10_000_000}"
    try:
        async with Client(doomed.mcp_url, mode="legacy", read_timeout_seconds=120.0) as a:
            project = await call_ok(
                a, "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
            )
            plan = await call_ok(a, "plan_deployment", web_plan(name))
            apply_args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
            token = (await call_ok(a, "apply_plan", apply_args))["approval_token"]
            started = await call_ok(a, "apply_plan", {**apply_args, "approval_token": token})
            assert started["status"] == "running", started
            assert await asyncio.to_thread(proxy.held.wait, 90), "no RunInstances reached moto"
            doomed.proc.kill()
            doomed.proc.wait(timeout=10)

        async with Client(survivor.mcp_url, mode="legacy", read_timeout_seconds=180.0) as b:
            record = await call_ok(b, "get_change", {"change_id": started["change_id"]})
            assert record["state"] == "interrupted", record
            again = await call_ok(b, "apply_plan", apply_args)
            done = await call_ok(b, "apply_plan", {**apply_args, "approval_token": again["approval_token"]})
            assert done["status"] == "executed", done
            view = await call_ok(b, "get_project", {"project_id": project["id"], "refresh": True})
            shown = {r["name"]: r["state"] for g in view["providers"] for r in g["resources"]}
            assert shown == {r["name"]: "created" for r in plan["resources"]}, shown
    finally:
        proxy.release.set()
        doomed.stop()
        survivor.stop()
        proxy.shutdown()

    web = sorted(r["name"] for r in plan["resources"] if r["kind"] == "web_server")
    assert running_instance_names(project["id"]) == web


def test_replicas_serve_without_sessions_so_any_one_answers_any_request(replicas: list[HttpServer]) -> None:
    import httpx

    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    init = httpx.post(
        replicas[0].mcp_url,
        headers=headers,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "lb", "version": "1"}},
        },
        timeout=30,
    )
    assert init.status_code == 200, init.text
    assert "mcp-session-id" not in init.headers, dict(init.headers)
    version = init.json()["result"]["protocolVersion"]
    # The next request lands on another replica, as a load balancer without sticky sessions would send it.
    call = httpx.post(
        replicas[1].mcp_url,
        headers={**headers, "MCP-Protocol-Version": version},
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_projects", "arguments": {}}},
        timeout=30,
    )
    assert call.status_code == 200, call.text
    assert call.headers["content-type"].startswith("application/json"), dict(call.headers)
    result = call.json()["result"]
    assert result.get("isError") is not True, result
    assert "projects" in result["structuredContent"], result


async def test_the_hourly_cap_counts_every_replicas_creations(replicas: list[HttpServer]) -> None:
    name = f"cap{int(time.time() * 1000) % 10_000_000}"
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(Client(r.mcp_url, mode="legacy", read_timeout_seconds=120.0))
            for r in replicas
        ]
        project = await call_ok(
            clients[0],
            "create_project",
            {
                "name": name,
                "cloud_providers": ["aws"],
                "aws_config": {"region": REGION},
                "policy": {"max_creations_per_hour": 2},
            },
        )

        async def bucket_apply(client: Client, component: str):
            plan = await call_ok(
                client,
                "plan_deployment",
                {
                    "name": name,
                    "provider": "aws",
                    "regions": {"aws": REGION},
                    "components": [{"name": component, "kind": "object_storage", "storage_gb": 10}],
                },
            )
            args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
            return args, await client.call_tool("apply_plan", args)

        # One creation on each of two replicas...
        for client, component in ((clients[0], "one"), (clients[1], "two")):
            args, preview = await bucket_apply(client, component)
            token = preview.structured_content["approval_token"]
            done = await call_ok(client, "apply_plan", {**args, "approval_token": token})
            assert done["status"] == "executed", done
        # ...and the third replica's would exceed the cap of 2 per hour.
        _, third = await bucket_apply(clients[2], "three")
        text = text_of(third)
        assert "exceeds the cap of 2 per hour" in text, text
        assert not (third.structured_content or {}).get("approval_token"), third.structured_content


def test_per_user_tokens_name_who_did_what(database: str, tmp_path: Path) -> None:
    import hashlib

    import httpx

    tokens = {"alice": "alice-" + uuid.uuid4().hex, "bob": "bob-" + uuid.uuid4().hex}
    tokens_file = tmp_path / "tokens"
    tokens_file.write_text(
        "# user  sha256 of the token\n"
        + "".join(f"{user} {hashlib.sha256(token.encode()).hexdigest()}\n" for user, token in tokens.items())
    )
    server = spawn_http_server(
        ["serve", "--http", "127.0.0.1:0", "--state", database, "--tokens-file", str(tokens_file)],
        env=server_env(HOME=str(tmp_path), NO_PROXY="127.0.0.1,localhost"),
    )
    try:
        base = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

        def call(token: str, name: str, arguments: dict) -> httpx.Response:
            headers = {**base, "Authorization": f"Bearer {token}", "MCP-Protocol-Version": "2025-06-18"}
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
            return httpx.post(server.mcp_url, headers=headers, json=body, timeout=30)

        wrong = call("not-anyones-token", "list_projects", {})
        assert wrong.status_code == 401, wrong.text
        created = call(tokens["alice"], "create_project", {"name": "who", "cloud_providers": ["aws"]})
        assert created.status_code == 200 and not created.json()["result"]["isError"], created.text
        updated = call(tokens["bob"], "update_project", {"project_id": "who", "monthly_budget_usd": 100})
        assert updated.status_code == 200 and not updated.json()["result"]["isError"], updated.text
        view = call(tokens["alice"], "get_project", {"project_id": "who"}).json()["result"]["structuredContent"]
        who = [entry["client"] for entry in view["activity"]]
        assert who[:2] == ["bob", "alice"], view["activity"]
        assert all(token not in server.stderr_text() for token in tokens.values())
    finally:
        server.stop()
