"""Load check of the web app on loopback: requests/s and p95 latency under concurrent clients.

Starts ``calcispine serve`` in a child process on a free 127.0.0.1 port over a fresh embedded SQLite
registry (so the load generator does not share the server's interpreter), sends a bounded number of
requests (clients x requests per endpoint), prints the figures and stops the server.

    .venv/bin/python bench/web_load.py [--clients 20] [--requests 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PATIENT = {"age_years": 52, "sex": "female", "levels": ["C2-C3"], "history": ["hemodialysis"],
           "observed": ["HP:0030833"], "labs": [{"analyte": "phosphate", "value": 7.1, "unit": "mg/dL"}]}
ENDPOINTS = (
    ("registry list page", "GET", "/cases?region=cervical&sort=-age", None),
    ("case page", "GET", "/cases/guo-2017-c4-c6", None),
    ("assessment (API)", "POST", "/api/assess", PATIENT),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(base: str, method: str, path: str, body: object, n: int, out: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            r = await client.request(method, path, json=body)
            out.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"{method} {path}: HTTP {r.status_code}: {r.text[:200]}")


async def _run(base: str, clients: int, per_client: int) -> None:
    print(f"{clients} concurrent clients x {per_client} requests each, loopback ({base})")
    print(f"{'endpoint':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for name, method, path, body in ENDPOINTS:
        async with httpx.AsyncClient(base_url=base, timeout=60) as warm:  # first call builds caches
            await warm.request(method, path, json=body)
        latencies: list[float] = []
        t0 = time.perf_counter()
        await asyncio.gather(*(_client(base, method, path, body, per_client, latencies) for _ in range(clients)))
        wall = time.perf_counter() - t0
        q = statistics.quantiles(latencies, n=100)
        print(f"{name:<22}{len(latencies):>9}{len(latencies) / wall:>9.1f}{q[49] * 1000:>9.1f}{q[94] * 1000:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10, help="requests per client per endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calcispine-load-") as tmp:
        port = _free_port()
        env = {**os.environ, "CALCISPINE_DATA_DIR": tmp, "CALCISPINE_CACHE_DIR": tmp}
        cmd = [sys.executable, "-c", "from calcispine.cli import main; main()", "--db", str(Path(tmp) / "r.sqlite"),
               "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/api/cases?limit=1", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    err = server.stderr.read().decode() if server.stderr and server.poll() is not None else ""
                    raise SystemExit(f"the server did not start {err}")
                time.sleep(0.2)
            asyncio.run(_run(base, args.clients, args.requests))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

if __name__ == "__main__":
    main()
