"""Named queries: header parsing, safe binding, and a sweep over every queries/*.rq."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store

from kg.errors import NotFoundError, QueryError
from kg.queries import bind_params, get_query, load_queries, parse_named_query, to_term
from kg.store import rows

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
QUERIES = load_queries(REPO / "queries")
REFERENCE = load_queries(DATA / "queries_reference")  # the texts before the issue-7 rewrite
ID = "https://w3id.org/edukg/id/"
SAMPLE_PARAMS = {
    "group": ID + "educationgroup/beijing-no-4-group",
    "district": ID + "district/beijing-xicheng",
    "entity": ID + "school/beijing-no-4-high-school",
    "measure": "学位",
    "s": ID + "educationgroup/beijing-no-4-group",
    "p": "edu:leadSchool",
    "o": ID + "school/beijing-no-4-high-school",
}


@pytest.fixture(scope="module")
def mini_store() -> Store:
    store = Store()
    store.load(path=str(DATA / "web_mini.trig"), format=RdfFormat.TRIG)
    return store


def test_queries_at_least_twelve_with_headers():
    assert len(QUERIES) >= 12
    for q in QUERIES.values():
        assert q.title and q.title != q.name, q.name
        assert q.description, q.name


def test_queries_evidence_declares_s_p_o():
    assert QUERIES["evidence"].params == ("s", "p", "o")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_queries_every_query_runs_on_mini_store(name, mini_store):
    query = QUERIES[name]
    subs = bind_params(query, {p: SAMPLE_PARAMS[p] for p in query.params})
    result = rows(mini_store, query.text, substitutions=subs)
    assert isinstance(result, list)
    for param in subs:  # pyoxigraph needs bound variables projected; the value comes back
        assert all(r.get(param) == subs[param].value for r in result), param


def test_queries_evidence_returns_exact_quote_and_offsets(mini_store):
    query = QUERIES["evidence"]
    subs = bind_params(query, {p: SAMPLE_PARAMS[p] for p in "spo"})
    (row,) = rows(mini_store, query.text, substitutions=subs)
    text = rows(mini_store, f"SELECT ?t WHERE {{ <{row['article']}> edu:text ?t }}")[0]["t"]
    assert text[int(row["start"]) : int(row["end"])] == row["quote"] == "led by Beijing No. 4 High School"
    assert row["quote"] in row["sentence"]


def test_queries_binding_is_not_text_substitution(mini_store):
    """A value that looks like SPARQL is just a literal: nothing is injected."""
    query = QUERIES["compare_districts"]
    evil = '") } } SELECT * WHERE { ?s ?p ?o } #'
    subs = bind_params(query, {"measure": evil})
    assert subs["measure"] == Literal(evil)
    assert rows(mini_store, query.text, substitutions=subs) == []


def test_queries_compare_districts_finds_chinese_measure(mini_store):
    query = QUERIES["compare_districts"]
    result = rows(mini_store, query.text, substitutions=bind_params(query, {"measure": "学位"}))
    assert [(r["district"], r["total"]) for r in result] == [(SAMPLE_PARAMS["district"], "1200")]


def test_queries_groups_lists_lead_and_members(mini_store):
    (row,) = rows(mini_store, QUERIES["groups"].text)
    assert row["leadSchool"] == SAMPLE_PARAMS["o"]
    assert row["members"] == "2"


def test_queries_missing_param_is_query_error():
    with pytest.raises(QueryError, match="missing parameter"):
        bind_params(QUERIES["evidence"], {"s": "x"})


def test_queries_optional_param_marker():
    q = parse_named_query("x", "# title: X\n# params: district year?\nSELECT * {}")
    assert q.params == ("district", "year") and q.optional == {"year"}
    assert bind_params(q, {"district": "id:district/a"}) == {"district": NamedNode(ID + "district/a")}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<https://example.org/x>", NamedNode("https://example.org/x")),
        ("https://example.org/x", NamedNode("https://example.org/x")),
        ("edu:School", NamedNode("https://w3id.org/edukg/ontology#School")),
        ("2021", Literal("2021", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
        ("1.5", Literal("1.5", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))),
        ("北京四中", Literal("北京四中")),
        ("nope:thing", Literal("nope:thing")),
    ],
)
def test_queries_to_term(value, expected):
    assert to_term(value) == expected


def test_queries_unknown_or_unsafe_name(tmp_path):
    with pytest.raises(NotFoundError):
        get_query(REPO / "queries", "no_such_query")
    with pytest.raises(NotFoundError):
        get_query(REPO / "queries", "../pyproject")


# --- the rewritten queries answer exactly what the plain texts in tests/data/queries_reference did ---

sys.path.insert(0, str(REPO))  # bench/ is a top-level folder, not installed
from bench.queries import canonical, samples_as_min  # noqa: E402


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    """A 60-article bench corpus (both languages) built on disk: groups, shared schools, figures."""
    from bench import corpus
    from kg.pipeline import build
    from kg.store import open_store

    src = tmp_path_factory.mktemp("synthetic")
    corpus.write_corpus(src, 60, seed=3)
    build([src / "en", src / "zh"], src / "store")
    return open_store(src / "store", read_only=True)


EDGES = """
@prefix edu: <https://w3id.org/edukg/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix id: <https://w3id.org/edukg/id/> . @prefix g: <https://w3id.org/edukg/graph/> .
@prefix prov: <http://www.w3.org/ns/prov#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
g:a1 { id:a1 a edu:Article ; dcterms:title "One"@en ; dcterms:date "2021-01-01" ;
           edu:mentions id:d1, id:g1, id:s1, id:p1 .
       id:d1 a edu:District ; rdfs:label "D1"@en, "区一"@zh . id:g1 a edu:EducationGroup .
       id:s1 a edu:School ; edu:locatedIn id:d1 ; edu:memberOf id:g2 ; edu:implements id:p1 .
       id:p1 a edu:Policy ; rdfs:label "P1"@en .
       id:o1 a edu:Observation ; edu:about id:d1 ; edu:measure "new places" ; edu:value 10 ;
           prov:wasDerivedFrom id:a1 . }
