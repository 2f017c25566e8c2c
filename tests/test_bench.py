"""Smoke tests of the benchmark harness (bench/): no speed assertions here, only that it works."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is a top-level folder, not installed

from bench import corpus  # noqa: E402
from bench.http import percentile  # noqa: E402
from bench.report import render  # noqa: E402
from bench.run import parse_args, run  # noqa: E402


def test_bench_corpus_is_deterministic_and_prefix_stable():
    first = list(corpus.iter_corpus(30, seed=5))
    assert first == list(corpus.iter_corpus(30, seed=5))
    assert list(corpus.iter_corpus(10, seed=5)) == first[:10]
    assert first != list(corpus.iter_corpus(30, seed=6))


def test_bench_corpus_is_varied_and_bilingual():
    arts = list(corpus.iter_corpus(200, seed=0))
    langs = {a["language"] for a in arts}
    titles = {a["title"] for a in arts}
    assert langs == {"en", "zh"}
    assert len(titles) > 150  # different districts
    zh = [a for a in arts if a["language"] == "zh"]
    assert all(any(ch in a["text"] for ch in "区县市旗") for a in zh)
    assert sum("教育集团" in a["text"] for a in zh) == len(zh)
    assert any(pol_zh in a["text"] for a in zh for _, pol_zh in corpus.policies())


def test_bench_corpus_places_come_from_cpca():
    places = corpus.places()
    assert len(places) > 2000
    assert all(p.zh != p.city_zh and p.en and p.city_en for p in places)


def test_bench_written_corpus_reads_back_through_ingest(tmp_path):
    from kg.ingest import iter_input_files, read_file

    counts = corpus.write_corpus(tmp_path, 12, seed=1)
    items = [a for f in iter_input_files([tmp_path / "en", tmp_path / "zh"]) for a in read_file(f)]
    assert len(items) == counts["articles"] == 12
    assert all(hasattr(a, "text") for a in items), [str(a) for a in items if not hasattr(a, "text")]
    assert len({a.id for a in items}) == 12
    assert {a.lang for a in items} == {"en", "zh"}


def test_bench_percentile():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 99) == pytest.approx(1.99)


@pytest.mark.slow
def test_bench_tiny_session_writes_a_report(tmp_path):
    out = tmp_path / "R.md"
    args = parse_args(["--sizes", "4", "--workdir", str(tmp_path / "w"), "--out", str(out),
                       "--skip", "jobs,floor,http,profile"])
    results = run(args)
    assert results["errors"] == {}
    assert results["build"][0]["added"] == 4 and results["build"][0]["quads"] > 0
    text = out.read_text(encoding="utf-8")
    assert "# edukg benchmark report" in text and "Build throughput" in text and "cores" in text
    assert json.loads(out.with_suffix(".json").read_text())["build"][0]["size"] == 4


def test_bench_report_renders_every_section():
    env = {"cpu": "c", "cores": 2, "memory_gib": 1, "os": "o", "python": "3", "packages": {}, "wrk": "-",
           "git": "g", "load_avg": [0, 0, 0]}
    build = {"size": 10, "langs": "en+zh", "jobs": 1, "added": 10, "skipped": 0, "quads": 100, "seconds": 2.0,
             "peak_rss_mib": 50.0, "stages": {"extract": 1.0, "write": 0.2}, "command": "python -m bench.build"}
    lat = {"rps": 10.0, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0, "loadgen": "python"}
    results = {
        "environment_start": env, "environment_end": env, "errors": {"x": "boom"},
        "build": [build], "jobs": [build, {**build, "jobs": 2, "seconds": 1.0}],
        "floor": {"articles": 5, "mb": 1.0, "jieba": {"seconds": 1.0, "mb_per_s": 1.0}, "build": build,
                  "build_mb_per_s": 0.5, "ratio": 0.5},
        "queries": [{"query": "q", "params": "", "bound": "", "rows": 1, "median_ms": 1.0, "min_ms": 0.5}],
        "http": {"quads": 100, "label": '"x"', "commands": {"a": "cmd"}, "scenarios": [
            {"scenario": "s", "rows": {}, "native": [lat], "kg": [lat], "ratio": [1.0]}]},
        "profile": {"web": [{"function": "f", "where": "w:1", "self_s": 1.0, "share": 1.0}]},
    }
    text = render(results, ["--sizes", "10"])
    for heading in ("Build throughput", "--jobs 2", "jieba", "Named queries", "HTTP", "Profiles", "failed"):
        assert heading in text
    assert "**2.00×**" in text


def test_bench_scale_renders_checkpoints():
    from bench.scale import render

    result = {"seconds": 100.0, "added": 2000, "quads": 10, "stages": {"write": 25.0}, "checkpoints": [
        {"articles": 1000, "seconds": 50.0, "window_articles_per_s": 20.0, "window_write_share": 0.25,
         "rss_mib": 700.0},
        {"articles": 2000, "seconds": 100.0, "window_articles_per_s": 20.0, "window_write_share": 0.25,
         "rss_mib": 710.0}]}
    text = render(result, "python -m bench.build X 2 Y")
    assert "2,000 articles" in text and "| 2000 | 100.0 | 20.0 | 25 % | 710.0 |" in text
    assert "store write 25 %" in text


def test_bench_corpus_realistic_articles_are_seed_sized_and_dense_ones_small():
    for i in range(60):
        real, dense = corpus.make_article(i, seed=2), corpus.make_article(i, seed=2, density="dense")
        assert 5_000 <= len(real["text"].encode()) <= 16_500
        assert len(dense["text"].encode()) < 5_000
        assert {k: real[k] for k in ("title", "date", "url", "language")} == \
            {k: dense[k] for k in ("title", "date", "url", "language")}
    with pytest.raises(ValueError):
        corpus.make_article(0, density="sparse")


def test_bench_corpus_both_densities_carry_the_same_fact_sentences():
    import re

    for i in range(40):
        real, _ = corpus.compose(i, seed=4)
        dense, filler = corpus.compose(i, seed=4, density="dense")
        body = dense["text"].split("\n\n", 1)[1]
        for sentence in filler:
            body = body.replace(sentence, "\n")
        facts = [f.strip() for f in re.split(r"(?<=[.。])\s*|\n", body) if len(f.strip()) > 3]
        assert len(facts) >= 9
        missing = [f for f in facts if f not in real["text"]]
        assert not missing, missing


def test_bench_corpus_filler_is_varied_and_names_no_policy():
    import re

    from bench.density import distinct_share

    share = distinct_share(300, seed=7)
    assert share["sentences"] > 300 * 30 and share["share_en"] > 0.9 and share["share_zh"] > 0.9
    assert distinct_share(50, seed=7, density="dense")["share"] < 0.1
    with (corpus.REPO / "ontology" / "policies.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    zh_names = {n for r in rows for n in [r["zh"], *r["zh_aliases"].split("|")] if n}
    en_names = {n.lower() for r in rows for n in [r["en"].strip('"'), *r["en_aliases"].split("|")] if len(n) > 3}
    for i in range(150):
        rec, filler = corpus.compose(i, seed=7)
        text = " ".join(filler).lower()
        if rec["language"] == "zh":
            hits = [n for n in zh_names if n in text]
        else:  # whole words: a place such as Shuangjiang is not the ShuangJian policy
            hits = [n for n in en_names if re.search(rf"\b{re.escape(n)}\b", text)]
        assert not hits, (i, hits)


def test_bench_run_corpus_dir_names_the_density(tmp_path):
    from bench.run import _corpus_dir

    args = parse_args(["--workdir", str(tmp_path), "--corpus-density", "dense"])
    assert parse_args([]).corpus_density == "realistic"
    dense = _corpus_dir(args, 3)
    args.corpus_density = "realistic"
    real = _corpus_dir(args, 3)
    assert dense.name == "corpus-s0-z0.5-n3-dense" and real.name == "corpus-s0-z0.5-n3-realistic"
    size = {d: sum(p.stat().st_size for p in d.rglob("*.jsonl")) for d in (dense, real)}
    assert size[real] > 2 * size[dense]
