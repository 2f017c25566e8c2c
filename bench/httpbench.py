"""``kg serve`` against ``oxigraph serve-read-only --union-default-graph``, side by side in one run.

Oxigraph serves a checkpoint copy of the very store ``kg serve`` serves (same quads; a
copy because an on-disk store has one writer lock).  Both servers run at once; each
scenario hits one server then the other with the same query text and client count.

The step runs inside ``python -m bench`` on the store it built; on its own, against a store
that already exists (the markdown goes to ``--out``, the figures next to it as JSON)::

    python -m bench.httpbench --store /tmp/edukg-bench/store-n1000-j1-en-zh --loadgen both --out /tmp/http.md

Examples
--------
>>> ratio({"rps": 50.0}, {"rps": 100.0})
0.5
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import types
import urllib.request
from pathlib import Path
from typing import Any

from .http import Server, load, start_kg, start_oxigraph, wrk
from .queries import AGGREGATE, LOOKUP, header_params, named_queries, prologue

__all__ = ["http_session", "ratio", "scenarios", "main"]

REPO = Path(__file__).resolve().parent.parent


def ratio(ours: dict[str, Any], native: dict[str, Any]) -> float:
    """Throughput of ``kg serve`` divided by the native server's."""
    return round(ours["rps"] / native["rps"], 3) if native.get("rps") else float("nan")


def _sample_label(store: Path) -> str:
    from kg.store import open_store, run_query

    st = open_store(store, read_only=True)
    for sol in run_query(st, 'SELECT ?l WHERE { ?e a edu:School ; rdfs:label ?l FILTER(LANG(?l) = "zh") } LIMIT 1'):
        return str(sol["l"])
    for sol in run_query(st, "SELECT ?l WHERE { ?e rdfs:label ?l } LIMIT 1"):
        return str(sol["l"])
    return '"none"'


def scenarios(label: str, *, fast: set[str] | None = None) -> list[tuple[str, str]]:
    """(name, SPARQL) pairs: the two reference scenarios, then the parameter-free named queries.

    ``fast`` (names of named queries that answered within a second in process) limits the
    named queries under load; None takes them all.
    """
    out = [("label lookup", prologue() + LOOKUP % label), ("count per district", prologue() + AGGREGATE)]
    for name, text in named_queries(REPO / "queries").items():
        if not header_params(text) and (fast is None or name in fast):
            out.append((f"queries/{name}", prologue() + text))
    return out


def _rows(server: Server, query: str) -> int | str:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{server.path(query)}",
                                 headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return len(json.loads(resp.read())["results"]["bindings"])
    except Exception as exc:  # noqa: BLE001 - shown in the report
        return f"{type(exc).__name__}: {str(exc)[:80]}"


def _measure(server: Server, query: str, args: Any) -> list[dict[str, Any]]:
    out = []
    if args.loadgen in {"python", "both"}:
        out.append(load(server, query, clients=args.clients, seconds=args.http_seconds))
    if args.loadgen in {"wrk", "both"} and shutil.which("wrk"):
        out.append(wrk(server, query, clients=args.clients, seconds=args.http_seconds))
    return out


def http_session(session: Any, store: Path | None) -> dict[str, Any]:
    """Start both servers, run every scenario on each, record throughput, latency, memory."""
    from kg.store import backup

    if store is None:
        raise RuntimeError("no store built")
    args = session.args
    copy = args.workdir / "store-oxigraph-copy"
    shutil.rmtree(copy, ignore_errors=True)
    quads = backup(store, copy)
    label = _sample_label(store)
    servers = [start_oxigraph(copy, log=args.workdir / "oxigraph.log")]
    try:
        servers.append(start_kg(store, log=args.workdir / "kg-serve.log"))
    except Exception:
        servers[0].stop()
        raise
    ox, kg = servers
    result: dict[str, Any] = {"store": str(store), "quads": quads, "label": label, "scenarios": [],
                              "commands": {s.name: s.command for s in servers}}
    try:
        timed = session.results.get("queries") or []
        fast = {r["query"] for r in timed if r.get("median_ms", 1e9) < 1000} if timed else None
        result["skipped_slow"] = sorted({r["query"] for r in timed} - (fast or set()))
        for name, query in scenarios(label, fast=fast):
            row = {"scenario": name, "rows": {s.name: _rows(s, query) for s in servers}}
            row["native"] = _measure(ox, query, args)
            row["kg"] = _measure(kg, query, args)
            row["ratio"] = [ratio(k, n) for k, n in zip(row["kg"], row["native"], strict=False)]
            result["scenarios"].append(row)
        result["memory_mib"] = {s.name: s.rss_mib() for s in servers}
    finally:
        for s in servers:
            s.stop()
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """The HTTP step alone, on an existing store; writes the report's HTTP section to ``--out``."""
    from .env import environment
    from .report import _env, _http

    p = argparse.ArgumentParser(prog="python -m bench.httpbench", description=main.__doc__)
    p.add_argument("--store", type=Path, required=True, help="an on-disk store built by kg build")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "edukg-bench")
    p.add_argument("--http-seconds", type=float, default=5.0, help="seconds per HTTP scenario and server")
    p.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    p.add_argument("--loadgen", choices=["python", "wrk", "both"], default="python")
    p.add_argument("--out", type=Path, default=Path("bench_http.md"))
    args = p.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    session = types.SimpleNamespace(args=args, results={})
    start = environment()
    result = http_session(session, args.store)
    end = environment()
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    args.out.write_text(f"# edukg HTTP benchmark\n\nGenerated by `python -m bench.httpbench {shown}`.\n\n"
                        + _env(start, end) + "\n" + _http(result), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"environment_start": start, "environment_end": end,
                                                         "http": result}, indent=1, default=str))
    return result


if __name__ == "__main__":
    main()
