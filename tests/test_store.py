from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg import store as kgstore
from kg.errors import ConfigError, QueryError
from kg.vocab import EDU, GRAPH_NS, ID_NS


def _article(n: int, text: str = "x") -> tuple[str, list[Quad]]:
    a = f"{ID_NS}article/a{n}"
    g = NamedNode(f"{GRAPH_NS}article/a{n}")
    return a, [
        Quad(NamedNode(a), NamedNode(EDU.contentHash), Literal(f"h{text}"), g),
        Quad(NamedNode(a), NamedNode(EDU.text), Literal(text), g),
    ]


def test_store_replace_article_replaces_only_that_graph(tmp_path):
    st = kgstore.open_store(tmp_path / "s")
    for n in range(3):
        kgstore.replace_article(st, *_article(n))
    kgstore.replace_article(st, *_article(1, "new"))
    assert kgstore.article_graphs(st) == {f"{ID_NS}article/a0": "hx", f"{ID_NS}article/a1": "hnew",
                                          f"{ID_NS}article/a2": "hx"}
    assert len(st) == 6


def test_store_bulk_add_articles_writes_whole_articles_and_cleans_loader_files(tmp_path):
    """Bulk batches carry their content hashes; loader files a killed load left are removed on open."""
    st = kgstore.open_store(tmp_path / "s")
    kgstore.bulk_add_articles(st, [_article(n) for n in range(3)])
    kgstore.bulk_add_articles(st, [_article(1, "new")])  # a stored article given to the loader is replaced
    assert kgstore.article_graphs(st) == {f"{ID_NS}article/a0": "hx", f"{ID_NS}article/a1": "hnew",
                                          f"{ID_NS}article/a2": "hx"}
    assert len(st) == 6
    with pytest.raises(ValueError):
        kgstore.bulk_add_articles(st, [(f"{ID_NS}article/other", _article(0)[1])])
    del st
    (tmp_path / "s" / "bulk-123.sst").write_bytes(b"half written")
    st = kgstore.open_store(tmp_path / "s")
    assert not (tmp_path / "s" / "bulk-123.sst").exists() and len(st) == 6
    assert kgstore.remove_stray_bulk_files(tmp_path / "s") == []


def test_store_replace_article_rejects_foreign_graph(tmp_path):
    st = kgstore.open_store(tmp_path / "s")
    a, quads = _article(0)
    with pytest.raises(ValueError):
        kgstore.replace_article(st, f"{ID_NS}article/other", quads)


def test_store_syntax_error_keeps_position():
    with pytest.raises(QueryError) as info:
        kgstore.run_query(kgstore.open_store(None), "SELECT ?x WHERE { ?x ?y }")
    assert "1" in str(info.value) or info.value.lineno


def test_store_backup_and_restore_roundtrip(tmp_path):
    st = kgstore.open_store(tmp_path / "s")
    for n in range(3):
        kgstore.replace_article(st, *_article(n))
    del st
    assert kgstore.backup(tmp_path / "s", tmp_path / "b") == 6
    with pytest.raises(ConfigError):
        kgstore.backup(tmp_path / "s", tmp_path / "b")
    assert kgstore.restore(tmp_path / "b", tmp_path / "r") == 6


def test_store_dump_nquads_sorted_and_union_turtle(tmp_path):
    import io

    st = kgstore.open_store(None)
    for n in (2, 0, 1):
        kgstore.replace_article(st, *_article(n))
    out = io.BytesIO()
    kgstore.dump(st, out, "nquads")
    lines = out.getvalue().decode().splitlines()
    assert lines == sorted(lines) and len(lines) == 6
    out = io.BytesIO()
    kgstore.dump(st, out, "turtle")
    assert b"contentHash" in out.getvalue()


def test_store_totals_agree_with_stats(seed_store_path):
    """The build summary's quick counts equal the full statistics' (entities: the entity kinds only)."""
    st = kgstore.open_store(seed_store_path, read_only=True)
    full = kgstore.stats(st)
    assert kgstore.totals(st) == {"entities": full["entities"], "quads": full["quads"]}
    assert full["entities"] > 50
