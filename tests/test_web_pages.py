"""Registry sweeps over real data: every entity page, every named query, search by every label.

Runs on the shared hand-made ``tests/data/mini.trig`` and (marked slow) on the seed build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from kg.config import Settings
from kg.queries import load_queries
from kg.store import open_store, rows
from kg.web import create_app

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/edukg/id/"


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    if not (DATA / "mini.trig").is_file():
        pytest.skip("tests/data/mini.trig not present")
    path = tmp_path_factory.mktemp("pages") / "store"
    store = open_store(path)
    store.load(path=str(DATA / "mini.trig"), format=RdfFormat.TRIG)
    store.flush()
    del store
    return create_app(Settings(store=str(path))).test_client(), open_store(path, read_only=True)


def _subjects(store) -> list[str]:
    found = rows(store, f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }} ORDER BY ?s')
    return [r["s"] for r in found]


def test_web_pages_every_subject_has_html_and_turtle(mini):
    client, store = mini
    subjects = _subjects(store)
    assert subjects
    for iri in subjects:
        html = client.get("/id/" + iri[len(ID):], headers={"Accept": "text/html"})
        assert html.status_code == 200, iri
        ttl = client.get("/id/" + iri[len(ID):], headers={"Accept": "text/turtle"})
        assert ttl.status_code == 200 and ttl.data.strip(), iri


def test_web_pages_article_highlights_every_evidence_quote(mini):
    client, store = mini
    q = "SELECT DISTINCT ?a ?quote WHERE { ?e prov:wasDerivedFrom ?a ; edu:quote ?quote ; edu:startOffset ?s }"
    for r in rows(store, q):
        html = client.get("/id/" + r["a"][len(ID):]).get_data(as_text=True)
        text = html[html.index('class="article-text"'):]
        from markupsafe import escape

        assert str(escape(r["quote"])) in text and "</a>" in text


def test_web_pages_every_named_query_answers(mini):
    client, store = mini
    ev = rows(store, "SELECT ?s ?p ?o WHERE { ?e a edu:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; "
                     "rdf:object ?o FILTER(?p != edu:mentions) } LIMIT 1")
    any_of = {c: rows(store, f"SELECT ?x WHERE {{ ?x a edu:{c} }} LIMIT 1") for c in ("District", "EducationGroup")}
    sample = {"district": any_of["District"][0]["x"] if any_of["District"] else ID + "district/none",
              "group": any_of["EducationGroup"][0]["x"] if any_of["EducationGroup"] else ID + "x",
              "entity": ev[0]["s"] if ev else ID + "x", "measure": "学", **(ev[0] if ev else {})}
    for name, query in load_queries(REPO / "queries").items():
        r = client.get(f"/queries/{name}.json", query_string={p: sample[p] for p in query.params})
        assert r.status_code == 200, (name, r.json)
        if name == "evidence" and ev:
            assert r.json["rows"], "the evidence of an evidence record must be found"


def test_web_pages_search_finds_every_entity_by_each_label(mini):
    client, store = mini
    labels = rows(store, f"""SELECT DISTINCT ?e ?l WHERE {{ ?e rdfs:label|skos:altLabel ?l
        FILTER(STRSTARTS(STR(?e), "{ID}")) FILTER NOT EXISTS {{ ?e a edu:Article }} }}""")
    assert labels
    misses = []
    for r in labels:
        hits = client.get("/search", query_string={"q": r["l"], "format": "json", "limit": 5}).json["hits"]
        if r["e"] not in [h["iri"] for h in hits]:
            misses.append((r["l"], r["e"]))
    assert not misses


@pytest.mark.slow
def test_web_pages_seed_build_pages_render(seed_store_path, tmp_path):
    client = create_app(Settings(store=str(seed_store_path))).test_client()
    health = client.get("/healthz").json
    assert health["articles"] == 5
    store = open_store(seed_store_path, read_only=True)
    for iri in _subjects(store)[:400]:
        assert client.get("/id/" + iri[len(ID):], headers={"Accept": "text/html"}).status_code == 200, iri
    for name, query in load_queries(REPO / "queries").items():
        if not query.params:
            assert client.get(f"/queries/{name}.json").status_code == 200, name
