"""The benchmark session: corpora -> builds -> named queries -> HTTP side by side -> profiles -> report.

``python -m bench`` (quick: 100 and 200 articles, about ten minutes) or ``python -m bench --full``
(10^3, 10^4, 10^5).  Every step records the command that reproduces it; a failing step is
reported in the markdown and the session goes on.

Examples
--------
>>> parse_args(["--sizes", "10,20", "--seed", "3"]).sizes
[10, 20]
>>> parse_args(["--corpus-density", "dense"]).corpus_density
'dense'
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import corpus
from .build import jieba_floor, measure_build

__all__ = ["main", "parse_args", "run"]

REPO = Path(__file__).resolve().parent.parent
QUICK_SIZES = [100, 200]
FULL_SIZES = [1000, 10_000, 100_000]
STEPS = ("build", "jobs", "floor", "remote", "queries", "http", "profile")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="sizes 10^3, 10^4, 10^5 (long)")
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated corpus sizes")
    p.add_argument("--jobs-size", type=int, help="corpus size for --jobs 1 vs 2 and the jieba floor")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--zh-share", type=float, default=0.5, help="share of Chinese articles (default 0.5)")
    p.add_argument("--corpus-density", choices=corpus.DENSITIES, default=corpus.DENSITIES[0],
                   help="realistic: 5-16 KB articles, facts among narrative, like real news (default); "
                   "dense: the same facts in 2-3 KB")
    p.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "edukg-bench")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md", help="markdown report")
    p.add_argument("--http-seconds", type=float, default=5.0, help="seconds per HTTP scenario and server")
    p.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    p.add_argument("--loadgen", choices=["python", "wrk", "both"], default="python")
    p.add_argument("--skip", default="", help="steps to skip, e.g. jobs,floor (of: " + " ".join(STEPS) + ")")
    p.add_argument("--profile-articles", type=int, default=200)
    p.add_argument("--floor-reps", type=int, default=3,
                   help="repetitions of the Chinese floor (jieba, then our builds; median of the paired ratios)")
    p.add_argument("--no-analysis", action="store_true",
                   help="leave the analysis-graph refresh out of every build")
    p.add_argument("--transactions", action="store_true",
                   help="build the size series with `kg build --transactions` (default: bulk batches, like kg build;"
                        " the jobs step measures both ways anyway)")
    args = p.parse_args(argv)
    args.sizes = args.sizes or (FULL_SIZES if args.full else QUICK_SIZES)
    args.jobs_size = args.jobs_size or (10_000 if args.full else max(args.sizes))
    args.skip = {s for s in args.skip.split(",") if s}
    return args


class Session:
    """Collects results, errors and the commands behind them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: dict[str, Any] = {"errors": {}, "commands": []}

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        if name in self.args.skip:
            return None
        t = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - a failed step is reported, the session goes on
            self.results["errors"][name] = f"{type(exc).__name__}: {exc}"
            print(traceback.format_exc(), file=sys.stderr)
            value = None
        print(f"[bench] {name} done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        self.results[name] = value
        return value


def _corpus_dir(args: argparse.Namespace, n: int) -> Path:
    dest = args.workdir / f"corpus-s{args.seed}-z{args.zh_share}-n{n}-{args.corpus_density}"
    if not (dest / ".done").exists():
        shutil.rmtree(dest, ignore_errors=True)
        counts = corpus.write_corpus(dest, n, seed=args.seed, zh_share=args.zh_share, density=args.corpus_density)
        (dest / ".done").write_text(json.dumps(counts))
    return dest


def _inputs(cdir: Path, langs: tuple[str, ...] = ("en", "zh")) -> list[Path]:
    return [cdir / lang for lang in langs if (cdir / lang).is_dir()]


def _build(args: argparse.Namespace, n: int, jobs: int, langs: tuple[str, ...] = ("en", "zh"),
           bulk: bool = True, overlap: bool = True) -> dict[str, Any]:
    cdir = _corpus_dir(args, n)
    store = args.workdir / (f"store-{cdir.name.removeprefix('corpus-')}-j{jobs}-{'-'.join(langs)}"
                            f"{'' if bulk else '-tx'}{'' if overlap else '-turn'}")
    shutil.rmtree(store, ignore_errors=True)
    result = measure_build(_inputs(cdir, langs), store, jobs=jobs, analysis=not args.no_analysis, bulk=bulk,
                           overlap=overlap)
    counts = json.loads((cdir / ".done").read_text())
    result.update(size=n, langs="+".join(langs), store=str(store), chars=sum(counts[f"chars_{x}"] for x in langs))
    return result


def _builds(s: Session) -> list[dict[str, Any]]:
    return [_build(s.args, n, 1, bulk=not s.args.transactions) for n in s.args.sizes]


def _jobs(s: Session) -> list[dict[str, Any]]:
    """--jobs 1 and 2, bulk batches and transactions, on the same corpus; and one process writing in turn."""
    n = s.args.jobs_size
    out = [_build(s.args, n, 1, overlap=False)]
    for bulk in (True, False):
        done = [b for b in (s.results.get("build") or [])
                if b["size"] == n and b.get("bulk", True) == bulk and b.get("overlap", True)]
        out += (done[:1] or [_build(s.args, n, 1, bulk=bulk)]) + [_build(s.args, n, 2, bulk=bulk)]
    return out


def _floor(s: Session) -> dict[str, Any]:
    """The Chinese half built alone against plain ``jieba.cut`` over the same texts, ``--floor-reps`` times.

    This machine's speed drifts by tens of percent within minutes, so each repetition times jieba right
    before the builds it is compared with, and the report gives the median of those paired ratios.
    """
    from statistics import median

    n = s.args.jobs_size
    cdir = _corpus_dir(s.args, n)
    texts = [json.loads(line)["text"] for f in sorted((cdir / "zh").glob("*.jsonl")) for line in f.open()]
    reps: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    jiebas = []
    for _ in range(max(1, s.args.floor_reps)):
        jb = jieba_floor(texts)
        jiebas.append(jb)
        mb = jb["mb"]
        for bulk in (True, False):
            ours = _build(s.args, n, 1, ("zh",), bulk=bulk)
            stages = sum(ours["stages"].get(k, 0.0) for k in ("extract", "map", "write"))
            extract = ours["stages"].get("extract", 0.0)
            reps[bulk].append({"bulk": bulk, "build": ours, "jieba_s": jb["seconds"],
                               "build_mb_per_s": mb / ours["seconds"],
                               "ratio": (mb / ours["seconds"]) / jb["mb_per_s"], "stages_s": stages,
                               "stages_mb_per_s": mb / stages if stages else 0.0,
                               "stages_ratio": (mb / stages) / jb["mb_per_s"] if stages else 0.0,
                               "extract_s": extract,
                               "extract_ratio": (mb / extract) / jb["mb_per_s"] if extract else 0.0})
    rows = []
    for bulk in (True, False):
        runs = sorted(reps[bulk], key=lambda r: r["ratio"])
        row = dict(runs[len(runs) // 2])  # the run with the median whole-build ratio
        row.update(ratios=[round(r["ratio"], 3) for r in reps[bulk]],
                   stages_ratio=median(r["stages_ratio"] for r in runs),
                   extract_ratio=median(r["extract_ratio"] for r in runs))
        rows.append(row)
    jb = sorted(jiebas, key=lambda x: x["seconds"])[len(jiebas) // 2]
    return {"articles": len(texts), "mb": jb["mb"], "jieba": jb, "jieba_seconds": [round(x["seconds"], 3) for x in jiebas],
            "rows": rows}


def _remote(s: Session) -> dict[str, Any]:
    """The jobs-size corpus built into a local ``oxigraph serve`` through :mod:`kg.remote`."""
    import subprocess

    from .http import free_port

    n = s.args.jobs_size
    location = s.args.workdir / "store-remote-oxigraph"
    shutil.rmtree(location, ignore_errors=True)
    port = free_port()
    exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    cmd = [exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from .http import _wait

        _wait(port, "/query?query=ASK%7B%7D", proc)
        url = f"http://127.0.0.1:{port}"
        result = measure_build(_inputs(_corpus_dir(s.args, n)), url, jobs=1, analysis=not s.args.no_analysis)
        result.update(size=n, langs="en+zh (remote)", server="oxigraph " + " ".join(cmd[1:]))
    finally:
        proc.terminate()
        proc.wait(15)
    return result


def _largest_store(s: Session) -> Path | None:
    builds = [b for b in (s.results.get("build") or []) if b.get("langs") == "en+zh"]
    return Path(max(builds, key=lambda b: b["size"])["store"]) if builds else None


def _queries(s: Session) -> list[dict[str, Any]]:
    from .queries import latencies

    store = _largest_store(s)
    if store is None:
        raise RuntimeError("no store built")
    return latencies(store, REPO / "queries")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from .env import environment
    from .httpbench import http_session
    from .report import write_report

    args.workdir.mkdir(parents=True, exist_ok=True)
    s = Session(args)
    s.results["environment_start"] = environment()
    s.step("build", lambda: _builds(s))
    s.step("jobs", lambda: _jobs(s))
    s.step("floor", lambda: _floor(s))
    s.step("remote", lambda: _remote(s))
    s.step("queries", lambda: _queries(s))
    s.step("http", lambda: http_session(s, _largest_store(s)))
    s.step("profile", lambda: _profiles(s))
    s.results["environment_end"] = environment()
    s.results["argv"] = sys.argv[1:]
    s.results["corpus_density"] = args.corpus_density
    (args.out.with_suffix(".json")).write_text(json.dumps(s.results, indent=1, default=str))
    write_report(s.results, args, args.out)
    return s.results


def _profiles(s: Session) -> dict[str, Any]:
    from kg.ingest import read_file

    from .profiling import profile_extractor, profile_web
    from .queries import AGGREGATE, LOOKUP

    cdir = _corpus_dir(s.args, s.args.jobs_size)
    out: dict[str, Any] = {}
    for lang in ("en", "zh"):
        files = sorted((cdir / lang).glob("*.jsonl"))
        arts = [a for a in read_file(files[0]) if hasattr(a, "text")][: s.args.profile_articles // 2] if files else []
        out[f"extract_{lang}"] = profile_extractor(arts)
    store = _largest_store(s)
    label = (s.results.get("http") or {}).get("label") or '"x"@zh'
    if store is not None:
        out["web"] = profile_web(store, [LOOKUP % label, AGGREGATE])
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    print(f"[bench] report written to {args.out}", file=sys.stderr)
    return 1 if results["errors"] else 0
