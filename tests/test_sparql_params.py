"""Query parameters written into the pattern (kg.sparql_params) answer exactly like pyoxigraph substitutions."""

from __future__ import annotations

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Variable

from kg.config import REPO
from kg.errors import QueryError
from kg.queries import load_queries
from kg.sparql_params import inline
from kg.store import open_store, rows, run_query
from kg.vocab import PREFIXES

NAMED = load_queries(REPO / "queries")


def _solutions(result) -> list[tuple]:
    """Rows in order; a GROUP_CONCAT ("a | b") as the set of its parts (SPARQL leaves their order open)."""
    names = [v.value for v in result.variables]
    out = []
    for sol in result:
        row = []
        for n in names:
            term = sol[n]
            text = "" if term is None else str(term)
            joined = isinstance(term, Literal) and " | " in term.value
            row.append(tuple(sorted(term.value.split(" | "))) if joined else text)
        out.append(tuple(row))
    return out


def _substituted(store, text: str, subs: dict) -> list[str]:
    """The reference: pyoxigraph's own substitutions on the untouched text."""
    return _solutions(store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True,
                                  substitutions={Variable(k): v for k, v in subs.items()}))


@pytest.fixture(scope="module")
def store(seed_store_path):
    return open_store(seed_store_path, read_only=True)


def _values(store) -> dict[str, list]:
    """Real parameter values from the seed store: entities, groups, districts, facts, measures."""
    ents = [NamedNode(r["e"]) for r in rows(store, "SELECT DISTINCT ?e WHERE { ?a edu:mentions ?e } ORDER BY ?e")]
    facts = rows(store, "SELECT DISTINCT ?s ?p ?o WHERE { ?s edu:memberOf|edu:locatedIn ?o ; ?p ?o } "
                        "ORDER BY ?s ?p ?o LIMIT 6")
    measures = [Literal(r["m"], language=r.get("l") or None) for r in rows(
        store, "SELECT DISTINCT ?m (LANG(?x) AS ?l) WHERE { ?obs edu:measure ?x BIND(STR(?x) AS ?m) } "
               "ORDER BY ?m LIMIT 4")]
    return {"entities": ents, "facts": facts, "measures": measures}


def test_sparql_params_every_named_query_with_parameters_is_inlined():
    """Each parameterised named query takes the fast path (a scanner regression fails here)."""
    with_params = [q for q in NAMED.values() if q.params]
    assert len(with_params) >= 4
    for q in with_params:
        subs = {p: NamedNode("https://w3id.org/edukg/id/x") for p in q.params}
        text = inline(q.text, subs)
        assert text is not None, q.name
        assert "<https://w3id.org/edukg/id/x>" in text and f"AS ?{q.params[0]})" in text, q.name


def test_sparql_params_named_queries_answer_like_substitutions(store):
    values = _values(store)
    assert len(values["entities"]) > 20 and values["facts"] and values["measures"]
    checked = 0
    for q in NAMED.values():
        if not q.params:
            continue
        cases: list[dict] = []
        if set(q.params) == {"s", "p", "o"}:
            cases = [{k: NamedNode(f[k]) for k in "spo"} for f in values["facts"]]
        elif q.params == ("measure",):
            cases = [{"measure": m} for m in values["measures"]] + [{"measure": Literal("no such measure")}]
        else:
            cases = [{q.params[0]: e} for e in values["entities"][::3]]
        for subs in cases:
            ours = _solutions(run_query(store, q.text, substitutions=subs))
            assert ours == _substituted(store, q.text, subs), (q.name, subs)
            checked += bool(ours)
    assert checked >= 10  # most cases have rows, so equality is not trivially of empty results


def test_sparql_params_hostile_literal_stays_one_term(store):
    """A value full of SPARQL syntax is one literal: same (empty) answer, no error, no injection."""
    text = "SELECT ?x ?label WHERE { ?x rdfs:label ?label } ORDER BY ?x"
    for hostile in ['"} UNION { ?x ?p ?label } #', "x' . ?x ?p ?o . '", 'a\\" } ; DROP ALL ; {"', "?label"]:
        subs = {"label": Literal(hostile)}
        assert _solutions(run_query(store, text, substitutions=subs)) == [] == _substituted(store, text, subs)
    real = rows(store, "SELECT ?l WHERE { ?x rdfs:label ?l FILTER(LANG(?l) = 'zh') } ORDER BY ?l LIMIT 1")[0]["l"]
    subs = {"label": Literal(real, language="zh")}
    assert _solutions(run_query(store, text, substitutions=subs)) == _substituted(store, text, subs) != []


@pytest.mark.parametrize("text", [
    "SELECT ?e WHERE { { SELECT ?e WHERE { ?a edu:mentions ?e } } }",       # projected by a sub-select
    "SELECT ?e ?n WHERE { ?a edu:mentions ?e BIND(STRLEN(STR(?e)) AS ?n) } ORDER BY ?e",
    "SELECT ?a ?e WHERE { VALUES ?e { <https://w3id.org/edukg/id/x> } ?a edu:mentions ?e }",
    "PREFIX x: <http://x/#> SELECT ?a ?e WHERE { ?a edu:mentions ?e FILTER(STR(?e) != '#{?e}') }",
])
def test_sparql_params_other_shapes_answer_like_substitutions(store, text):
    e = NamedNode(rows(store, "SELECT ?e WHERE { ?a edu:mentions ?e } ORDER BY ?e LIMIT 1")[0]["e"])
    assert _solutions(run_query(store, text, substitutions={"e": e})) == _substituted(store, text, {"e": e})


def test_sparql_params_left_to_substitutions():
    """Shapes :func:`inline` must not touch: it returns None and pyoxigraph binds the variable."""
    e = NamedNode("http://x/e")
    assert inline("SELECT ?e WHERE { BIND(<http://x/y> AS ?e) }", {"e": e}) is None
    assert inline("SELECT ?x WHERE { ?x ?p ?o }", {"e": e}) is None  # not in the query
    assert inline("DESCRIBE ?e WHERE { ?e ?p ?o }", {"e": e}) is None
    assert inline("CONSTRUCT WHERE { ?e ?p ?o }", {"e": e}) is None
    assert inline("SELECT ?e WHERE { ?e ?p ?o }", {"e": BlankNode()}) is None
    text = inline("CONSTRUCT { ?e <http://x/q> ?o } WHERE { ?e ?p ?o }", {"e": e})
    assert text == "CONSTRUCT { ?e <http://x/q> ?o } WHERE { <http://x/e> ?p ?o  BIND(<http://x/e> AS ?e) }"


def test_sparql_params_unknown_variable_still_a_query_error(store):
    with pytest.raises((QueryError, RuntimeError)):
        run_query(store, "SELECT ?x WHERE { ?x ?p ?o }", substitutions={"nope": NamedNode("http://x/e")})
