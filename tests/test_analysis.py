"""kg.analysis: store -> networkx graph -> reports, and the analysis named graph."""

from __future__ import annotations

import json
import re
import unicodedata

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat

from kg import analysis
from kg.analysis import Filters, load_graph
from kg.store import open_store, rows
from kg.vocab import ANALYSIS_GRAPH, ID_NS

from .conftest import DATA

HEXI = ID_NS + "district/hexi"
DONGCHENG = ID_NS + "district/dongcheng"
SHARED = ID_NS + "school/hexi-no-2-primary-school"


@pytest.fixture(scope="module")
def mini_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis") / "store"
    st = open_store(path)
    st.load(path=str(DATA / "analysis_mini.trig"), format=RdfFormat.TRIG)
    st.flush()
    del st
    return path


@pytest.fixture
def store(mini_path):
    return open_store(mini_path)


@pytest.fixture(scope="module")
def G(mini_path):
    return load_graph(open_store(mini_path, read_only=True))


def test_analysis_graph_nodes_and_edges_typed(G):
    assert G.number_of_nodes() == 15
    hexi = G.nodes[HEXI]
    assert (hexi["type"], hexi["label_en"], hexi["label_zh"], hexi["district"]) == (
        "District", "Hexi District", "河西区", HEXI)
    assert G.nodes[SHARED]["district"] == HEXI
    assert G.nodes[ID_NS + "person/wang-li"]["district"] == HEXI  # through the bureau it heads
    assert G.nodes[ID_NS + "policy/double-reduction"]["district"] == ""
    # the same fact in two articles is one edge with an article count of 2
    assert G.edges[HEXI, ID_NS + "city/riverton", "locatedIn"]["articles"] == 2
    assert {k for _, _, k in G.edges(keys=True)} <= set(analysis.RELATIONS)


def test_analysis_filters(store, G):
    only = load_graph(store, Filters(types=("School",)))
    assert {d["type"] for _, d in only.nodes(data=True)} == {"School"}
    assert only.number_of_nodes() == 5
    dong = load_graph(store, Filters(districts=("东城区",)))
    assert {d["district"] for n, d in dong.nodes(data=True) if d["type"] != "Policy"} == {DONGCHENG}
    assert ID_NS + "policy/double-reduction" in dong
    pol = load_graph(store, Filters(policies=("双减",)))
    assert set(pol) == {ID_NS + "policy/double-reduction", DONGCHENG,
                        ID_NS + "educationgroup/dongcheng-central-primary-school-education-group"}
    a2 = load_graph(store, Filters(articles=("a2.txt",)))
    assert ID_NS + "school/hexi-no-1-middle-school" not in a2
    assert a2.edges[HEXI, ID_NS + "city/riverton", "locatedIn"]["articles"] == 1
    assert load_graph(store, Filters(articles=("no-such-article",))).number_of_nodes() == 0


def test_analysis_groups_lead_members_districts_policies(G):
    frame = analysis.groups(G).set_index("group")
    g1 = frame.loc[ID_NS + "educationgroup/hexi-no-1-middle-school-education-group"]
    assert g1["lead_school"] == "Hexi No. 1 Middle School"
    assert g1["members"] == ["Hexi No. 1 Middle School", "Hexi No. 2 Primary School"]
    assert (g1["size"], g1["districts"], g1["policies"]) == (2, ["Hexi District"], ["county management, school hiring"])
    assert len(frame) == 3


def test_analysis_shared_schools_and_overlaps(G):
    shared = analysis.shared_schools(G)
    assert shared["school"].tolist() == [SHARED]
    assert shared["n_groups"].tolist() == [2]
    overlaps = analysis.group_overlaps(G)
    assert overlaps["shared"].tolist() == [["Hexi No. 2 Primary School"]]
    P = analysis.school_group_projection(G)
    assert P.number_of_nodes() == 3 and P.number_of_edges() == 1
    assert next(iter(P.edges(data="weight")))[2] == 1
    S = analysis.school_group_projection(G, onto="School")
    assert S.degree(SHARED) == 2
    with pytest.raises(ValueError):
        analysis.school_group_projection(G, onto="Policy")


