"""One long build with checkpoints: does build time grow linearly and memory stay flat?

Runs ``bench.build`` (one child process) on a corpus of ``--size`` articles and renders the
checkpoint rows (every ``--every`` articles: articles/s and store-write share of the window,
resident memory of the build's process tree) as a markdown section, appended to ``--out``.
``--render FILE`` only renders the JSON line a previous run printed.

    .venv/bin/python -m bench.scale --size 100000 --jobs 2 --every 5000 --out bench/RESULTS.md

Examples
--------
>>> print(render({"seconds": 10.0, "added": 2, "quads": 20, "stages": {"write": 2.0}, "checkpoints": [
...     {"articles": 1, "seconds": 4.0, "window_articles_per_s": 0.25, "window_write_share": 0.2, "rss_mib": 9.0}]},
...     "cmd").splitlines()[4])
| 1 | 4.000 | 0.250 | 20 % | 9.000 |
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from .build import measure_build
from .report import table

__all__ = ["render", "main"]


def render(result: dict[str, Any], command: str) -> str:
    rows = [[c["articles"], c["seconds"], c["window_articles_per_s"], f"{100 * c['window_write_share']:.0f} %",
             c["rss_mib"]] for c in result.get("checkpoints", [])]
    secs = result["seconds"]
    write = result.get("stages", {}).get("write", 0.0)
    peak = result.get("peak_rss_mib", max((c["rss_mib"] for c in result.get("checkpoints", [])), default=0))
    return (f"## Scale: one build of {result['added']:,} articles with checkpoints\n\n"
            + table(["articles written", "s since start", "articles/s (window)", "store write (window)", "RSS MiB"], rows)
            + f"\nWhole build: {secs:,.0f} s, {result['added'] / secs:,.1f} articles/s, {result['quads']:,} quads, "
            f"store write {100 * write / secs:.0f} % of the build time, peak RSS {peak} MiB. "
            + _cpu_line(result) + f"Command: `{command}`.\n")


def _cpu_line(result: dict[str, Any]) -> str:
    """CPU seconds by kind of thread, and RocksDB's background share (compaction: no build timer sees it)."""
    cpu = result.get("cpu") or {}
    total = sum(cpu.values())
    if not total:
        return ""
    parts = ", ".join(f"{kind} {seconds:,.0f} s" for kind, seconds in cpu.items())
    return (f"CPU: {parts} ({total:,.0f} s in all; RocksDB's background threads, i.e. compaction, "
            f"{100 * cpu.get('store background', 0.0) / total:.0f} %). ")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--transactions", action="store_true", help="one transaction per article (default: bulk batches)")
    p.add_argument("--every", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus-density", default="realistic", help="realistic (default) or dense, see bench/corpus.py")
    p.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "edukg-bench")
    p.add_argument("--render", type=Path, help="render the JSON result line of an earlier run instead")
    p.add_argument("--command", default="", help="with --render: the command that produced it")
    p.add_argument("--out", type=Path, help="append the section to this markdown file (default: print)")
    args = p.parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text(encoding="utf-8").strip().splitlines()[-1])
        command = args.command
    else:
        from . import corpus

        cdir = args.workdir / f"corpus-s{args.seed}-z0.5-n{args.size}-{args.corpus_density}"
        if not (cdir / ".done").exists():
            shutil.rmtree(cdir, ignore_errors=True)
            counts = corpus.write_corpus(cdir, args.size, seed=args.seed, density=args.corpus_density)
            (cdir / ".done").write_text(json.dumps(counts))
        store = args.workdir / f"store-{cdir.name.removeprefix('corpus-')}-j{args.jobs}{'-tx' if args.transactions else ''}"
        shutil.rmtree(store, ignore_errors=True)
        os.environ["BENCH_CHECKPOINT"] = str(args.every)
        result = measure_build([cdir / "en", cdir / "zh"], store, jobs=args.jobs, bulk=not args.transactions,
                               timeout=6 * 3600)
        command = result["command"]
    text = render(result, command)
    if not args.render:
        print(json.dumps(result), flush=True)  # the raw figures, for --render later
    if args.out:
        with args.out.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    else:
        print(text)


if __name__ == "__main__":
    main()
