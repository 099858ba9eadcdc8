"""Helpers shared by the end-to-end tests: spawning rift, reading results, walking schemas."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import mcp_types as types

ROOT = Path(__file__).resolve().parents[2]

# The one line `rift serve --http ADDR` prints to stderr once it accepts connections.
LISTENING_RE = re.compile(r"rift: listening on (?P<url>http://(?P<host>\[[^\]]+\]|[^\s/:]+):(?P<port>\d+)/mcp)\s*$")

INITIALIZE_REQUEST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "rift-e2e", "version": "0"},
    },
}

MCP_POST_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
}


def rift_bin() -> str:
    """The binary under test: $RIFT_BIN, else $CARGO_TARGET_DIR/debug/rift."""
    explicit = os.environ.get("RIFT_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/rift-target")
    return str(Path(target) / "debug" / "rift")


def cargo_version() -> str:
    with open(ROOT / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["package"]["version"]


def server_env(**extra: str) -> dict[str, str]:
    """The environment for a spawned rift: ours, minus settings that would change its behaviour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIFT_")}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------
# rift serve --http
# ---------------------------------------------------------------------------


@dataclass
class HttpServer:
    proc: subprocess.Popen[str]
    url: str
    host: str
    port: int
    stderr_lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        """The /mcp URL on loopback (the listening line may name 0.0.0.0)."""
        return f"{self.base}/mcp"

    def stderr_text(self) -> str:
        return "".join(self.stderr_lines)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then wait; returns the exit code, or None if it had to be killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                return None
        if self._reader is not None:
            self._reader.join(timeout=2)
        return self.proc.returncode


def spawn_http_server(
    args: list[str] | None = None, env: dict[str, str] | None = None, timeout: float = 15.0
) -> HttpServer:
    """Start `rift serve --http 127.0.0.1:0` (or `args`) and wait for its listening line."""
    argv = [rift_bin(), *(args or ["serve", "--http", "127.0.0.1:0"])]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env if env is not None else server_env(),
    )
    lines: list[str] = []
    found: queue.Queue[re.Match[str] | None] = queue.Queue()

    def read_stderr() -> None:
        assert proc.stderr is not None
        matched = False
        for line in proc.stderr:  # keeps draining so the pipe never fills
            lines.append(line)
            if not matched and (m := LISTENING_RE.search(line)):
                matched = True
                found.put(m)
        if not matched:
            found.put(None)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        m = found.get(timeout=timeout)
    except queue.Empty:
        proc.kill()
        proc.wait(timeout=5)
        raise AssertionError(
            f"{argv} printed no 'rift: listening on http://HOST:PORT/mcp' line within {timeout}s; "
            f"stderr so far:\n{''.join(lines)}"
        ) from None
    if m is None:
        code = proc.wait(timeout=5)
        raise AssertionError(
            f"{argv} exited with {code} before printing its listening line; stderr:\n{''.join(lines)}"
        )
    return HttpServer(proc=proc, url=m["url"], host=m["host"], port=int(m["port"]), stderr_lines=lines, _reader=reader)


def sse_or_json_messages(content_type: str, body: str) -> list[dict[str, Any]]:
    """JSON-RPC messages in a streamable-HTTP response body (SSE `data:` events or plain JSON)."""
    if "text/event-stream" in content_type:
        out = []
        for event in re.split(r"\r?\n\r?\n", body):
            data = "\n".join(
                line[5:].lstrip() for line in event.splitlines() if line.startswith("data:")
            )
            if data.strip():
                out.append(json.loads(data))
        return out
    return [json.loads(body)] if body.strip() else []