def test_analysis_adoption_matrix(G):
    m = analysis.adoption_matrix(G)
    assert m.loc["东城区", "双减"] == 2  # the district and its group
    assert m.loc["Hexi District", "双减"] == 0
    assert m.loc["Hexi District", "county management, school hiring"] == 2


def test_analysis_centrality_matches_networkx(G):
    cent = analysis.centrality(G).set_index("node")
    H = analysis.simple_graph(G)
    assert cent.loc[HEXI, "pagerank"] == pytest.approx(nx.pagerank(H, weight="weight")[HEXI])
    assert cent.loc[HEXI, "betweenness"] == pytest.approx(nx.betweenness_centrality(H)[HEXI])
    assert set(cent["type"]) == set(analysis.ANALYSED_TYPES)
    assert cent.index[0] == HEXI  # the hub of the mini graph


def test_analysis_communities_seeded_and_partition(G):
    a = analysis.communities(G, seed=1)
    assert a == analysis.communities(G, seed=1)
    assert set(a) == set(G)
    parts = [{n for n, c in a.items() if c == k} for k in set(a.values())]
    assert nx.community.is_partition(analysis.simple_graph(G), parts)
    summary = analysis.community_summary(G, seed=1)
    assert summary["size"].sum() == G.number_of_nodes()
    assert 0 < summary.attrs["modularity"] < 1


def test_analysis_components(store, G):
    assert analysis.components(G)["size"].tolist() == [15]
    split = load_graph(store, Filters(types=("School", "EducationGroup")))
    assert analysis.components(split)["size"].tolist() == [5, 3]


def test_analysis_measures_compared_with_units(store, G):
    obs = analysis.observations(store, G)
    assert len(obs) == 4
    comp = analysis.compare_districts(obs, unit="place").set_index("district")
    assert comp.loc["Hexi District", "value"] == 1200  # repeated figure, not summed
    assert comp.loc["Hexi District", "reports"] == 2
    assert comp.loc["东城区", "value"] == 800
    every = analysis.compare_districts(obs)
    assert set(every["unit"]) == {"place", "yuan"}  # never added across units
    assert analysis.compare_districts(obs, measure="学位")["unit"].tolist() == ["place", "place"]


def test_analysis_graph_written_and_rebuilt(store):
    n = analysis.write_analysis_graph(store)
    q = f"SELECT ?s ?c WHERE {{ GRAPH <{ANALYSIS_GRAPH}> {{ ?s edu:community ?c }} }}"
    assert len(rows(store, q)) == 15 and n == 4 * 15 + 1  # four scores per node + the articles fingerprint
    # facts change: a new school joins; the rebuilt graph has it and nothing stale stays
    from pyoxigraph import NamedNode, Quad

    g = NamedNode("https://w3id.org/edukg/graph/article/a1")
    s = NamedNode(ID_NS + "school/new-school")
    store.add(Quad(s, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                   NamedNode("https://w3id.org/edukg/ontology#School"), g))
    store.add(Quad(s, NamedNode("https://w3id.org/edukg/ontology#locatedIn"), NamedNode(HEXI), g))
    analysis.write_analysis_graph(store)
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ANALYSIS_GRAPH}> {{ ?s edu:pageRank ?v }} }}"
    assert rows(store, q) == [{"n": "16"}]
    store.remove(Quad(s, NamedNode("https://w3id.org/edukg/ontology#locatedIn"), NamedNode(HEXI), g))
    store.remove(Quad(s, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      NamedNode("https://w3id.org/edukg/ontology#School"), g))
    analysis.write_analysis_graph(store)
    assert rows(store, q) == [{"n": "15"}]
    # the analysis graph never feeds back into the graph it is computed from
    assert load_graph(store).number_of_nodes() == 15


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_analysis_report_formats(store):
    sections = analysis.report(store)
    assert all(isinstance(v, pd.DataFrame) for v in sections.values())
    data = json.loads(analysis.render_report(sections, "json"))
    leads = {g["lead_school"] for g in data["groups"]}
    assert leads == {"Hexi No. 1 Middle School", "Hexi Experimental School", "东城区中心小学"}
    md = analysis.render_report(sections, "markdown")
    assert "## Education groups" in md
    assert re.search(r"^\| Hexi No\. 2 Primary School \| .*\| 2 \|$", md, re.M)
    text = analysis.render_report(sections, "table")
    assert "Education groups\n================" in text
    with pytest.raises(ValueError):
        analysis.render_report(sections, "yaml")


