"""Mapping: one mention evidence record per (entity, wording); the article page shows every occurrence."""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

from kg.config import Settings
from kg.pipeline import build
from kg.store import open_store, rows
from kg.web import create_app
from kg.web.pages import evidence_spans

ID = "https://w3id.org/edukg/id/"
TEXT = (
    "Xicheng District reforms its schools\n\n"
    "Xicheng District in Beijing set up the Beijing No. 8 Middle School Education Group. "
    "Xicheng District added 2,000 school places in 2023. "
    "The Xicheng District Education Commission said Xicheng District will continue.\n"
)


def _store(tmp_path):
    src = tmp_path / "xicheng.txt"
    src.write_text(TEXT, encoding="utf-8")
    build([src], tmp_path / "store")
    return tmp_path / "store"


def test_mapping_one_mention_evidence_per_entity_and_wording(tmp_path):
    store = open_store(_store(tmp_path), read_only=True)
    found = rows(store, """SELECT ?e ?quote (COUNT(?ev) AS ?n) (MIN(?start) AS ?first) WHERE {
        ?ev rdf:predicate edu:mentions ; rdf:object ?e ; edu:quote ?quote ; edu:startOffset ?start }
        GROUP BY ?e ?quote""")
    assert found, "no mention evidence"
    assert all(r["n"] == "1" for r in found), found
    district = [r for r in found if r["quote"] == "Xicheng District"]
    assert len(district) == 1
    assert int(district[0]["first"]) == TEXT.index("Xicheng District")  # the first occurrence is the one kept


def test_mapping_article_page_links_every_occurrence(tmp_path):
    store = open_store(_store(tmp_path), read_only=True)
    district = rows(store, """SELECT ?e WHERE { ?ev rdf:predicate edu:mentions ; rdf:object ?e ;
        edu:quote "Xicheng District" }""")[0]["e"]
    article = NamedNode(rows(store, "SELECT ?a WHERE { ?a a edu:Article }")[0]["a"])
    spans = evidence_spans(store, article, TEXT)
    linked = {(s, e) for s, e, target, kind in spans if target == district and kind == "mention"}
    every = {(m.start(), m.end()) for m in re.finditer("Xicheng District", TEXT)}
    assert linked == every and len(every) == 5
    page = create_app(Settings(store=str(tmp_path / "store"))).test_client().get(
        "/id/" + article.value[len(ID):], headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'class="article-text"' in page.get_data(as_text=True)


HOSTILE = (
    'Say "hi" \\ back\\slash\n\n'
    'The "Quoted" District\\Bureau in Beijing\tmet\r\non 2023年; 北京市海淀区\u202e教育局 said 50% of '
    "schools {x} <y> joined the Beijing No. 8 Middle School Education Group \U0001f600.\n"
)


def test_mapping_nquads_are_what_pyoxigraph_serialises(tmp_path):
    """``to_nquads`` (what the build writes) equals ``serialize(to_quads(...))`` byte for byte, on every
    seed and held-out article and on text with quotes, backslashes, tabs, CR, bidi and astral characters."""
    from pathlib import Path

    from pyoxigraph import RdfFormat, serialize

    from kg.ingest import iter_input_files, read_file
    from kg.mapping import to_nquads, to_quads
    from kg.model import Article
    from kg.pipeline import process_article

    root = Path(__file__).resolve().parent
    hostile = tmp_path / 'odd "name" \\ x.txt'
    hostile.write_text(HOSTILE, encoding="utf-8")
    inputs = [root.parent / "seeds", *sorted((root / "data").glob("unseen_*")), hostile]
    articles = [a for f in iter_input_files(inputs) for a in read_file(f) if isinstance(a, Article)]
    assert len(articles) >= 8
    for article in articles:
        res = process_article(article)
        expected = serialize(to_quads(res), format=RdfFormat.N_QUADS)
        assert to_nquads(res) == expected, article.source_file
    assert any(b'\\"' in to_nquads(process_article(a)) for a in articles)  # escaping was exercised
