"""Long changes do not hold a tool call open: an approved apply answers at once with its change id and runs on in
the server, followed through get_change — or, for a client that declared the MCP tasks extension (SEP-2663,
`io.modelcontextprotocol/tasks`), handed back as a task polled with tasks/get and stopped with tasks/cancel.

Against Prism serving DigitalOcean's official spec, whose actions never settle: rift waits RIFT_DIGITALOCEAN_WAIT_S
per action, so an apply takes seconds while RIFT_CHANGE_WAIT_S=0 answers the call before it ends. The session is
spoken as raw JSON-RPC over stdio, the wire a tasks-capable host speaks (the Python SDK has no tasks client).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from _support import rift_bin

TOKEN = "dop_v1_e2e0000000000000000000000000000000000000000000000000000000000"
TASKS = "io.modelcontextprotocol/tasks"


def prism() -> str:
    url = os.environ.get("RIFT_PRISM_URL", "").strip()
    if not url:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail("RIFT_PRISM_URL is not set (tools/prism.sh start)")
        pytest.skip("Prism is not running (tools/prism.sh start)")
    return url


class Session:
    """One `rift serve --allow-writes` over stdio, spoken line by line."""

    def __init__(self, tmp_path: Path, capabilities: dict[str, Any]) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "DIGITALOCEAN_API_URL": prism(),
            "DIGITALOCEAN_TOKEN": TOKEN,
            "RIFT_DIGITALOCEAN_WAIT_S": "2",
            "RIFT_CHANGE_WAIT_S": "0",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        self.proc = subprocess.Popen(
            [rift_bin(), "serve", "--allow-writes", "--state", str(tmp_path / "state.db")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.next_id = 0
        init = self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": capabilities,
                "clientInfo": {"name": "rift-e2e-tasks", "version": "0"},
            },
        )
        self.server_capabilities = init["result"]["capabilities"]
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            assert line, f"rift closed stdout; stderr:\n{self.proc.stderr.read().decode() if self.proc.stderr else ''}"
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                return reply

    def tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        reply = self.request("tools/call", {"name": name, "arguments": arguments})
        assert "result" in reply, reply
        return reply["result"]

    def ok(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.tool(name, arguments)
        assert not result.get("isError"), result
        return result["structuredContent"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def approved_apply(self, name: str) -> dict[str, Any]:
        """A one-droplet plan in a new project, previewed, then the approved call's raw result."""
        project = self.ok(
            "create_project",
            {"name": name, "cloud_providers": ["digitalocean"], "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"}},
        )
        plan = self.ok(
            "plan_deployment",
            {
                "name": name,
                "provider": "digitalocean",
                "components": [{"name": "web", "kind": "web_server", "count": 2}],
            },
        )
        args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        preview = self.ok("apply_plan", args)
        assert preview["status"] == "preview", preview
        return self.tool("apply_plan", {**args, "approval_token": preview["approval_token"]})


def until(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what}: not within {timeout} s")


def test_an_approved_change_answers_at_once_and_get_change_follows_it(tmp_path: Path) -> None:
    session = Session(tmp_path, capabilities={})
    try:
        started = time.monotonic()
        result = session.approved_apply("bg")
        assert time.monotonic() - started < 30
        answer = result["structuredContent"]
        assert answer["status"] == "running" and answer["change_id"], answer
        assert "resultType" not in result or result["resultType"] != "task", result
        record = until(
            "the change ends",
            lambda: (r := session.ok("get_change", {"change_id": answer["change_id"]}))["state"] != "running" and r or None,
        )
        assert record["state"] == "succeeded", record
        assert all(step.startswith("created ") for step in record["steps"]), record["steps"]
    finally:
        session.close()


def test_a_tasks_client_gets_a_task_it_polls_until_the_change_completes(tmp_path: Path) -> None:
    session = Session(tmp_path, capabilities={"extensions": {TASKS: {}}})
    try:
        assert TASKS in session.server_capabilities.get("extensions", {}), session.server_capabilities
        created = session.approved_apply("task")
        assert created.get("resultType") == "task", created
        assert created["status"] == "working" and created["taskId"], created
        assert created["pollIntervalMs"] > 0

        def finished() -> dict[str, Any] | None:
            reply = session.request("tasks/get", {"taskId": created["taskId"]})
            task = reply["result"]
            assert task["taskId"] == created["taskId"], task
            return task if task["status"] != "working" else None

        task = until("the task completes", finished)
        assert task["status"] == "completed", task
        answer = task["result"]["structuredContent"]
        assert answer["status"] == "executed" and answer["change_id"] == created["taskId"], answer
        assert answer["monthly_cost_delta"] > 0 and answer["monthly_cost_after"] >= answer["monthly_cost_delta"], answer
        assert all(line.startswith("created ") for line in answer["changes"]), answer["changes"]
        # The task is the change: get_change tells the same story.
        record = session.ok("get_change", {"change_id": created["taskId"]})
        assert record["state"] == "succeeded", record

        # An ended task cannot be cancelled; an unknown one is named as such.
        ended = session.request("tasks/cancel", {"taskId": created["taskId"]})
        assert "error" in ended and "already ended" in ended["error"]["message"], ended
        unknown = session.request("tasks/get", {"taskId": "chg-nothing"})
        assert unknown["error"]["code"] == -32602 and "no change" in unknown["error"]["message"], unknown
    finally:
        session.close()


def test_a_running_task_can_be_cancelled(tmp_path: Path) -> None:
    session = Session(tmp_path, capabilities={"extensions": {TASKS: {}}})
    try:
        created = session.approved_apply("stop")
        assert created.get("resultType") == "task", created
        reply = session.request("tasks/cancel", {"taskId": created["taskId"]})
        assert "error" not in reply, reply
        task = until(
            "the cancelled task ends",
            lambda: (t := session.request("tasks/get", {"taskId": created["taskId"]})["result"])["status"] != "working"
            and t
            or None,
        )
        assert task["status"] == "cancelled", task
        record = session.ok("get_change", {"change_id": created["taskId"]})
        assert record["state"] == "cancelled", record
        # What was under way when it stopped finished and is recorded; nothing after it started.
        assert len([s for s in record["steps"] if s.startswith("created ")]) < 3, record["steps"]
    finally:
        session.close()
