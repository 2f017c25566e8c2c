"""`kg build` with bulk batches (the default) killed at random moments never leaves half an article.

Each batch goes to Oxigraph's bulk loader in one call, content hashes included, and the loader
ingests it in one step: after any kill, every article graph in the store equals the one an
uninterrupted transactional build writes, or is absent; none lacks its content hash; the loader's
unfinished files are cleaned up when the store is next opened; and the re-run dumps exactly like
the transactional build.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg import store as kgstore

KG = [sys.executable, "-m", "kg.cli"]
ARTICLES = 60


def _dump(path: Path) -> bytes:
    out = io.BytesIO()
    kgstore.dump(kgstore.open_store(path), out, "nquads")
    return out.getvalue()


def _graphs(path: Path) -> dict[str, frozenset[str]]:
    """Article graph IRI -> its quads (N-Quads lines)."""
    st = kgstore.open_store(path)
    try:
        out: dict[str, set[str]] = {}
        for q in st:
            if "/graph/article/" in q.graph_name.value:
                out.setdefault(q.graph_name.value, set()).add(str(q))
        return {g: frozenset(qs) for g, qs in out.items()}
    finally:
        del st


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    from bench.corpus import write_corpus

    folder = tmp_path_factory.mktemp("bulk-corpus")
    write_corpus(folder, ARTICLES, seed=3)
    return folder


def _build(store: Path, corpus: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*KG, "build", "--quiet", "--store", str(store), *extra, str(corpus)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_bulk_build_killed_leaves_whole_articles_and_rerun_equals_transactional(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_BULK_BATCH", "5000")  # a dozen bulk loads in the corpus
    ref = tmp_path / "ref"
    started = time.monotonic()
    assert _build(ref, corpus, "--transactions").wait() == 0
    seconds = time.monotonic() - started
    ref_graphs = _graphs(ref)
    assert len(ref_graphs) == ARTICLES
    seed = int(os.environ.get("KG_HARDENING_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    store = tmp_path / "bulk"
    states = []
    for _ in range(24):
        proc = _build(store, corpus)
        time.sleep(rnd.uniform(0.5, 0.8 * seconds))
        proc.send_signal(signal.SIGKILL)
        if proc.wait() == 0:  # finished first: start again from an empty store
            shutil.rmtree(store)
            continue
        stray = sorted(p.name for p in store.glob("bulk-*.sst"))
        graphs = _graphs(store)  # opens the store read-write, as the next build would
        assert not list(store.glob("bulk-*.sst")), f"loader files left after opening: {stray}"
        for graph, quads in graphs.items():
            assert quads == ref_graphs[graph], f"{graph}: {len(quads)} of {len(ref_graphs[graph])} quads (seed {seed})"
        st = kgstore.open_store(store)
        hashed = sum("/id/article/" in iri for iri in kgstore.article_graphs(st))
        del st
        assert hashed == len(graphs), f"article graphs without a content hash (seed {seed})"
        if len(graphs) == ARTICLES:  # killed after the articles (in the analysis): start over
            shutil.rmtree(store)
            continue
        states.append((len(graphs), len(stray)))
        if len(states) == 4:
            break
    print(f"after kills (whole articles stored, loader files cleaned up): {states}; seed {seed}")
    assert states, "no kill landed while articles were being written"
    final = _build(store, corpus)
    assert final.wait() == 0, final.stderr.read().decode()[-2000:]
    assert _dump(store) == _dump(ref), f"seed {seed}"
