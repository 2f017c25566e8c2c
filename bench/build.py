"""Build measurements: one ``kg.pipeline.build`` per child process, timed, with peak memory.

The child wraps the pipeline's stage functions with timers (extraction, mapping, store
write, analysis), so the store-write share of build time is measured, not guessed; the
parent samples the resident memory of the child and its workers.

Examples
--------
>>> t = _Timers(); f = t.wrap(lambda x: x + 1, "add"); f(1), t.calls["add"]
(2, 1)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["measure_build", "jieba_floor"]

REPO = Path(__file__).resolve().parent.parent


class _Timers:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, fn: Callable, key: str) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - t
                self.calls[key] += 1

        return timed


def _child(inputs: list[str], store: str, jobs: int) -> dict[str, Any]:
    """Runs inside the child process: the build with stage timers."""
    import kg.mapping
    import kg.pipeline
    import kg.remote
    import kg.store
    from kg.pipeline import build

    timers = _Timers()
    if os.environ.get("BENCH_NO_ANALYSIS"):
        kg.pipeline._refresh_analysis = lambda store: None  # measure the per-article pipeline alone
    for mod, name, key in [(kg.store, "replace_article", "write"), (kg.store, "bulk_add_articles", "write"),
                           (kg.mapping, "to_quads", "map"), (kg.mapping, "to_nquads", "map"),
                           (kg.pipeline, "process_article", "extract"), (kg.pipeline, "_refresh_analysis", "analysis"),
                           (kg.store, "totals", "stats"), (kg.remote, "replace_article", "write"),
                           (kg.remote, "totals", "stats")]:
        setattr(mod, name, timers.wrap(getattr(mod, name), key))
    t = time.perf_counter()
    checkpoints = _Checkpoints(t, every=int(os.environ.get("BENCH_CHECKPOINT", "1000")), timers=timers)
    # the build's main thread waiting on the store: the write itself where writes are in turn, the
    # hand-over to the writer thread (blocked only while its queue is full) and its final flush otherwise
    for name in ("put", "close"):
        setattr(kg.pipeline._Writer, name, timers.wrap(getattr(kg.pipeline._Writer, name), "write_wait"))
    report = build(inputs, store, jobs=jobs, bulk=os.environ.get("BENCH_BULK", "1") != "0", on_event=checkpoints,
                   overlap=not os.environ.get("BENCH_NO_OVERLAP"))
    total = time.perf_counter() - t
    return {"seconds": total, "read": report.read, "added": report.added, "unchanged": report.unchanged,
            "skipped": len(report.skipped), "quads": report.quads, "entities": report.entities,
            "stages": dict(timers.seconds), "skip_reasons": sorted({r for _, r in report.skipped})[:5],
            "checkpoints": checkpoints.rows}


class _Checkpoints:
    """Every ``every`` articles written: seconds since start, articles/s over the last window,
    the write seconds in that window and the resident memory of the build's process tree (MiB).

    A flat articles/s column is what "build time grows linearly" means; a flat MiB column is
    "peak memory stays flat". Each row is also printed to stderr, so a long run shows progress.
    """

    def __init__(self, started: float, every: int, timers: _Timers) -> None:
        self.started, self.every, self.timers = started, every, timers
        self.rows: list[dict[str, float]] = []
        self.done = 0
        self.last = (started, 0.0)

    def __call__(self, event: Any) -> None:
        if event.status not in {"added", "replaced"}:
            return
        self.done += 1
        if self.done % self.every:
            return
        import psutil

        now, write = time.perf_counter(), self.timers.seconds.get("write", 0.0)
        me = psutil.Process()
        rss = sum(p.memory_info().rss for p in [me, *me.children(recursive=True)])
        row = {"articles": self.done, "seconds": round(now - self.started, 2),
               "window_articles_per_s": round(self.every / (now - self.last[0]), 2),
               "window_write_share": round((write - self.last[1]) / (now - self.last[0]), 3),
               "rss_mib": round(rss / 2**20, 1)}
        self.rows.append(row)
        self.last = (now, write)
        print(json.dumps(row), file=sys.stderr, flush=True)


def _tree_rss(proc: Any) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


class _ThreadCpu:
    """CPU seconds of the build's threads, by kind, from ``/proc`` (Linux): the build process's Python
    threads (extraction in one process, the writer and the bulk loader), RocksDB's background threads
    (``rocksdb:*``: compaction and flushes, which no timer in the build sees) and the worker processes.

    Each thread's last reading is kept, so threads that end before the build does still count.

    >>> t = _ThreadCpu(); t.sample(__import__("os").getpid()); sorted(t.totals())
    ['build', 'store background', 'workers']
    """

    def __init__(self) -> None:
        self.last: dict[tuple[int, str], tuple[str, float]] = {}
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self, pid: int) -> None:
        import psutil

        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return
        for proc in procs:
            try:
                tids = os.listdir(f"/proc/{proc.pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    stat = Path(f"/proc/{proc.pid}/task/{tid}/stat").read_text()
                except OSError:
                    continue
                comm, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
                kind = ("store background" if comm.startswith("rocksdb") else "build") if proc.pid == pid else "workers"
                self.last[(proc.pid, tid)] = (kind, (int(fields[11]) + int(fields[12])) / self.tick)

    def totals(self) -> dict[str, float]:
        out = {"build": 0.0, "store background": 0.0, "workers": 0.0}
        for kind, seconds in self.last.values():
            out[kind] += seconds
        return {k: round(v, 1) for k, v in out.items()}


def measure_build(inputs: Sequence[Path], store: Path | str, *, jobs: int = 1, timeout: float = 7200,
                  analysis: bool = True, bulk: bool = True, overlap: bool = True) -> dict[str, Any]:
    """Build ``inputs`` into ``store`` in a child process; timings, counts and peak RSS (MiB).

    ``analysis=False`` leaves out the analysis-graph refresh at the end of the build;
    ``bulk=False`` builds with ``kg build --transactions`` (bulk batches are the default);
    ``overlap=False`` writes in turn instead of in the writer thread (``KG_WRITE_THREAD=0``).
    """
    import psutil

    cmd = [sys.executable, "-m", "bench.build", str(store), str(jobs), *map(str, inputs)]
    env = {**os.environ, **({} if analysis else {"BENCH_NO_ANALYSIS": "1"}), "BENCH_BULK": "1" if bulk else "0",
           **({} if overlap else {"BENCH_NO_OVERLAP": "1"})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    ps, peak, deadline = psutil.Process(proc.pid), 0, time.monotonic() + timeout
    cpu, polls = _ThreadCpu(), 0
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            peak = max(peak, _tree_rss(ps))
        except psutil.Error:
            pass
        if polls % 5 == 0 and sys.platform.startswith("linux"):
            cpu.sample(proc.pid)
        polls += 1
        time.sleep(0.1)
    out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"build child failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    prefix = (("" if analysis else "BENCH_NO_ANALYSIS=1 ") + ("" if bulk else "BENCH_BULK=0 ")
              + ("" if overlap else "BENCH_NO_OVERLAP=1 "))
    result.update(jobs=jobs, bulk=bulk, overlap=overlap, peak_rss_mib=round(peak / 2**20, 1), cpu=cpu.totals(),
                  command=prefix + "python " + " ".join(cmd[1:]))
    return result


def jieba_floor(texts: Sequence[str]) -> dict[str, float]:
    """Seconds and MB/s of plain ``jieba.cut`` (accurate mode) over ``texts``, dictionary loaded first."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    t = time.perf_counter()
    n = 0
    for text in texts:
        n += sum(1 for _ in jieba.cut(text))
    seconds = time.perf_counter() - t
    mb = sum(len(x.encode()) for x in texts) / 1e6
    return {"seconds": seconds, "tokens": n, "mb": mb, "mb_per_s": mb / seconds if seconds else 0.0}


if __name__ == "__main__":
    store_arg, jobs_arg, *input_args = sys.argv[1:]
    print(json.dumps(_child(input_args, store_arg, int(jobs_arg))))