def test_analysis_cli(mini_path):
    from kg.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["analyze", "--store", str(mini_path), "--format", "json", "--type", "School",
                                  "--type", "EducationGroup"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"][0]["nodes"] == 8
    assert len(data["shared_schools"]) == 1
    st = open_store(mini_path, read_only=True)
    q = f"ASK {{ GRAPH <{ANALYSIS_GRAPH}> {{ <{HEXI}> edu:pageRank ?v }} }}"
    from kg.store import run_query

    assert bool(run_query(st, q))
    bad = runner.invoke(main, ["analyze", "--store", str(mini_path / "nope")])
    assert bad.exit_code != 0


@pytest.mark.slow
def test_analysis_seed_groups_match_gold(seed_store_path, gold_dir):
    """Every required education group of the gold annotations is found with its lead school."""
    st = open_store(seed_store_path, read_only=True)
    G = load_graph(st)
    for row in rows(st, "SELECT DISTINCT ?e ?alt WHERE { ?e skos:altLabel ?alt }"):
        if row["e"] in G:
            G.nodes[row["e"]].setdefault("alt_labels", set()).add(row["alt"])
    found = analysis.groups(G)
    names = lambda *xs: {_norm(x) for x in xs if x}  # noqa: E731
    missing = []
    for path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        ents = {e["id"]: e for e in gold["entities"]}
        for e in gold["entities"]:
            if e["type"] != "EducationGroup" or not e.get("required", True):
                continue
            leads = [r["subject"] for r in gold["relations"] if r["type"] == "leadSchoolOf" and r["object"] == e["id"]]
            gnames = names(e["name_en"], e["name_zh"], *e["mentions"])
            lnames = set().union(*(names(ents[x]["name_en"], ents[x]["name_zh"], *ents[x]["mentions"]) for x in leads))
            hit = [r for r in found.itertuples() if _same(_aliases(G, r.group), gnames)]
            if not any(_same(_aliases(G, *r.lead_school_iri.split()), lnames) for r in hit):
                missing.append(f"{path.stem}: {e['name_en']} (lead {[ents[x]['name_en'] for x in leads]})")
    assert not missing, "groups not found with their lead school: " + "; ".join(missing)


def _norm(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text or "")).lower()


def _same(names: set[str], gold: set[str]) -> bool:
    """Equal names, or one containing the other and nearly as long (word order / small prefixes differ)."""
    return any(a == b or ((a in b or b in a) and min(len(a), len(b)) >= 0.8 * max(len(a), len(b)))
               for a in names for b in gold)


def _aliases(G: nx.MultiDiGraph, *iris: str) -> set[str]:
    labels = {_norm(G.nodes[i][k]) for i in iris if i in G for k in ("label_en", "label_zh") if G.nodes[i][k]}
    return labels | {_norm(a) for i in iris if i in G for a in G.nodes[i].get("alt_labels", ())}


@pytest.mark.parametrize("graph_seed", [1, 2, 3])
def test_analysis_betweenness_equals_networkx_exact_and_sampled(monkeypatch, graph_seed):
    """igraph computes it; the numbers are networkx's, exact and with a sampled source set."""
    H = nx.gnm_random_graph(120, 200, seed=graph_seed)  # sparse: several components
    H.add_edges_from([(200, 201)])  # and an isolated pair
    H = nx.relabel_nodes(H, {n: f"n{n}" for n in H})
    ours = analysis.betweenness(H)
    theirs = nx.betweenness_centrality(H, normalized=True)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    monkeypatch.setattr(analysis, "EXACT_BETWEENNESS_MAX_NODES", 50)
    monkeypatch.setattr(analysis, "BETWEENNESS_SAMPLE", 30)
    ours = analysis.betweenness(H, seed=graph_seed)
    theirs = nx.betweenness_centrality(H, k=30, normalized=True, seed=graph_seed)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert max(ours.values()) > 0
