"""Latency of every named query in ``queries/*.rq`` on a built store, plus the HTTP scenarios.

Parameters named in a query's ``# params:`` header are bound (through pyoxigraph
substitutions) to sample terms found in the store: a fact triple for ``s p o``, an entity
of the matching class for names such as ``school`` or ``district`` (one that a figure is about,
or that something is located in or a member of, when there is one), a label for ``label``, a
measure literal for ``measure``.

``python -m bench.queries STORE --before OLD_DIR`` times every query of ``queries/`` against the
texts in ``OLD_DIR`` (median of 3 runs, each query in a fresh process) and checks they return the
same rows.

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

__all__ = [
    "header_params",
    "named_queries",
    "sample_bindings",
    "latencies",
    "LOOKUP",
    "AGGREGATE",
    "prologue",
    "concat_columns",
    "sample_columns",
    "samples_as_min",
    "canonical",
    "timed_rows",
    "compare",
    "markdown",
    "main",
]

AGGREGATE = """SELECT ?district (COUNT(DISTINCT ?school) AS ?schools) WHERE {
  ?school a edu:School ; edu:locatedIn ?district . ?district a edu:District .
} GROUP BY ?district ORDER BY DESC(?schools)"""

LOOKUP = """SELECT ?entity ?type WHERE { ?entity rdfs:label %s ; a ?type }"""

_CLASS_HINTS = [
    ("school", "School"),
    ("district", "District"),
    ("group", "EducationGroup"),
    ("city", "City"),
    ("policy", "Policy"),
    ("person", "Person"),
    ("article", "Article"),
    ("body", "GovernmentBody"),
    ("gov", "GovernmentBody"),
    ("observation", "Observation"),
]


# an entity with something to report, best first: a figure about it; a school, group or body in it
_LINKED = ("?o edu:about ?e", "{ ?x edu:locatedIn ?e } UNION { ?x edu:memberOf ?e }")


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
        if low == "measure":  # a measure label reported somewhere (compare_districts matches any part of it)
            for sol in run_query(store, "SELECT ?m WHERE { ?o edu:measure ?m FILTER(ISLITERAL(?m)) } LIMIT 1"):
                out[name] = sol["m"]
            continue
        if low in {"label", "name", "q", "text", "term", "search"}:
            q = 'SELECT ?l WHERE { ?e a edu:School ; rdfs:label ?l FILTER(LANG(?l)="zh") } LIMIT 1'
            for sol in run_query(store, q):
                out[name] = sol["l"]
            continue
        cls = next((c for hint, c in _CLASS_HINTS if hint in low), "School")
        for q in [f"SELECT ?e WHERE {{ ?e a edu:{cls} . {link} }} LIMIT 1" for link in (*_LINKED, "")]:
            for sol in run_query(store, q):
                out[name] = sol["e"]
            if name in out:
                break
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


# --- before/after comparison: ``python -m bench.queries STORE --before OLD_DIR`` -----------------

_CONCAT = re.compile(r'GROUP_CONCAT\s*\(.*?separator\s*=\s*"((?:[^"\\]|\\.)*)"\s*\)\s*AS\s*\?(\w+)', re.I | re.S)


def concat_columns(text: str) -> dict[str, str]:
    """Output columns built with GROUP_CONCAT, and their separators (their item order is free).

    >>> concat_columns('SELECT (GROUP_CONCAT(DISTINCT ?l; separator=" / ") AS ?labels) {}')
    {'labels': ' / '}
    """
    return {m.group(2): m.group(1) for m in _CONCAT.finditer(text)}


_SAMPLE = re.compile(r"\bSAMPLE\s*\(\s*\?\w+\s*\)\s*AS\s*\?(\w+)", re.I)


def sample_columns(text: str) -> set[str]:
    """Output columns built with SAMPLE (any one of the group's values: which one is up to the engine).

    >>> sorted(sample_columns("SELECT (SAMPLE(?l) AS ?label) (COUNT(?x) AS ?n) {}"))
    ['label']
    """
    return {m.group(1) for m in _SAMPLE.finditer(text)}


def samples_as_min(text: str) -> str:
    """``text`` with every ``SAMPLE(`` read as ``MIN(``: a deterministic pick, to compare two texts exactly.

    >>> samples_as_min("SELECT (SAMPLE(?l) AS ?x) {}")
    'SELECT (MIN(?l) AS ?x) {}'
    """
    return re.sub(r"\bSAMPLE\s*\(", "MIN(", text, flags=re.I)


def canonical(text: str, result: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    """The rows of ``text`` as a sorted multiset, GROUP_CONCAT items sorted, SAMPLE values reduced to
    "bound": equal answers compare equal.

    >>> canonical('SELECT (GROUP_CONCAT(?x; separator=" ") AS ?c) {}', [{"c": "b a"}, {"c": "c"}])
    [(('c', 'a b'),), (('c', 'c'),)]
    >>> canonical('SELECT (SAMPLE(?x) AS ?s) ?y {}', [{"s": "a", "y": "1"}, {"y": "2"}])
    [(('s', '(bound)'), ('y', '1')), (('y', '2'),)]
    """
    seps, samples = concat_columns(text), sample_columns(text)
    out = []
    for row in result:
        items = []
        for key, value in sorted(row.items()):
            if key in seps and seps[key]:
                value = seps[key].join(sorted(value.split(seps[key])))
            if key in samples:
                value = "(bound)"
            items.append((key, value))
        out.append(tuple(items))
    return sorted(out)


def _runs(store_path: str, text: str, runs: int, slow: float, queue: Any) -> None:  # pragma: no cover - child
    from kg.store import open_store, rows

    store = open_store(store_path, read_only=True)
    subs = sample_bindings(store, header_params(text))
    try:
        times: list[float] = []
        result: list[dict[str, str]] = []
        while len(times) < runs and (not times or times[-1] < slow):  # a slow run is not repeated
            t = time.perf_counter()
            result = rows(store, text, substitutions=subs or None)
            times.append(time.perf_counter() - t)
        queue.put({"bound": " ".join(sorted(subs)), "times": times, "rows": result})
    except Exception as exc:  # noqa: BLE001 - reported in the table
        queue.put({"error": f"{type(exc).__name__}: {str(exc)[:120]}"})


def timed_rows(store_path: Path, text: str, *, runs: int = 3, cap: float = 60.0, slow: float = 10.0) -> dict[str, Any]:
    """Run ``text`` ``runs`` times in a fresh child process (store opened read-only), stopped after ``cap`` s;
    after a run slower than ``slow`` s the query is not run again.

    Returns ``times`` (seconds, first run first), ``rows`` (canonical) and ``bound``, or ``error``.
    """
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_runs, args=(str(store_path), text, runs, slow, q))
    proc.start()
    try:
        out = q.get(timeout=cap)
    except queue_mod.Empty:
        out = {"error": f"timeout after {cap:g} s"}
    proc.terminate()
    proc.join(5)
    return out


def _ms(times: list[float] | None) -> str:
    return f"{statistics.median(times) * 1000:,.1f}" if times else "–"


def compare(
    store_path: Path,
    folder: Path,
    *,
    before: Path | None = None,
    runs: int = 3,
    cap: float = 60.0,
    names: list[str] | None = None,
    min_samples: bool = False,
    slow: float = 10.0,
) -> list[dict[str, Any]]:
    """Per named query: median / first-run ms of the text in ``folder`` and (if given) in ``before``,
    and whether both return the same rows (see :func:`canonical`; with ``min_samples`` both texts
    run with SAMPLE read as MIN, so the picked values are compared too)."""
    out = []
    for name, text in named_queries(folder).items():
        if names and name not in names:
            continue
        text = samples_as_min(text) if min_samples else text
        row: dict[str, Any] = {"query": name, "params": " ".join(header_params(text))}
        new = timed_rows(store_path, text, runs=runs, cap=cap, slow=slow)
        row.update(
            new_ms=_ms(new.get("times")),
            new_first_ms=_ms(new.get("times", [])[:1]),
            new_runs=len(new.get("times", [])),
            rows=len(new["rows"]) if "rows" in new else new.get("error"),
        )
        old_path = before / f"{name}.rq" if before else None
        if old_path and old_path.is_file():
            old_text = old_path.read_text(encoding="utf-8")
            old_text = samples_as_min(old_text) if min_samples else old_text
            old = timed_rows(store_path, old_text, runs=runs, cap=cap, slow=slow) if old_text != text else new
            both = old_text + "\n" + text  # a column may be a GROUP_CONCAT or SAMPLE in either text
            row.update(
                old_ms=_ms(old.get("times")) if "times" in old else old.get("error"),
                old_runs=len(old.get("times", [])),
                same="same text"
                if old is new
                else (
                    "–"
                    if "rows" not in old or "rows" not in new
                    else canonical(both, old["rows"]) == canonical(both, new["rows"])
                ),
            )
        out.append(row)
        print(row, flush=True)
    return out


def markdown(result: list[dict[str, Any]], title: str) -> str:
    """The :func:`compare` rows as a markdown table."""
    cols = ["query", "params", "rows", "old_ms", "old_runs", "new_ms", "new_runs", "new_first_ms", "same"]
    lines = [f"### {title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in result]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.queries STORE [--before DIR] [--runs 3] [--cap 60] [--only a,b] [--out FILE]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.queries", description=main.__doc__)
    p.add_argument("store", type=Path)
    p.add_argument("--queries", type=Path, default=Path(__file__).resolve().parent.parent / "queries")
    p.add_argument("--before", type=Path, help="folder with the previous .rq texts (same names)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--cap", type=float, default=60.0, help="seconds before a query is stopped")
    p.add_argument("--only", default="", help="comma-separated query names")
    p.add_argument("--slow", type=float, default=10.0, help="a run slower than this (s) is not repeated")
    p.add_argument("--min-samples", action="store_true", help="read SAMPLE as MIN in both texts (exact check)")
    p.add_argument("--out", type=Path, help="append the markdown table to this file")
    a = p.parse_args(argv)
    result = compare(
        a.store,
        a.queries,
        before=a.before,
        runs=a.runs,
        cap=a.cap,
        names=[n for n in a.only.split(",") if n],
        min_samples=a.min_samples,
        slow=a.slow,
    )
    what = " (SAMPLE read as MIN)" if a.min_samples else ""
    table = markdown(result, f"{a.store.name}: median of up to {a.runs} runs (ms), in process{what}")
    print(table)
    if a.out:
        with a.out.open("a", encoding="utf-8") as fh:
            fh.write(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
