"""Fixtures: the rift binary, a streamable-HTTP server process, and an MCP client on either transport.

Every test that takes `client` runs twice: over stdio (`rift serve`) and over streamable HTTP
(`rift serve --http 127.0.0.1:0`), through the official MCP Python SDK (PyPI `mcp`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from mcp import Client, StdioServerParameters

from _support import HttpServer, rift_bin, spawn_http_server

# Per-request timeout inside the SDK session: a server that stops answering fails the test
# instead of hanging the suite.
READ_TIMEOUT_S = 30.0


@pytest.fixture(scope="session")
def rift() -> str:
    path = rift_bin()
    if not os.access(path, os.X_OK):
        pytest.fail(f"rift binary not found at {path}: build it (cargo build) or set RIFT_BIN", pytrace=False)
    return path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def http_server(rift: str) -> Iterator[HttpServer]:
    """`rift serve --http 127.0.0.1:0`; at teardown SIGTERM must stop it with exit code 0 within 5 s."""
    server = spawn_http_server()
    yield server
    code = server.stop(timeout=5.0)
    assert code == 0, (
        f"rift serve --http: after SIGTERM expected exit code 0 within 5 s, got "
        f"{'no exit (killed)' if code is None else code}; stderr:\n{server.stderr_text()}"
    )


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server_target(transport: str, rift: str, request: pytest.FixtureRequest) -> StdioServerParameters | str:
    """What `mcp.Client` connects to: launch parameters for stdio, or the /mcp URL of a running server."""
    if transport == "stdio":
        # The SDK passes only a minimal environment (HOME, PATH, ...) plus `env`: rift must run without
        # any cloud credentials.
        return StdioServerParameters(command=rift, args=["serve"])
    server: HttpServer = request.getfixturevalue("http_server")
    return server.mcp_url


@pytest.fixture
async def client(server_target: StdioServerParameters | str) -> AsyncIterator[Client]:
    """An initialized MCP client session (initialize handshake, mode='legacy')."""
    async with Client(server_target, mode="legacy", read_timeout_seconds=READ_TIMEOUT_S) as c:
        yield c
