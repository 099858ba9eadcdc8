"""Projects, approval and secrets end to end, through the official MCP Python SDK.

A writes-off server (the default) does not list the mutating tools. A writes-on server (`--allow-writes --state`)
takes a two-cloud project, previews an apply (token returned, nothing executed), refuses the token for a changed
request, another project, a forged token and a second use, and executes with it. Raw secrets passed as arguments
are refused and never appear in a tool answer, rift's stderr log, or the state file. (Token expiry is a unit test:
src/approval.rs.)
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from _support import call_err, call_ok, text_of

pytestmark = pytest.mark.anyio

MUTATING = {
    "apply_plan",
    "create_instance",
    "create_database",
    "create_load_balancer",
    "create_volume",
    "create_bucket",
    "create_network",
    "create_firewall",
    "create_cache",
    "resize_resource",
    "delete_resource",
}
PROJECT_TOOLS = {"create_project", "get_project", "list_projects", "update_project", "list_resources", "get_resource"}

DO_TOKEN = "dop_v1_" + "5e1f" * 16
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"

PLAN = {
    "name": "shop",
    "regions": {"aws": "us-east-1", "digitalocean": "nyc3"},
    "components": [
        {"name": "web", "kind": "web_server", "provider": "digitalocean", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "provider": "aws", "engine": "postgres"},
    ],
}


def project_args(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "cloud_providers": ["digitalocean", "aws"],
        "aws_config": {"region": "us-east-1", "credentials": "default"},
        "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
        "monthly_budget_usd": 500,
    }


class Writable:
    """A writes-on rift over stdio with its own state file and a captured stderr log."""

    def __init__(self, tmp_path: Path, rift: str) -> None:
        self.state = tmp_path / "state.db"
        self.log = tmp_path / "rift.log"
        # A shell wrapper keeps rift's stderr in a file the test can grep; the SDK would otherwise pass it on.
        command = (
            f"exec {shlex.quote(rift)} serve --allow-writes --state {shlex.quote(str(self.state))} "
            f"2>>{shlex.quote(str(self.log))}"
        )
        # No cloud credentials at all: HOME is empty, the AWS metadata service is off.
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "RIFT_LOG": "info",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        self.params = StdioServerParameters(command="/bin/sh", args=["-c", command], env=env)

    def files(self) -> bytes:
        data = b""
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self.state) + suffix)
            if path.exists():
                data += path.read_bytes()
        return data


@pytest.fixture
def writable(tmp_path: Path, rift: str) -> Writable:
    return Writable(tmp_path, rift)


@pytest.fixture
async def wclient(writable: Writable) -> AsyncIterator[Client]:
    async with Client(writable.params, mode="legacy", read_timeout_seconds=60.0) as c:
        yield c


async def tool_names(client: Client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


async def test_writes_off_lists_no_mutating_tool(client: Client) -> None:
    names = await tool_names(client)
    assert PROJECT_TOOLS <= names, PROJECT_TOOLS - names
    assert not (MUTATING & names), f"listed with writes off: {sorted(MUTATING & names)}"
    message = await call_err(client, "apply_plan", {"project_id": "shop", "plan_id": "plan-000000000000"})
    assert "--allow-writes" in message


async def test_preview_approve_and_token_misuse(wclient: Client) -> None:
    names = await tool_names(wclient)
    assert MUTATING <= names, MUTATING - names

    project = await call_ok(wclient, "create_project", project_args("shop"))
    assert project["cloud_providers"] == ["digitalocean", "aws"]
    assert project["do_config"]["token"] == "env:DIGITALOCEAN_TOKEN"
    await call_ok(wclient, "create_project", project_args("blog"))
    plan_id = (await call_ok(wclient, "plan_deployment", PLAN))["plan_id"]

    preview = await call_ok(wclient, "apply_plan", {"project_id": "shop", "plan_id": plan_id})
    assert preview["status"] == "preview"
    token = preview["approval_token"]
    assert token and "valid once, until" in preview["message"]
    assert "$0.00/month now" in preview["policy"]
    assert preview["monthly_cost_delta"] > 0
    assert preview["monthly_cost_after"] == preview["monthly_cost_delta"]
    assert preview["policy"].startswith("allowed")
    assert any("(aws database" in line for line in preview["changes"]), preview["changes"]
    assert any("(digitalocean web_server" in line for line in preview["changes"]), preview["changes"]

    # Nothing was executed.
    view = await call_ok(wclient, "get_project", {"project_id": "shop"})
    assert view["monthly_cost"] == 0
    assert all(group["resources"] == [] for group in view["providers"])
    assert {g["provider"] for g in view["providers"]} == {"digitalocean", "aws"}

    other_plan = (
        await call_ok(
            wclient,
            "plan_deployment",
            {"name": "shop", "provider": "aws", "components": [{"name": "files", "kind": "object_storage"}]},
        )
    )["plan_id"]
    changed = await call_err(
        wclient, "apply_plan", {"project_id": "shop", "plan_id": other_plan, "approval_token": token}
    )
    assert "arguments differ" in changed
    elsewhere = await call_err(
        wclient, "apply_plan", {"project_id": "blog", "plan_id": plan_id, "approval_token": token}
    )
    assert 'issued for project "shop"' in elsewhere
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert "unknown token" in await call_err(
        wclient, "apply_plan", {"project_id": "shop", "plan_id": plan_id, "approval_token": forged}
    )

    # Approved: it executes (no credentials here, so the resources fail, truthfully recorded), reporting progress.
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    result = await wclient.call_tool(
        "apply_plan",
        {"project_id": "shop", "plan_id": plan_id, "approval_token": token},
        progress_callback=on_progress,
    )
    # Nothing could be created: an error result whose first line says so, then every resource's fate.
    assert result.is_error, result
    failed = text_of(result)
    assert failed.startswith("failed: nothing was created"), failed
    assert progress, "no progress notifications"
    assert all(total == len(preview["changes"]) for _, total, _ in progress), progress
    assert [p for p, _, _ in progress] == sorted(p for p, _, _ in progress), "progress went backwards"
    assert any(line.startswith("- failed ") and "DIGITALOCEAN_TOKEN" in line for line in failed.splitlines()), failed

    reused = await call_err(
        wclient, "apply_plan", {"project_id": "shop", "plan_id": plan_id, "approval_token": token}
    )
    assert "already used" in reused

    view = await call_ok(wclient, "get_project", {"project_id": "shop"})
    states = {r["name"]: r["state"] for g in view["providers"] for r in g["resources"]}
    assert states and all(s in ("failed", "created") for s in states.values()), states
    outcomes = {a["outcome"] for a in view["activity"]}
    assert {"approved", "refused"} <= outcomes, outcomes


async def test_policy_refusal_names_rule_and_numbers(wclient: Client) -> None:
    await call_ok(
        wclient,
        "create_project",
        {"name": "tight", "cloud_providers": ["aws"], "monthly_budget_usd": 20, "policy": {"sizes": ["t3.micro"]}},
    )
    message = await call_err(
        wclient, "create_instance", {"project_id": "tight", "provider": "aws", "name": "web", "size": "t3.xlarge"}
    )
    assert "policy sizes" in message and "t3.xlarge" in message and "t3.micro" in message
    assert "policy monthly_budget" in message and "$20.00/month" in message


async def test_no_secret_reaches_an_answer_the_log_or_the_state_file(writable: Writable) -> None:
    seen: list[str] = []
    async with Client(writable.params, mode="legacy", read_timeout_seconds=60.0) as c:
        attempts = [
            ("create_project", {**project_args("leak"), "do_config": {"region": "nyc3", "token": DO_TOKEN}}),
            (
                "create_project",
                {**project_args("leak"), "aws_config": {"region": "us-east-1", "credentials": AWS_SECRET}},
            ),
            ("update_project", {"project_id": "leak", "aws_config": {"region": "us-east-1", "credentials": AWS_KEY_ID}}),
            ("plan_deployment", {"name": "x", "provider": "aws", "components": [{"name": DO_TOKEN, "kind": "network"}]}),
            ("apply_plan", {"project_id": "x", "plan_id": "p", "approval_token": DO_TOKEN}),
        ]
        for tool, args in attempts:
            message = await call_err(c, tool, args)
            assert "env:" in message or "profile" in message, message
            seen.append(message)
        await call_ok(c, "create_project", project_args("fine"))
        seen.append(str(await call_ok(c, "get_project", {"project_id": "fine"})))
        seen.append(str(await call_ok(c, "list_projects", {})))
    log = writable.log.read_text()
    assert "raw secret" in log, "refusals should be logged (without the value)"
    db = writable.files()
    assert db, "the state file was not written"
    for secret in (DO_TOKEN, AWS_SECRET, AWS_KEY_ID):
        assert not any(secret in text for text in seen), "a tool answer echoed a secret"
        assert secret not in log, "rift's log contains a secret"
        assert secret.encode() not in db, "the state file contains a secret"


async def test_a_client_that_can_elicit_is_asked_directly(writable: Writable) -> None:
    """Accept executes at once (no token needed); decline changes nothing and hands out no token."""
    import mcp_types as types

    answers: list[str] = []
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        action = answers.pop(0)
        return types.ElicitResult(action=action, content={"approve": True} if action == "accept" else None)

    async with Client(writable.params, mode="legacy", read_timeout_seconds=60.0, elicitation_callback=answer) as c:
        await call_ok(c, "create_project", project_args("shop"))
        plan_id = (await call_ok(c, "plan_deployment", PLAN))["plan_id"]

        answers.append("decline")
        declined = await call_ok(c, "apply_plan", {"project_id": "shop", "plan_id": plan_id})
        assert declined["approval_token"] is None
        assert "declined" in declined["message"]
        assert "shop-web" in asked[-1] and "Policy: allowed" in asked[-1]
        view = await call_ok(c, "get_project", {"project_id": "shop"})
        assert all(group["resources"] == [] for group in view["providers"])

        answers.append("accept")
        failed = await call_err(c, "apply_plan", {"project_id": "shop", "plan_id": plan_id})
        assert failed.startswith("failed: nothing was created"), failed
        assert any(line.startswith("- failed ") for line in failed.splitlines()), failed
        view = await call_ok(c, "get_project", {"project_id": "shop"})
        details = [a["detail"] for a in view["activity"] if a["outcome"] == "approved"]
        assert details and "asked directly" in details[0], view["activity"]