g:a2 { id:a2 a edu:Article ; edu:mentions id:d1, id:d2, id:s1 .
       id:d1 a edu:District ; rdfs:label "D1"@en . id:d2 a edu:District .
       id:s1 a edu:School ; rdfs:label "S1"@en ; edu:locatedIn id:d1 ; edu:memberOf id:g2, id:g3 .
       id:g2 a edu:EducationGroup ; rdfs:label "G2"@en ; edu:leadSchool id:s1 .
       id:s2 edu:memberOf id:g2 ; edu:locatedIn id:d2 .
       id:o2 a edu:Observation ; edu:about id:s1 ; edu:measure "new places" ; edu:value 5 ; edu:year "2021"^^xsd:gYear .
       id:o1 edu:about id:d1 ; edu:value 10 . }
"""


@pytest.fixture(scope="module")
def edge_store() -> Store:
    """Hand-made corner cases: a group without members or label, an unlabelled member, a district
    with no schools, one statement repeated in two article graphs, a figure with no year."""
    store = Store()
    store.load(EDGES.encode(), format=RdfFormat.TRIG)
    return store


@pytest.fixture(scope="module")
def seeds_store(seed_store_path):
    from kg.store import open_store

    return open_store(seed_store_path, read_only=True)


def _order_keys(text: str) -> list[str]:
    """Output variables of the final ORDER BY (``?x``, ``DESC(?x)``)."""
    clause = re.findall(r"^ORDER BY (.*)$", text, re.M)[-1]
    return re.findall(r"\?(\w+)", clause)


def _bindings(store, name: str) -> list[dict]:
    """Parameter values to compare a query with: a few real terms of the store (or none)."""
    params = REFERENCE[name].params
    if not params:
        return [{}]
    if params == ("measure",):
        return [{"measure": Literal(v)} for v in ("", "学位", "teachers", "kindergarten", "no such measure")]
    if params == ("district",):
        q = "SELECT DISTINCT ?d WHERE { ?d a edu:District } ORDER BY ?d LIMIT 6"
        return [{"district": NamedNode(r["d"])} for r in rows(store, q)] or [{}]
    raise AssertionError(f"no sample values for {name}: {params}")


def _same_answer(store, name: str) -> int:
    """Assert that ``queries/NAME.rq`` and its reference text agree on ``store``; returns rows seen."""
    old, new = REFERENCE[name].text, QUERIES[name].text
    both = old + "\n" + new
    seen = 0
    for subs in _bindings(store, name):
        # exact: SAMPLE read as MIN in both texts, so the picked labels are compared too
        want = rows(store, samples_as_min(old), substitutions=subs or None)
        got = rows(store, samples_as_min(new), substitutions=subs or None)
        assert canonical(both, got) == canonical(both, want), (name, subs)
        keys = _order_keys(old)
        assert [[r.get(k) for k in keys] for r in got] == [[r.get(k) for k in keys] for r in want], (name, "order")
        # as shipped: SAMPLE may pick any value, but the same rows and the same bound cells come back
        shipped = rows(store, new, substitutions=subs or None)
        assert canonical(both, shipped) == canonical(both, rows(store, old, substitutions=subs or None)), name
        seen += len(want)
    return seen


def test_queries_every_rewrite_has_its_reference():
    assert set(REFERENCE) <= set(QUERIES)
    for name, ref in REFERENCE.items():
        assert QUERIES[name].params == ref.params, name
        assert QUERIES[name].title == ref.title, name


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_queries_rewrite_same_rows_on_seeds(name, seeds_store):
    _same_answer(seeds_store, name)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_queries_rewrite_same_rows_on_synthetic_corpus(name, synthetic_store):
    assert _same_answer(synthetic_store, name) > 0, name  # the corpus gives every query something to return


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_queries_rewrite_same_rows_on_mini_store(name, mini_store):
    _same_answer(mini_store, name)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_queries_rewrite_same_rows_on_corner_cases(name, edge_store):
    _same_answer(edge_store, name)


def test_queries_groups_without_members_count_zero(edge_store):
    result = {r["group"].rsplit("/", 1)[-1]: r for r in rows(edge_store, QUERIES["groups"].text)}
    assert result["g1"]["members"] == "0" and "memberSchools" not in result["g1"]
    assert "memberSchools" not in result["g2"]  # an unlabelled member: GROUP_CONCAT has no value, as before
    assert result["g2"]["members"] == "2"
