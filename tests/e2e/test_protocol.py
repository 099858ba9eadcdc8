"""The MCP surface: initialize, tools/list, schemas, argument strictness, both transports' behaviour."""

from __future__ import annotations

import json
import subprocess

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from _support import (
    INITIALIZE_REQUEST,
    MCP_POST_HEADERS,
    HttpServer,
    call_err,
    cargo_version,
    server_env,
    spawn_http_server,
    sse_or_json_messages,
    strictness_problems,
    untyped_problems,
    wait_exit,
)

pytestmark = pytest.mark.anyio

READ_ONLY_TOOLS = {"describe_mapping", "plan_deployment"}
HINTS = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")

VALID_PLAN = {
    "name": "shop",
    "provider": "digitalocean",
    "regions": {"digitalocean": "nyc3"},
    "components": [{"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4}],
}


# ---------------------------------------------------------------------------
# initialize and tools/list (stdio and HTTP)
# ---------------------------------------------------------------------------


async def test_initialize_reports_rift_and_its_version(client: Client) -> None:
    info = client.server_info
    assert info is not None
    assert info.name == "rift"
    assert info.version == cargo_version(), "server version must be the crate's version, not rmcp's"
    assert client.instructions and client.instructions.strip(), "initialize must carry instructions for the agent"
    assert client.server_capabilities.tools is not None, "the tools capability must be advertised"


async def test_auto_mode_client_connects(server_target) -> None:
    """The SDK's default mode probes `server/discover` first and must end up in a working session."""
    async with Client(server_target, read_timeout_seconds=30) as c:
        names = {t.name for t in (await c.list_tools()).tools}
    assert READ_ONLY_TOOLS <= names


async def test_read_only_tools_are_listed_with_truthful_hints(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    missing = READ_ONLY_TOOLS - tools.keys()
    assert not missing, f"tools/list lacks {sorted(missing)}; has {sorted(tools)}"
    for name in READ_ONLY_TOOLS:
        ann = tools[name].annotations
        assert ann is not None
        assert ann.read_only_hint is True, f"{name}: offline planning tool must be readOnlyHint=true"
        assert ann.destructive_hint is False, f"{name}: destructiveHint must be false"
        assert ann.open_world_hint is False, f"{name}: works offline, openWorldHint must be false"
    assert tools["describe_mapping"].annotations.idempotent_hint is True


async def test_every_tool_has_description_annotations_and_schemas(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert tools, "tools/list is empty"
    problems = []
    for t in tools:
        if not (t.description and t.description.strip()):
            problems.append(f"{t.name}: no description")
        if t.annotations is None:
            problems.append(f"{t.name}: no annotations")
        else:
            for hint in HINTS:
                value = getattr(t.annotations, hint)
                if not isinstance(value, bool):
                    problems.append(f"{t.name}: annotation {hint} is {value!r}, expected a boolean")
        if not isinstance(t.input_schema, dict) or t.input_schema.get("type") != "object":
            problems.append(f"{t.name}: input schema is not an object schema: {t.input_schema!r}")
        if not isinstance(t.output_schema, dict) or t.output_schema.get("type") != "object":
            problems.append(f"{t.name}: no object output schema (structured output): {t.output_schema!r}")
    assert not problems, "\n".join(problems)


async def test_schemas_have_items_and_typed_objects(client: Client) -> None:
    """Every argument array has `items`; every argument object has `properties` or an `additionalProperties`
    schema (what function-calling hosts reject otherwise). Outputs name each top-level field with its type."""
    problems = []
    for t in (await client.list_tools()).tools:
        problems += strictness_problems(t.input_schema, f"{t.name}:input#")
        fields = (t.output_schema or {}).get("properties")
        if not fields:
            problems.append(f"{t.name}: the output schema names no fields")
        for field, schema in (fields or {}).items():
            if "type" not in schema:
                problems.append(f"{t.name}:output#/{field}: no type")
    assert not problems, "\n".join(problems)


async def test_schemas_have_no_untyped_subschemas(client: Client) -> None:
    """No bare `{}` / `true` schemas (hosts reject or mis-handle them)."""
    problems = []
    for t in (await client.list_tools()).tools:
        problems += untyped_problems(t.input_schema, f"{t.name}:input#")
        if t.output_schema is not None:
            problems += untyped_problems(t.output_schema, f"{t.name}:output#")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("describe_mapping", {"bogus": 1}),
        ("plan_deployment", {**VALID_PLAN, "bogus": True}),
        (
            "plan_deployment",
            {**VALID_PLAN, "components": [{**VALID_PLAN["components"][0], "cpus": 2}]},
        ),
    ],
    ids=["describe_mapping-top-level", "plan_deployment-top-level", "plan_deployment-component"],
)
async def test_unknown_argument_fields_are_rejected(client: Client, tool: str, args: dict) -> None:
    text = await call_err(client, tool, args)
    unknown = "bogus" if "bogus" in args else "cpus"
    assert unknown in text, f"the error should name the unknown field {unknown!r}: {text}"


# ---------------------------------------------------------------------------
# stdio specifics
# ---------------------------------------------------------------------------


def spawn_initialized(rift: str) -> subprocess.Popen[bytes]:
    """`rift serve` over raw stdio pipes, with the initialize request already written."""
    proc = subprocess.Popen(
        [rift, "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(INITIALIZE_REQUEST).encode() + b"\n")
    proc.stdin.flush()
    return proc


def test_stdio_answers_every_line_it_cannot_read(rift: str) -> None:
    """A non-JSON line, invalid UTF-8 and arguments nested 5,000 deep each get a -32700 reply (id null, or the id
    when it can be read) and a warning in the log, and the session goes on: the next request is answered."""
    proc = spawn_initialized(rift)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        assert json.loads(proc.stdout.readline()).get("id") == 1
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        deep = "[" * 5000 + "]" * 5000
        bad_lines = [
            b"this is not json\n",
            b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":"\xff\xfe"}}\n',
            ('{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"plan_deployment","arguments":{"x":'
             + deep + "}}}\n").encode(),
        ]
        for line in bad_lines:
            proc.stdin.write(line)
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline())
            assert reply["error"]["code"] == -32700, reply
            assert reply["error"]["message"], reply
            assert reply["id"] in (None, 7, 8), reply
        proc.stdin.write(b'{"jsonrpc":"2.0","id":9,"method":"ping"}\n')
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline()) == {"jsonrpc": "2.0", "id": 9, "result": {}}
        proc.stdin.close()
        assert wait_exit(proc, 5.0) == 0
        stderr = proc.stderr.read().decode()
        assert stderr.count("WARN") >= len(bad_lines), stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_stdio_exits_cleanly_when_stdin_closes(rift: str) -> None:
    proc = spawn_initialized(rift)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        reply = json.loads(proc.stdout.readline())
        assert reply.get("id") == 1 and reply["result"]["serverInfo"]["name"] == "rift", reply
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.write(b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n')
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        assert reply.get("id") == 2 and reply["result"]["tools"], reply
        proc.stdin.close()
        code = wait_exit(proc, 5.0)
        rest = proc.stdout.read().decode()
        stderr = proc.stderr.read().decode() if code is not None else ""
        assert code == 0, f"after stdin EOF expected exit code 0 within 5 s, got {code}; stderr:\n{stderr}"
        for line in rest.splitlines():
            assert not line.strip() or json.loads(line), f"non-protocol output on stdout: {line!r}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


# ---------------------------------------------------------------------------
# streamable HTTP specifics
# ---------------------------------------------------------------------------


def post_initialize(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    h = dict(MCP_POST_HEADERS)
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers)
    return httpx.post(url, json=INITIALIZE_REQUEST, headers=h, timeout=10.0)


def assert_initialize_ok(resp: httpx.Response) -> None:
    assert resp.status_code == 200, f"{resp.status_code}: {resp.text[:500]}"
    messages = sse_or_json_messages(resp.headers.get("content-type", ""), resp.text)
    replies = [m for m in messages if m.get("id") == 1]
    assert replies and replies[0]["result"]["serverInfo"]["name"] == "rift", messages


def test_http_healthz(http_server: HttpServer) -> None:
    resp = httpx.get(f"{http_server.base}/healthz", timeout=10.0)
    assert resp.status_code == 200, resp.text


def test_http_listening_line_names_the_requested_address(http_server: HttpServer) -> None:
    assert http_server.host == "127.0.0.1" and http_server.port > 0, http_server.url


def test_http_initialize_from_localhost_is_accepted(http_server: HttpServer) -> None:
    assert_initialize_ok(post_initialize(http_server.mcp_url))


def test_http_refuses_a_body_over_4_mb_saying_the_limit(http_server: HttpServer) -> None:
    huge = {**INITIALIZE_REQUEST, "params": {**INITIALIZE_REQUEST["params"], "padding": "x" * (5 * 1024 * 1024)}}
    resp = httpx.post(http_server.mcp_url, json=huge, headers=MCP_POST_HEADERS, timeout=30.0)
    assert resp.status_code == 413, resp.status_code
    assert "4194304 bytes" in resp.text, resp.text[:300]
    # The server goes on serving.
    assert_initialize_ok(post_initialize(http_server.mcp_url))


def test_http_rejects_foreign_host(http_server: HttpServer) -> None:
    resp = post_initialize(http_server.mcp_url, Host="evil.example.com")
    assert resp.status_code == 403, f"DNS-rebinding protection: Host evil.example.com got {resp.status_code}"


def test_http_rejects_foreign_origin(http_server: HttpServer) -> None:
    resp = post_initialize(http_server.mcp_url, Origin="http://evil.example.com")
    assert resp.status_code == 403, f"DNS-rebinding protection: Origin evil.example.com got {resp.status_code}"


def test_http_refuses_non_loopback_bind_without_token(rift: str) -> None:
    try:
        done = subprocess.run(
            [rift, "serve", "--http", "0.0.0.0:0"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=server_env(),
            timeout=10,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"rift served on 0.0.0.0 without RIFT_HTTP_TOKEN (still running after 10 s): {e.stderr}")
    assert done.returncode != 0, f"expected a refusal, got exit 0; stderr:\n{done.stderr}"
    assert "RIFT_HTTP_TOKEN" in done.stderr, f"the refusal must say why (RIFT_HTTP_TOKEN): {done.stderr}"


TOKEN = "test-token-0123456789abcdef0123456789"  # off loopback rift needs 32 characters or more


@pytest.fixture
def token_server(rift: str):
    server = spawn_http_server(["serve", "--http", "0.0.0.0:0"], env=server_env(RIFT_HTTP_TOKEN=TOKEN))
    yield server
    code = server.stop(timeout=5.0)
    assert code == 0, f"after SIGTERM expected exit code 0, got {code}; stderr:\n{server.stderr_text()}"


def test_http_bearer_token_is_required_when_set(token_server: HttpServer) -> None:
    url = token_server.mcp_url
    assert post_initialize(url).status_code == 401, "no Authorization header must get 401"
    assert post_initialize(url, token="wrong-token").status_code == 401, "a wrong token must get 401"
    assert post_initialize(url, Authorization=TOKEN).status_code == 401, "a token without 'Bearer' must get 401"
    assert_initialize_ok(post_initialize(url, token=TOKEN))


async def test_http_bearer_token_through_the_sdk(token_server: HttpServer) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30.0) as http:
        transport = streamable_http_client(token_server.mcp_url, http_client=http)
        async with Client(transport, mode="legacy", read_timeout_seconds=30) as c:
            assert c.server_info is not None and c.server_info.name == "rift"
            names = {t.name for t in (await c.list_tools()).tools}
    assert READ_ONLY_TOOLS <= names


def test_http_host_check_includes_the_port(http_server: HttpServer) -> None:
    resp = post_initialize(http_server.mcp_url, Host=f"localhost:{http_server.port + 1}")
    assert resp.status_code == 403, f"Host on another port got {resp.status_code}"
    assert_initialize_ok(post_initialize(http_server.mcp_url, Host=f"localhost:{http_server.port}"))


def test_http_refuses_a_short_token_off_loopback(rift: str) -> None:
    done = subprocess.run(
        [rift, "serve", "--http", "0.0.0.0:0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=server_env(RIFT_HTTP_TOKEN="short"),
        timeout=10,
    )
    assert done.returncode != 0, f"served with a 5-character token; stderr:\n{done.stderr}"
    assert "at least 32" in done.stderr and "short" not in done.stderr.replace("RIFT_HTTP_TOKEN", ""), done.stderr


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ("{not json", -32700, "not JSON"),
        (json.dumps([INITIALIZE_REQUEST]), -32600, "batch"),
        (json.dumps({**INITIALIZE_REQUEST, "jsonrpc": "1.0"}), -32600, '"2.0"'),
    ],
)
def test_http_bodies_that_are_not_one_json_rpc_message_get_400(
    http_server: HttpServer, body: str, code: int, says: str
) -> None:
    resp = httpx.post(http_server.mcp_url, content=body, headers=MCP_POST_HEADERS, timeout=10.0)
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text[:300]}"
    error = resp.json()
    assert error["jsonrpc"] == "2.0" and error["id"] is None, error
    assert error["error"]["code"] == code and says in error["error"]["message"], error


def test_http_sessions_are_capped_evicting_the_idle_longest(rift: str) -> None:
    server = spawn_http_server(["serve", "--http", "127.0.0.1:0", "--max-sessions", "2"])
    try:
        def session() -> str:
            resp = post_initialize(server.mcp_url)
            assert_initialize_ok(resp)
            return resp.headers["mcp-session-id"]

        def ping(sid: str) -> httpx.Response:
            return httpx.post(
                server.mcp_url,
                json={"jsonrpc": "2.0", "id": 7, "method": "ping"},
                headers={**MCP_POST_HEADERS, "Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18"},
                timeout=10.0,
            )

        first, second = session(), session()
        assert ping(first).status_code == 200
        third = session()  # over the cap: the session idle longest (second, pinged before) is closed
        assert ping(second).status_code == 404, "the idle-longest session should have been closed"
        assert ping(first).status_code == 200 and ping(third).status_code == 200
        # Both live sessions busy (an open SSE stream each): a new one is refused, clearly.
        get_headers = {"Accept": "text/event-stream", "Mcp-Protocol-Version": "2025-06-18"}
        with httpx.Client(timeout=10.0) as a, httpx.Client(timeout=10.0) as b:
            with a.stream("GET", server.mcp_url, headers={**get_headers, "Mcp-Session-Id": first}) as s1, b.stream(
                "GET", server.mcp_url, headers={**get_headers, "Mcp-Session-Id": third}
            ) as s2:
                assert s1.status_code == 200 and s2.status_code == 200
                resp = post_initialize(server.mcp_url)
                assert resp.status_code == 503, f"{resp.status_code}: {resp.text[:300]}"
                message = resp.json()["error"]["message"]
                assert "2 HTTP sessions" in message and "busy" in message and "--max-sessions" in message, message
    finally:
        server.stop(timeout=5.0)
