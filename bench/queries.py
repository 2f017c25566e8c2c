"""Latency of every named query in ``queries/*.rq`` on a built store, plus the HTTP scenarios.

Parameters named in a query's ``# params:`` header are bound (through pyoxigraph
substitutions) to sample terms found in the store: a fact triple for ``s p o``, an entity
of the matching class for names such as ``school`` or ``district``, a label for ``label``.

Examples
--------
>>> header_params("# title: x\\n# params: s p o\\nSELECT * {}")
['s', 'p', 'o']
>>> header_params("# params:\\nSELECT ?x {}")
[]
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import Any

__all__ = ["header_params", "named_queries", "sample_bindings", "latencies", "LOOKUP", "AGGREGATE", "prologue"]

AGGREGATE = """SELECT ?district (COUNT(DISTINCT ?school) AS ?schools) WHERE {
  ?school a edu:School ; edu:locatedIn ?district . ?district a edu:District .
} GROUP BY ?district ORDER BY DESC(?schools)"""

LOOKUP = """SELECT ?entity ?type WHERE { ?entity rdfs:label %s ; a ?type }"""

_CLASS_HINTS = [("school", "School"), ("district", "District"), ("group", "EducationGroup"), ("city", "City"),
                ("policy", "Policy"), ("person", "Person"), ("article", "Article"), ("body", "GovernmentBody"),
                ("gov", "GovernmentBody"), ("observation", "Observation")]


def prologue() -> str:
    """PREFIX lines for the edukg prefixes (servers other than kg need them spelled out)."""
    from kg.vocab import PREFIXES

    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def header_params(text: str) -> list[str]:
    m = re.search(r"^#[ \t]*params:[ \t]*(.*)$", text, re.M)
    return [p.strip("?$,") for p in m.group(1).split()] if m else []


def named_queries(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rq"))}


def sample_bindings(store: Any, params: list[str]) -> dict[str, Any]:
    """Sample terms for ``params`` (see module docstring); unknown names stay unbound."""
    from kg.store import run_query

    out: dict[str, Any] = {}
    if {"s", "p", "o"} & set(params):
        for sol in run_query(store, "SELECT ?s ?o WHERE { ?s edu:memberOf ?o } LIMIT 1"):
            out.update(s=sol["s"], o=sol["o"])
        from pyoxigraph import NamedNode

        from kg.vocab import EDU

        out["p"] = NamedNode(EDU.memberOf)
    for name in params:
        low = name.lower()
        if name in out:
            continue
        if low in {"label", "name", "q", "text", "term", "search"}:
            q = 'SELECT ?l WHERE { ?e a edu:School ; rdfs:label ?l FILTER(LANG(?l)="zh") } LIMIT 1'
            for sol in run_query(store, q):
                out[name] = sol["l"]
            continue
        cls = next((c for hint, c in _CLASS_HINTS if hint in low), "School")
        for sol in run_query(store, f"SELECT ?e WHERE {{ ?e a edu:{cls} }} LIMIT 1"):
            out[name] = sol["e"]
    return {k: v for k, v in out.items() if k in params}


def _time(store: Any, text: str, subs: dict[str, Any], budget: float = 1.5, max_runs: int = 25) -> dict[str, Any]:
    from kg.store import rows

    t = time.perf_counter()
    n = len(rows(store, text, substitutions=subs or None))  # warm-up
    first = time.perf_counter() - t
    if first > budget:  # slow: the warm-up run is the measurement
        return {"rows": n, "runs": 1, "median_ms": first * 1000, "min_ms": first * 1000}
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (time.perf_counter() - start < budget or len(times) < 3):
        t = time.perf_counter()
        rows(store, text, substitutions=subs or None)
        times.append(time.perf_counter() - t)
    return {"rows": n, "runs": len(times), "median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000}


def _one(store_path: str, text: str, queue: Any) -> None:  # pragma: no cover - runs in a child
    from kg.store import open_store

    store = open_store(store_path, read_only=True)
    subs = sample_bindings(store, header_params(text))
    try:
        queue.put({"bound": " ".join(sorted(subs)), **_time(store, text, subs)})
    except Exception as exc:  # noqa: BLE001 - reported in the table
        queue.put({"bound": " ".join(sorted(subs)), "error": f"{type(exc).__name__}: {str(exc)[:120]}"})


def latencies(store_path: Path, folder: Path, *, cap: float = 20.0) -> list[dict[str, Any]]:
    """One row per named query: bound params, rows returned, median / min latency in ms.

    Each query is timed in a child process stopped after ``cap`` seconds (reported as a timeout).
    """
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("fork")
    out = []
    for name, text in named_queries(folder).items():
        row: dict[str, Any] = {"query": name, "params": " ".join(header_params(text))}
        q = ctx.Queue()
        proc = ctx.Process(target=_one, args=(str(store_path), text, q))
        proc.start()
        try:
            row.update(q.get(timeout=cap))
        except queue_mod.Empty:
            row["error"] = f"timeout: still running after {cap:g} s"
        proc.terminate()
        proc.join(5)
        out.append(row)
    return out
