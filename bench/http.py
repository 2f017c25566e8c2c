"""HTTP side by side: ``kg serve`` and ``oxigraph serve-read-only`` on copies of one store.

The load generator is plain Python: ``procs`` processes × threads, one keep-alive
``http.client`` connection per client, bounded by time and by request count; it reports
requests/s and latency percentiles.  ``wrk`` (Debian package ``wrk``) is used instead
when asked for and installed.

Examples
--------
>>> percentile([1.0, 2.0, 3.0, 4.0], 50)
2.5
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Server", "start_kg", "start_oxigraph", "load", "wrk", "percentile", "free_port"]

ACCEPT = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` (0–100) of ``values`` (NaN when empty)."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class Server:
    """A server process on loopback; ``path(query)`` builds the GET path for a SPARQL query."""

    name: str
    port: int
    proc: subprocess.Popen
    sparql_path: str
    command: str

    def path(self, query: str) -> str:
        from urllib.parse import quote

        return f"{self.sparql_path}?query={quote(query)}"

    def rss_mib(self) -> dict[str, float]:
        """Resident memory of the server and each worker, MiB."""
        import psutil

        root = psutil.Process(self.proc.pid)
        procs = [root, *root.children(recursive=True)]
        return {f"{p.pid}": round(p.memory_info().rss / 2**20, 1) for p in procs}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _wait(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def start_kg(store: Path, *, workers: int = 2, log: Path | None = None, env: dict[str, str] | None = None) -> Server:
    """``kg serve --store STORE --port P --workers N`` (the production server; ``env``: extra ``KG_*``)."""
    import os

    port = free_port()
    kg = str(Path(sys.executable).with_name("kg"))
    cmd = [kg, "serve", "--store", str(store), "--port", str(port), "--workers", str(workers)]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    _wait(port, "/sparql?query=ASK%7B%7D", proc)
    shown = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    return Server("kg serve", port, proc, "/sparql", " ".join([*([shown] if shown else []), "kg", *cmd[1:]]))


def start_oxigraph(store: Path, *, log: Path | None = None) -> Server:
    """``oxigraph serve-read-only --location STORE --union-default-graph``."""
    port = free_port()
    exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    cmd = [exe, "serve-read-only", "--location", str(store), "--union-default-graph", "--bind", f"127.0.0.1:{port}"]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    _wait(port, "/query?query=ASK%7B%7D", proc)
    return Server("oxigraph serve-read-only", port, proc, "/query", " ".join(["oxigraph", *cmd[1:]]))


def _client(port: int, path: str, deadline: float, budget: int, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": ACCEPT}
    done = 0
    while done < budget and time.perf_counter() < deadline:
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if resp.status == 200:
            out.append(time.perf_counter() - t)
        else:
            errors.append(f"HTTP {resp.status}")
        done += 1
    conn.close()


def _proc_main(port: int, path: str, threads: int, seconds: float, budget: int, queue: Any) -> None:
    deadline = time.perf_counter() + seconds
    lat: list[float] = []
    errors: list[str] = []
    pool = [threading.Thread(target=_client, args=(port, path, deadline, budget, lat, errors)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((lat, errors))


def load(server: Server, query: str, *, clients: int = 8, procs: int = 2, seconds: float = 5.0,
         max_requests: int = 200_000) -> dict[str, Any]:
    """Hammer ``server`` with GET ``query`` from ``clients`` keep-alive connections for ``seconds``."""
    path = server.path(query)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    per = max(1, clients // procs)
    budget = max(1, max_requests // clients)
    workers = [ctx.Process(target=_proc_main, args=(server.port, path, per, seconds, budget, queue))
               for _ in range(procs)]
    t = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    elapsed = time.perf_counter() - t
    for w in workers:
        w.join()
    lat = sorted(x for r in results for x in r[0])
    errors = [e for r in results for e in r[1]]
    return {"requests": len(lat), "errors": len(errors), "error_kinds": sorted(set(errors))[:3],
            "rps": len(lat) / elapsed, "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000,
            "clients": procs * per, "seconds": elapsed, "loadgen": "python"}


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(server: Server, query: str, *, clients: int = 8, seconds: float = 5.0) -> dict[str, Any]:
    """The same measurement with ``wrk`` (Debian package ``wrk``)."""
    url = f"http://127.0.0.1:{server.port}{server.path(query)}"
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-H", f"Accept: {ACCEPT}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout

    def lat(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"requests": int(total.group(1)) if total else 0, "errors": int(non2xx.group(1)) if non2xx else 0,
            "rps": float(rps.group(1)) if rps else 0.0, "p50_ms": lat("50"), "p99_ms": lat("99"),
            "clients": clients, "seconds": seconds, "loadgen": "wrk"}
