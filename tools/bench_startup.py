#!/usr/bin/env python3
"""Startup benchmark for rift over stdio, with raw JSON-RPC lines (no SDK in the timed path).

    .venv-test/bin/python tools/bench_startup.py [BINARY] [--runs 20] [--json]

BINARY defaults to $CARGO_TARGET_DIR/release/rift (build it with `cargo build --release`).
Each run spawns `BINARY serve` with a minimal environment (no cloud credentials), writes the
`initialize` request to its stdin right after the spawn, and times spawn -> the reply line.
Then it reads VmRSS from /proc/PID/status, sends `notifications/initialized` and `tools/list`,
measures the byte size of the tools/list reply line, closes stdin and waits for the exit.
One untimed warm-up run comes first (page cache). Always exits 0 once it has measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_INIT_MS = 10.0
TARGET_RSS_MB = 15.0
TARGET_TOOLS_LIST_BYTES = 24 * 1024

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "rift-bench", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def line(msg: dict) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode() + b"\n"


class LineReader:
    """Newline-delimited reads from a pipe, with a timeout."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""

    def readline(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply line within {timeout}s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    raise EOFError("the server closed stdout")
                self.buf += chunk
        out, self.buf = self.buf.split(b"\n", 1)
        return out


def vm_rss_kib(pid: int) -> int:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    raise RuntimeError("no VmRSS in /proc status")


def minimal_env() -> dict[str, str]:
    return {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}


def one_run(binary: str, timeout: float) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=0,
        env=minimal_env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        os.write(proc.stdin.fileno(), line(INITIALIZE))
        reader = LineReader(proc.stdout.fileno())
        reply = reader.readline(timeout)
        t1 = time.perf_counter()
        rss_kib = vm_rss_kib(proc.pid)
        init = json.loads(reply)
        if init.get("id") != 1 or "result" not in init:
            raise RuntimeError(f"unexpected initialize reply: {reply[:300]!r}")
        os.write(proc.stdin.fileno(), line(INITIALIZED) + line(TOOLS_LIST))
        tools_reply = reader.readline(timeout)
        tools = json.loads(tools_reply)
        if tools.get("id") != 2 or "result" not in tools:
            raise RuntimeError(f"unexpected tools/list reply: {tools_reply[:300]!r}")
        proc.stdin.close()
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return {
            "initialize_ms": (t1 - t0) * 1000.0,
            "rss_kib": rss_kib,
            "tools_list_bytes": len(tools_reply),
            "tool_count": len(tools["result"].get("tools", [])),
            "exit_code": code,
        }
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def main() -> int:
    target_dir = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/rift-target")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", nargs="?", default=str(Path(target_dir) / "release" / "rift"))
    ap.add_argument("--runs", "-n", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each reply")
    ap.add_argument("--json", action="store_true", help="print machine-readable figures")
    args = ap.parse_args()

    if not os.access(args.binary, os.X_OK):
        print(f"bench_startup: no executable at {args.binary} (cargo build --release?)", file=sys.stderr)
        return 2
    try:
        one_run(args.binary, args.timeout)  # warm-up, not counted
        runs = [one_run(args.binary, args.timeout) for _ in range(max(1, args.runs))]
    except (TimeoutError, EOFError, RuntimeError, json.JSONDecodeError) as e:
        print(f"bench_startup: {args.binary} serve: {e}", file=sys.stderr)
        return 2

    init = [r["initialize_ms"] for r in runs]
    rss_mib = [r["rss_kib"] / 1024.0 for r in runs]
    figures = {
        "binary": args.binary,
        "runs": len(runs),
        "initialize_ms": {
            "min": round(min(init), 3),
            "median": round(statistics.median(init), 3),
            "p90": round(p90(init), 3),
            "target": TARGET_INIT_MS,
        },
        "rss_mib": {
            "median": round(statistics.median(rss_mib), 2),
            "max": round(max(rss_mib), 2),
            "target": TARGET_RSS_MB,
        },
        "tools_list": {
            "bytes": runs[-1]["tools_list_bytes"],
            "tools": runs[-1]["tool_count"],
            "target_bytes": TARGET_TOOLS_LIST_BYTES,
        },
        "clean_exits": sum(1 for r in runs if r["exit_code"] == 0),
    }
    figures["within_targets"] = {
        "initialize": figures["initialize_ms"]["median"] <= TARGET_INIT_MS,
        "rss": figures["rss_mib"]["max"] <= TARGET_RSS_MB,
        "tools_list": figures["tools_list"]["bytes"] <= TARGET_TOOLS_LIST_BYTES,
    }

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0

    ok = figures["within_targets"]
    mark = {True: "ok", False: "OVER"}
    i, r, t = figures["initialize_ms"], figures["rss_mib"], figures["tools_list"]
    rows = [
        ("initialize reply, min", f"{i['min']:.2f} ms", "", ""),
        ("initialize reply, median", f"{i['median']:.2f} ms", f"<= {TARGET_INIT_MS:g} ms", mark[ok["initialize"]]),
        ("initialize reply, p90", f"{i['p90']:.2f} ms", "", ""),
        ("RSS after initialize, median", f"{r['median']:.1f} MB", "", ""),
        ("RSS after initialize, max", f"{r['max']:.1f} MB", f"<= {TARGET_RSS_MB:g} MB", mark[ok["rss"]]),
        (
            f"tools/list reply ({t['tools']} tools)",
            f"{t['bytes']:,} B ({t['bytes'] / 1024:.1f} KB)",
            f"<= {TARGET_TOOLS_LIST_BYTES // 1024} KB",
            mark[ok["tools_list"]],
        ),
    ]
    print(f"rift startup benchmark: {args.binary} serve, {len(runs)} runs (+1 warm-up), stdio, raw JSON-RPC")
    print(f"{'figure':<32} {'value':>22}  {'target':<10} {''}")
    for name, value, target, verdict in rows:
        print(f"{name:<32} {value:>22}  {target:<10} {verdict}")
    if figures["clean_exits"] != len(runs):
        print(f"note: only {figures['clean_exits']}/{len(runs)} runs exited with code 0 after stdin EOF")
    return 0


if __name__ == "__main__":
    sys.exit(main())
