"""Named queries: header parsing, safe binding, and a sweep over every queries/*.rq."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store

from kg.errors import NotFoundError, QueryError
from kg.queries import bind_params, get_query, load_queries, parse_named_query, to_term
from kg.store import rows

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
QUERIES = load_queries(REPO / "queries")
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
