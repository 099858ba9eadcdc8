"""MCP Inspector's CLI (npm @modelcontextprotocol/inspector) against rift, over stdio and streamable HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from _support import HttpServer

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
# The first run downloads the package from the npm registry.
TIMEOUT_S = 300


def inspector(*args: str) -> Any:
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx (Node.js) is not installed: MCP Inspector's CLI cannot run")
    env = {**os.environ, "npm_config_yes": "true", "npm_config_update_notifier": "false", "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            [npx, "-y", INSPECTOR, "--cli", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"MCP Inspector CLI did not finish within {TIMEOUT_S}s: {e.stderr}")
    assert done.returncode == 0, f"inspector {args} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    out = done.stdout.strip()
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        # tolerate a banner before the JSON document
        return json.loads(out[out.index("{") :])


def tool_names(listing: Any) -> set[str]:
    assert "tools" in listing, listing
    return {t["name"] for t in listing["tools"]}


def test_inspector_stdio_tools_list(rift: str) -> None:
    names = tool_names(inspector(rift, "serve", "--method", "tools/list"))
    assert {"describe_mapping", "plan_deployment"} <= names, names


def test_inspector_stdio_tools_call(rift: str) -> None:
    result = inspector(
        rift, "serve", "--method", "tools/call", "--tool-name", "describe_mapping", "--tool-arg", "provider=aws"
    )
    assert not result.get("isError"), result
    providers = [p["provider"] for p in result["structuredContent"]["providers"]]
    assert providers == ["aws"], providers


def test_inspector_http_tools_list(http_server: HttpServer) -> None:
    names = tool_names(inspector(http_server.mcp_url, "--transport", "http", "--method", "tools/list"))
    assert {"describe_mapping", "plan_deployment"} <= names, names
