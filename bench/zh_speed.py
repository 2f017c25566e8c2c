"""Chinese extraction speed against plain ``jieba.cut`` on the same text (issue 7 build floor).

The corpus is the Chinese articles of :mod:`bench.corpus` (``zh_share=1``) plus the held-out
articles in ``tests/data/unseen_zh``.  Both sides are timed in CPU seconds
(``time.process_time``) after a warm-up (dictionaries loaded), best of several repetitions;
the extractor's text-level memo caches are cleared before every repetition, so a repetition
never profits from having seen the corpus before.  The floor of issue 7 is ratio ≥ 0.5, where
ratio = jieba seconds / extraction seconds (throughput of ours relative to jieba's).  The same is
reported for extraction plus resolution (``kg.pipeline.process_article``, the per-article part of
a build before mapping and the store write), with the resolver's name memos cleared too.

Run: ``.venv/bin/python -m bench.zh_speed`` (``--articles N``, ``--reps R``, ``--profile``).

Examples
--------
>>> arts = corpus_articles(3)
>>> len(arts) >= 3 and all(a.lang == "zh" for a in arts)
True
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["corpus_articles", "time_jieba", "time_extract", "time_process", "measure", "main"]

REPO = Path(__file__).resolve().parent.parent
UNSEEN = REPO / "tests" / "data" / "unseen_zh"


def corpus_articles(n: int, *, seed: int = 0) -> list[Any]:
    """``n`` synthetic Chinese articles plus the held-out ``unseen_zh`` ones, as ``kg.model.Article``."""
    from bench.corpus import iter_corpus
    from kg.ingest import read_file
    from kg.model import Article

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zh.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for rec in iter_corpus(n, seed=seed, zh_share=1.0):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        items = list(read_file(path))
    items += [a for p in sorted(UNSEEN.glob("*.txt")) for a in read_file(p)]
    return [a for a in items if isinstance(a, Article)]


def _best(fn: Callable[[], Any], reps: int, before: Callable[[], Any] | None = None) -> float:
    """Lowest CPU seconds of ``reps`` runs of ``fn`` (``before`` runs untimed ahead of each)."""
    best = float("inf")
    for _ in range(reps):
        if before is not None:
            before()
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def time_jieba(texts: Sequence[str], reps: int = 3) -> float:
    """CPU seconds of plain ``jieba.cut`` (accurate mode, default dictionary) over ``texts``."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return _best(lambda: [list(jieba.cut(t)) for t in texts], reps)


def _clear_caches() -> None:
    from kg import resolve
    from kg.extract import zh

    for module in (zh, resolve):
        clear = getattr(module, "_clear_text_caches", None)
        if clear is not None:
            clear()


def time_extract(articles: Sequence[Any], reps: int = 3, *, passes: int = 1) -> float:
    """CPU seconds of ``kg.extract.extract`` (sentences + Chinese extractor) over ``articles``.

    ``passes`` > 1 runs the list that many times per repetition, memos cleared before each pass.
    """
    from kg.extract import extract

    extract(articles[0])  # dictionaries, tries and regexes built outside the timing

    def run() -> None:
        for _ in range(passes):
            _clear_caches()
            for a in articles:
                extract(a)

    return _best(run, reps)


def time_process(articles: Sequence[Any], reps: int = 3) -> float:
    """CPU seconds of ``kg.pipeline.process_article`` (extraction and resolution) over ``articles``."""
    from kg.pipeline import process_article

    process_article(articles[0])

    def run() -> None:
        _clear_caches()
        for a in articles:
            process_article(a)

    return _best(run, reps)


def real_articles() -> list[Any]:
    """The held-out ``unseen_zh`` articles and the Chinese seed: real prose, more unknown words."""
    from kg.ingest import read_file
    from kg.model import Article

    paths = sorted(UNSEEN.glob("*.txt")) + sorted((REPO / "seeds").glob("*.txt"))
    return [a for p in paths for a in read_file(p) if isinstance(a, Article) and a.lang == "zh"]


def measure(n: int = 600, reps: int = 3, *, seed: int = 0) -> dict[str, Any]:
    """Both timings over the same corpus, and their ratio (≥ 0.5 meets issue 7)."""
    articles = corpus_articles(n, seed=seed)
    texts = [a.text for a in articles]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    jb = time_jieba(texts, reps)
    ours = time_extract(articles, reps)
    both = time_process(articles, reps)
    real = real_articles()
    real_jb = time_jieba([a.text for a in real] * 20, reps)
    real_ours = time_extract(real, reps, passes=20)
    return {"articles": len(articles), "mb": round(mb, 3), "jieba_cut_s": round(jb, 3),
            "extract_s": round(ours, 3), "ratio": round(jb / ours, 3) if ours else 0.0,
            "process_s": round(both, 3), "process_ratio": round(jb / both, 3) if both else 0.0,
            "real_articles": len(real), "real_jieba_cut_s": round(real_jb, 3), "real_extract_s": round(real_ours, 3),
            "real_ratio": round(real_jb / real_ours, 3) if real_ours else 0.0}  # fmt: skip


def _profile(n: int, seed: int, top: int) -> None:
    from bench.profiling import hot_spots
    from kg.extract import extract

    articles = corpus_articles(n, seed=seed)
    extract(articles[0])
    _clear_caches()
    for row in hot_spots(lambda: [extract(a) for a in articles], top=top):
        print(f"{row['share']:6.1%} {row['self_s']:7.3f}s  {row['function']:<32} {row['where']}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    p = argparse.ArgumentParser(prog="python -m bench.zh_speed", description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=600, help="synthetic Chinese articles (default 600)")
    p.add_argument("--reps", type=int, default=3, help="repetitions, best taken (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="pyinstrument hot spots of the extraction instead")
    p.add_argument("--top", type=int, default=20)
    args = p.parse_args(argv)
    if args.profile:
        _profile(args.articles, args.seed, args.top)
        return None
    r = measure(args.articles, args.reps, seed=args.seed)
    print(f"corpus: {r['articles']} Chinese articles, {r['mb']} MB (bench.corpus seed {args.seed} + unseen_zh)")
    print(f"jieba.cut (accurate): {r['jieba_cut_s']:.3f} s CPU  ({r['mb'] / r['jieba_cut_s']:.2f} MB/s)")
    print(f"kg zh extraction:     {r['extract_s']:.3f} s CPU  ({r['mb'] / r['extract_s']:.2f} MB/s)")
    print(f"ratio (jieba / ours): {r['ratio']:.3f}  (issue 7 floor: 0.5)")
    print(f"extract + resolve:    {r['process_s']:.3f} s CPU  ratio {r['process_ratio']:.3f}")
    print(
        f"real prose only ({r['real_articles']} articles: unseen_zh + Chinese seed, 20 passes): "
        f"jieba.cut {r['real_jieba_cut_s']:.3f} s, ours {r['real_extract_s']:.3f} s, ratio {r['real_ratio']:.3f}"
    )
    return r


if __name__ == "__main__":
    main()
