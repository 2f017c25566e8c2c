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


def test_store_replace_article_of_a_stored_article_is_one_update(tmp_path):
    """A stored article is replaced by one SPARQL Update (old or new graph, never neither); hostile
    literals (line breaks, quotes, braces, the graph's own IRI followed by " .") survive it."""
    st = kgstore.open_store(tmp_path / "s")
    a, g = f"{ID_NS}article/a1", f"{GRAPH_NS}article/a1"
    kgstore.replace_article(st, *_article(1))
    hostile = f'line\nbreak "quoted" }} {{ <{g}> .\n\\ end\t\u2028 <{g}> .'
    new = [Quad(NamedNode(a), NamedNode(EDU.contentHash), Literal("h2"), NamedNode(g)),
           Quad(NamedNode(a), NamedNode(EDU.text), Literal(hostile, language="zh"), NamedNode(g))]
    kgstore.replace_article(st, a, new)
    from pyoxigraph import RdfFormat, serialize
    kgstore.replace_article(st, a, serialize(new, format=RdfFormat.N_QUADS))  # the same, as N-Quads bytes
    assert set(st.quads_for_pattern(None, None, None, NamedNode(g))) == set(new)
    assert kgstore.article_hash(st, a) == "h2"


def test_store_replacing_an_article_never_shows_it_absent(tmp_path):
    """A reader polling while an article is replaced over and over always finds it (old or new)."""
    import threading

    st = kgstore.open_store(tmp_path / "s")
    a, quads = _article(1, "v0")
    body = [Quad(q.subject, NamedNode(EDU.value), Literal(str(i)), q.graph_name) for i in range(300) for q in quads[:1]]
    kgstore.replace_article(st, a, quads + body)
    done, seen = threading.Event(), []

    def poll():
        while not done.is_set():
            seen.append(kgstore.article_hash(st, a))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for n in range(60):
            _, new = _article(1, f"v{n + 1}")
            kgstore.replace_article(st, a, new + body)
    finally:
        done.set()
        reader.join()
    assert len(seen) > 100 and None not in seen, (len(seen), seen.count(None))
