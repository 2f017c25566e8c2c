"""Size and fact density of the bench corpus, per language and kind (issue 7: realistic corpora).

Writes ``n`` articles of each density, builds each language into its own store with ``kg build``
(a child process, as users run it) and reports mean UTF-8 bytes per article, quads per KB of
text, the facts per article the extractor found (``edu:memberOf``, ``edu:leadSchool``,
observations, schools, people) and the share of distinct narrative sentences.  The seed articles
(``seeds/*.txt``) are measured the same way, one store per article, for comparison.

Run: ``.venv/bin/python -m bench.density --articles 200`` (``--kinds realistic,dense``,
``--seeds``, ``--workdir``); ``--distinct 10000`` measures only the share of distinct filler
sentences.

Examples
--------
>>> distinct_share(20, seed=3)["sentences"] > 0
True
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import corpus

__all__ = ["COUNTS", "distinct_share", "store_counts", "measure_kind", "measure_seeds", "main"]

REPO = Path(__file__).resolve().parent.parent
ARTICLE_GRAPHS = "https://w3id.org/edukg/graph/article/"
#: per-article figures read back from a store: name -> SPARQL pattern inside the article graphs
COUNTS = {
    "memberOf": "?s edu:memberOf ?o",
    "leadSchool": "?s edu:leadSchool ?o",
    "observations": "?s a edu:Observation",
    "schools": "?s a edu:School",
    "groups": "?s a edu:EducationGroup",
    "people": "?s a edu:Person",
    "districts": "?s a edu:District",
}


def distinct_share(n: int, *, seed: int = 0, zh_share: float = 0.5, density: str = "realistic") -> dict[str, Any]:
    """Share of distinct filler (non-fact) sentences over the first ``n`` articles, per language."""
    seen: dict[str, set[str]] = {"en": set(), "zh": set()}
    total = {"en": 0, "zh": 0}
    for i in range(n):
        rec, filler = corpus.compose(i, seed=seed, zh_share=zh_share, density=density)
        seen[rec["language"]].update(filler)
        total[rec["language"]] += len(filler)
    out: dict[str, Any] = {"articles": n, "sentences": sum(total.values()),
                           "distinct": sum(len(s) for s in seen.values())}  # fmt: skip
    out["share"] = out["distinct"] / out["sentences"] if out["sentences"] else 0.0
    for lang in ("en", "zh"):
        out[f"share_{lang}"] = len(seen[lang]) / total[lang] if total[lang] else 0.0
    return out


def store_counts(store: Path) -> dict[str, Any]:
    """Quads in article graphs, all quads, articles and the :data:`COUNTS` figures of a store."""
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store))
    prefix = "PREFIX edu: <https://w3id.org/edukg/ontology#>\n"
    in_articles = f'FILTER(STRSTARTS(STR(?g), "{ARTICLE_GRAPHS}"))'

    def count(pattern: str, what: str = "*") -> int:
        q = f"{prefix}SELECT (COUNT({what}) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} {in_articles} }}"
        return int(next(iter(s.query(q)))["n"].value)

    out: dict[str, Any] = {"quads": len(s), "article_quads": count("?s ?p ?o"),
                           "articles": count("?s a edu:Article")}  # fmt: skip
    out.update({name: count(pattern) for name, pattern in COUNTS.items()})
    return out


def _build(inputs: Sequence[Path], store: Path) -> None:
    shutil.rmtree(store, ignore_errors=True)
    kg = Path(sys.executable).with_name("kg")
    subprocess.run([str(kg), "build", *map(str, inputs), "--store", str(store), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)


def _row(counts: dict[str, Any], nbytes: int) -> dict[str, Any]:
    n = counts["articles"] or 1
    row = {"articles": counts["articles"], "kb_per_article": round(nbytes / n / 1000, 2),
           "quads_per_kb": round(counts["quads"] / (nbytes / 1000), 1),
           "article_quads_per_kb": round(counts["article_quads"] / (nbytes / 1000), 1),
           "quads_per_article": round(counts["quads"] / n, 1)}  # fmt: skip
    row.update({f"{k}_per_article": round(counts[k] / n, 2) for k in COUNTS})
    return row


def measure_kind(density: str, n: int, workdir: Path, *, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per language: the :func:`_row` figures of ``n`` articles (both languages) of ``density``."""
    cdir = workdir / f"corpus-s{seed}-n{n}-{density}"
    shutil.rmtree(cdir, ignore_errors=True)
    counts = corpus.write_corpus(cdir, n, seed=seed, density=density)
    out = {}
    for lang in ("en", "zh"):
        store = workdir / f"store-{density}-{lang}"
        _build([cdir / lang], store)
        out[lang] = _row(store_counts(store), counts[f"bytes_{lang}"])
    return out


def measure_seeds(workdir: Path) -> dict[str, dict[str, Any]]:
    """The same figures for each seed article, one store each."""
    out = {}
    for path in sorted((REPO / "seeds").glob("*.txt")):
        store = workdir / f"store-seed-{path.stem}"
        _build([path], store)
        out[path.name] = _row(store_counts(store), len(path.read_bytes()))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m bench.density", description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--kinds", default=",".join(corpus.DENSITIES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", action="store_true", help="also measure the seed articles")
    p.add_argument("--distinct", type=int, default=0, help="only the distinct-sentence share over N articles")
    p.add_argument("--workdir", type=Path)
    args = p.parse_args(argv)
    if args.distinct:
        result: dict[str, Any] = {kind: distinct_share(args.distinct, seed=args.seed, density=kind)
                                  for kind in args.kinds.split(",")}  # fmt: skip
        print(json.dumps(result, indent=1))
        return result
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="edukg-density-"))
    result = {kind: measure_kind(kind, args.articles, workdir, seed=args.seed) for kind in args.kinds.split(",")}
    if args.seeds:
        result["seeds"] = measure_seeds(workdir)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
