"""The markdown report (``bench/RESULTS.md``): machine, versions, commands, then one table per step.

Examples
--------
>>> table(["a", "b"], [[1, 2.5]])
'| a | b |\\n|---|---|\\n| 1 | 2.500 |\\n'
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

__all__ = ["table", "render", "write_report"]

TARGETS = """Targets (issue 7): `--jobs 2` ≥ 1.7× `--jobs 1`; store write ≤ 20 % of build time at 10^5
articles; Chinese build ≥ 0.5× plain `jieba.cut` throughput; `kg serve` ≥ 2.5× native throughput on
the aggregate and ≥ 0.5× on simple lookups; build time linear in corpus size, peak memory flat."""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    out = "| " + " | ".join(headers) + " |\n|" + "---|" * len(headers) + "\n"
    for r in rows:
        out += "| " + " | ".join(_fmt(v) for v in r) + " |\n"
    return out


def _env(e: dict[str, Any], end: dict[str, Any]) -> str:
    pk = ", ".join(f"{k} {v}" for k, v in e["packages"].items())
    return (f"- machine: {e['cpu']}, {e['cores']} cores, {e['memory_gib']} GiB RAM; {e['os']}\n"
            f"- load average (1/5/15 min) at start {e['load_avg']}, at end {end.get('load_avg')} "
            "(other engineers' test runs share these cores: figures are noisy)\n"
            f"- Python {e['python']}; {pk}; wrk: {e['wrk']}\n- edukg commit {e['git']}\n")


def _builds(builds: list[dict[str, Any]], title: str) -> str:
    rows = []
    for b in builds:
        st = b.get("stages", {})
        secs = b["seconds"]
        mode = ("bulk batches" if b.get("bulk", True) else "transactions") + (", writer thread" if b.get("overlap", False) else ", in turn")
        rows.append([b["size"], b["langs"], b["jobs"], mode,
                     b["added"], b["skipped"], b["quads"], round(secs, 1),
                     b["added"] / secs, b["quads"] / secs, b["peak_rss_mib"],
                     f"{100 * st.get('extract', 0) / secs:.0f} %" if b["jobs"] == 1 else "workers",
                     f"{100 * st.get('map', 0) / secs:.0f} %" if b["jobs"] == 1 else "workers",
                     f"{100 * st.get('write', 0) / secs:.0f} %",
                     f"{100 * st.get('write_wait', st.get('write', 0)) / secs:.0f} %",
                     f"{100 * st.get('analysis', 0) / secs:.0f} %",
                     " / ".join(f"{v:,.0f}" for v in (b.get("cpu") or {}).values()) or "–"])
    head = ["articles", "langs", "jobs", "write", "added", "skipped", "quads", "s", "articles/s", "quads/s",
            "peak RSS MiB", "extract", "map", "store write", "waiting on the store", "analysis",
            "CPU s: build / store background / workers"]
    cmds = "\n".join(f"    {b['command']}" for b in builds)
    return (f"## {title}\n\n{table(head, rows)}\n{STAGES}\n\nCommands (child processes):\n\n{cmds}\n\n")


STAGES = ("Stage columns are shares of the build's wall time. *store write*: time spent in the store write "
          "(in the writer thread, it runs while the next articles are extracted); *waiting on the store*: time the "
          "build's main thread was held up by it (handing an article to a full writer queue, the final flush; "
          "equal to *store write* when writing in turn). *CPU s*: CPU seconds of the build process's own threads, "
          "of RocksDB's background threads in it (compaction and flushes: the store's cost that no timer sees, "
          "running on the same cores) and of the worker processes (read from /proc).")


def _jobs(j: list[dict[str, Any]]) -> str:
    if len(j) < 2:
        return ""
    lines = []
    turn = [b for b in j if b["jobs"] == 1 and b.get("bulk", True) and not b.get("overlap", True)]
    for bulk in (True, False):
        mode = "bulk batches (default)" if bulk else "`--transactions`"
        one = [b for b in j if b["jobs"] == 1 and b.get("bulk", True) == bulk and b.get("overlap", True)]
        two = [b for b in j if b["jobs"] == 2 and b.get("bulk", True) == bulk]
        if one and two:
            lines.append(f"- {mode}: `--jobs 2` is **{one[0]['seconds'] / two[0]['seconds']:.2f}×** `--jobs 1` "
                         "with its writer thread (target ≥ 1.7×)")
        if turn and two and bulk:
            lines.append(f"- {mode}: `--jobs 2` is **{turn[0]['seconds'] / two[0]['seconds']:.2f}×** one process "
                         "writing in turn (`KG_WRITE_THREAD=0`, one core)")
    one = [b for b in j if b["jobs"] == 1 and b.get("bulk", True) and b.get("overlap", True)]
    if turn and one:
        lines.append(f"- `--jobs 1`: the writer thread is **{turn[0]['seconds'] / one[0]['seconds']:.2f}×** "
                     "writing in turn")
    fastest = min(j, key=lambda b: b["seconds"])
    if turn:
        lines.append(f"- fastest (`--jobs {fastest['jobs']}`{'' if fastest.get('bulk', True) else ' --transactions'})"
                     f" vs one process writing in turn: **{turn[0]['seconds'] / fastest['seconds']:.2f}×**")
    return (_builds(j, f"Parallel build: --jobs 1 vs --jobs 2, bulk batches and transactions, at {j[0]['size']} "
                       "articles") + "\n".join(lines) + "\n\n")


def _floor(f: dict[str, Any]) -> str:
    jb = f["jieba"]
    rows = f.get("rows") or [{**f, "bulk": False}]  # older reports had one (transactional) build
    body = table(
        ["zh articles", "MB (UTF-8)", "jieba.cut s", "write", "kg build s", "ratio", "ratios (each run)",
         "extract+map+write s", "ratio", "extract s", "ratio"],
        [[f["articles"], f["mb"], r.get("jieba_s", jb["seconds"]), "bulk batches" if r["bulk"] else "transactions",
          r["build"]["seconds"], r["ratio"], ", ".join(f"{x:.3f}" for x in r.get("ratios", [r["ratio"]])),
          r.get("stages_s", "–"), r.get("stages_ratio", "–"), r.get("extract_s", "–"), r.get("extract_ratio", "–")]
         for r in rows])
    cmds = "\n".join(f"    {r['build']['command']}" for r in rows)
    times = f.get("jieba_seconds")
    runs = (f"Each run times `jieba.cut` (accurate mode, dictionary loaded first) right before its builds "
            f"({', '.join(f'{t:.2f}' for t in times)} s over the runs); the row shows the run with the median "
            "whole-build ratio, the stage ratios are medians. " if times else "")
    return ("## Chinese floor: our build vs plain `jieba.cut`\n\n" + body
            + "\nRatio = our throughput / jieba throughput (target ≥ 0.5): the whole `kg build` (start-up, "
            "dictionaries, ontology, analysis), the per-article stages, and extraction + resolution alone. "
            + runs + f"Build commands:\n\n{cmds}\n\n")


def _remote(r: dict[str, Any], embedded: list[dict[str, Any]]) -> str:
    same = [b for b in embedded if b["size"] == r["size"] and b["jobs"] == 1]
    note = f" Embedded build of the same corpus: {same[0]['seconds']:.1f} s." if same else ""
    return (_builds([r], f"Remote store: build into `oxigraph serve` over HTTP ({r['size']} articles)")
            + f"Server: `{r['server']}`; one SPARQL Update request per article graph.{note}\n\n")


def _queries(q: list[dict[str, Any]]) -> str:
    rows = [[r["query"], r["params"] or "–", r.get("bound") or "–", r.get("rows", "–"), r.get("median_ms", "–"),
             r.get("min_ms", "–"), r.get("error", "")] for r in q]
    return "## Named queries (in process, `kg.store.rows`, union default graph)\n\n" + table(
        ["query", "params", "bound", "rows", "median ms", "min ms", "error"], rows) + "\n"


def _http(h: dict[str, Any]) -> str:
    rows = []
    for sc in h["scenarios"]:
        for n, k, r in zip(sc["native"], sc["kg"], sc["ratio"], strict=False):
            native_rows, kg_rows = sc["rows"].get("oxigraph serve-read-only"), sc["rows"].get("kg serve")
            rows.append([sc["scenario"], n["loadgen"], native_rows, n["rps"], n["p50_ms"],
                         n["p99_ms"], kg_rows, k["rps"], k["p50_ms"], k["p99_ms"],
                         k["errors"], f"**{r}×**"])
    head = ["scenario", "loadgen", "native rows", "native req/s", "p50 ms", "p99 ms", "kg rows", "kg req/s",
            "p50 ms", "p99 ms", "kg errors", "kg/native"]
    mem = "; ".join(f"{name}: {m}" for name, m in h.get("memory_mib", {}).items())
    cmds = "\n".join(f"    {c}" for c in h["commands"].values())
    return (f"## HTTP: `kg serve` vs `oxigraph serve-read-only --union-default-graph`\n\nStore: {h['quads']:,} quads "
            f"(oxigraph serves a checkpoint copy). Label looked up: `{h['label']}`. Named queries left out of "
            f"the load (slower than 1 s in process, or failed): {', '.join(h.get('skipped_slow', [])) or 'none'}."
            "\n\n" + table(head, rows) +
            f"\nResident memory per process after the load (MiB): {mem}\n\nServers:\n\n{cmds}\n\n")


def _profile(p: dict[str, Any]) -> str:
    out = "## Profiles (pyinstrument, self time)\n\n"
    for name, rows in p.items():
        out += f"### {name}\n\n" + table(["function", "where", "self s", "share"],
                                          [[r["function"], f"`{r['where']}`", r["self_s"], r["share"]] for r in rows])
        out += "\n"
    return out


def render(results: dict[str, Any], argv: list[str]) -> str:
    """The whole report as markdown."""
    parts = [f"# edukg benchmark report\n\nGenerated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
             f"`python -m bench {' '.join(argv)}` (`make bench BENCH_ARGS=\"{' '.join(argv)}\"`).\n\n",
             _env(results["environment_start"], results.get("environment_end", {})), "\n", TARGETS, "\n\n",
             f"Corpus: `{results.get('corpus_density', 'dense')}` density (bench/corpus.py; see bench/README.md).\n\n"]
    if results.get("build"):
        parts.append(_builds(results["build"], "Build throughput by corpus size (--jobs 1)"))
    if results.get("jobs"):
        parts.append(_jobs(results["jobs"]))
    if results.get("floor"):
        parts.append(_floor(results["floor"]))
    if results.get("remote"):
        parts.append(_remote(results["remote"], results.get("jobs") or results.get("build") or []))
    if results.get("queries"):
        parts.append(_queries(results["queries"]))
    if results.get("http"):
        parts.append(_http(results["http"]))
    if results.get("profile"):
        parts.append(_profile(results["profile"]))
    if results["errors"]:
        parts.append("## Steps that failed\n\n" + "".join(f"- {k}: `{v}`\n" for k, v in results["errors"].items()))
    return "".join(parts)


def write_report(results: dict[str, Any], args: Any, out: Path) -> None:
    out.write_text(render(results, results.get("argv", [])), encoding="utf-8")