# ---------------------------------------------------------------------------
# Tool results
# ---------------------------------------------------------------------------


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def call_ok(client: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured content."""
    result = await client.call_tool(name, args)
    assert not result.is_error, f"{name}({json.dumps(args)}) failed: {text_of(result)}"
    assert isinstance(result.structured_content, dict), (
        f"{name} returned no structured content: {result.model_dump(by_alias=True, exclude_none=True)}"
    )
    return result.structured_content


async def call_err(client: Any, name: str, args: dict[str, Any]) -> str:
    """Call a tool that must fail in-band (isError: true); returns the error text."""
    result = await client.call_tool(name, args)
    assert result.is_error, (
        f"{name}({json.dumps(args)}) should have failed with isError, got "
        f"{json.dumps(result.structured_content)[:800]}"
    )
    text = text_of(result)
    assert text.strip(), f"{name}: an isError result without an explanation"
    return text


# ---------------------------------------------------------------------------
# JSON Schema walking
# ---------------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_SINGLES = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
_TYPING_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "not")


def walk_schema(node: Any, path: str = "#"):
    """Yield (path, key, subschema) for the node and every subschema below it, including $defs.

    `key` is the keyword the subschema sits under (None for the root)."""

    def rec(n: Any, p: str, key: str | None):
        yield p, key, n
        if not isinstance(n, dict):
            return
        for kw in _SCHEMA_MAPS:
            sub = n.get(kw)
            if isinstance(sub, dict):
                for name, child in sub.items():
                    yield from rec(child, f"{p}/{kw}/{name}", kw)
        for kw in _SCHEMA_LISTS:
            sub = n.get(kw)
            if isinstance(sub, list):
                for i, child in enumerate(sub):
                    yield from rec(child, f"{p}/{kw}/{i}", kw)
        for kw in _SCHEMA_SINGLES:
            if kw in n:
                sub = n[kw]
                if isinstance(sub, list):  # draft-04 tuple `items`
                    for i, child in enumerate(sub):
                        yield from rec(child, f"{p}/{kw}/{i}", kw)
                else:
                    yield from rec(sub, f"{p}/{kw}", kw)

    yield from rec(node, path, None)


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def strictness_problems(schema: Any, path: str = "#") -> list[str]:
    """Arrays without `items`; objects with neither `properties` nor an `additionalProperties` schema."""
    problems = []
    for p, _key, node in walk_schema(schema, path):
        if not isinstance(node, dict):
            continue
        types_ = _types(node)
        if "array" in types_ and "items" not in node:
            problems.append(f"{p}: array without `items`")
        if "object" in types_ and "properties" not in node and not isinstance(node.get("additionalProperties"), dict):
            problems.append(f"{p}: object with neither `properties` nor an `additionalProperties` schema")
    return problems


def untyped_problems(schema: Any, path: str = "#") -> list[str]:
    """Subschemas that accept anything: `true`, `{}`, or a dict naming no type, $ref, combinator, enum or const.

    `additionalProperties: true/false` is left to strictness_problems (false is how unknown fields are refused)."""
    problems = []
    for p, key, node in walk_schema(schema, path):
        if key == "additionalProperties" and isinstance(node, bool):
            continue
        if node is True:
            problems.append(f"{p}: bare `true` schema (accepts any value)")
        elif isinstance(node, dict) and not any(k in node for k in _TYPING_KEYWORDS):
            problems.append(f"{p}: untyped schema {json.dumps(node)[:120]}")
    return problems


def assert_acyclic(resources: list[dict[str, Any]]) -> None:
    deps = {r["name"]: list(r["depends_on"]) for r in resources}
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        if state.get(n) == 2:
            return
        assert state.get(n) != 1, f"dependency cycle: {' -> '.join(trail + [n])}"
        state[n] = 1
        for d in deps.get(n, []):
            visit(d, trail + [n])
        state[n] = 2

    for name in deps:
        visit(name, [])


def wait_exit(proc: subprocess.Popen[Any], timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (code := proc.poll()) is not None:
            return code
        time.sleep(0.02)
    return None


def seed_cloudwatch(
    client: Any, namespace: str, metric: str, dimension: tuple[str, str], values: list[float]
) -> None:
    """Points a minute apart ending now, as the service would publish them (moto publishes none by itself)."""
    now = int(time.time()) // 60 * 60
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
                "Timestamp": datetime.fromtimestamp(now - 60 * (len(values) - i) + 30, tz=timezone.utc),
                "Value": value,
            }
            for i, value in enumerate(values)
        ],
    )


async def approved(client: Any, tool: str, args: dict) -> tuple[dict, dict]:
    """Previews a change, then executes it with the preview's approval token: (preview, executed)."""
    preview = await call_ok(client, tool, args)
    assert preview["status"] == "preview" and preview["approval_token"], preview
    done = await call_ok(client, tool, {**args, "approval_token": preview["approval_token"]})
    assert done["status"] == "executed", done
    return preview, done
