"""kg.analysis: the fast analysis graph is the same, quad for quad, as the straightforward one.

``_Oracle`` below is the implementation of ``kg.analysis`` as it was before it was made fast
(networkx graph from ``quads_for_pattern`` loops, a pandas round trip, ``store.extend``), frozen
here. The tests build real on-disk stores (the seeds, and the seeds plus 200 synthetic articles
of the bench corpus generator: about 3,000 entities, so betweenness takes its sampled path) and
compare the N-Quads of the analysis graph the module writes with the oracle's, byte for byte.
"""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, serialize

from kg import analysis
from kg.store import article_graphs, articles_fingerprint, open_store
from kg.vocab import ANALYSIS_GRAPH, EDU, ENTITY_KINDS, GRAPH_NS, ID_NS

from .conftest import SEEDS

SYNTHETIC_ARTICLES = 200


# ---------------------------------------------------------------- the oracle (frozen old code)


class _Oracle:
    """The analysis graph as the first implementation of kg.analysis computed it."""

    RELATIONS = ("locatedIn", "memberOf", "leadSchool", "implements", "governs", "heads")
    A = GRAPH_NS + "article/"
    LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
    TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    XSD = "http://www.w3.org/2001/XMLSchema#"

    def __init__(self, exact_max: int = 2000, sample: int = 200) -> None:
        self.exact_max, self.sample = exact_max, sample

    @staticmethod
    def local(iri: str) -> str:
        return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]

    @staticmethod
    def graph_of(q: Quad) -> str:
        return getattr(q.graph_name, "value", "")

    @staticmethod
    def best(counts: Counter | None) -> str:
        return min(counts, key=lambda s: (-counts[s], s)) if counts else ""

    def node_rows(self, store: Store) -> dict[str, dict[str, Any]]:
        types: dict[str, Counter] = defaultdict(Counter)
        for kind in ENTITY_KINDS:
            for q in store.quads_for_pattern(None, self.TYPE, NamedNode(EDU[kind]), None):
                if self.graph_of(q).startswith(self.A):
                    types[q.subject.value][kind] += 1
        labels: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for q in store.quads_for_pattern(None, NamedNode(self.LABEL), None, None):
            e = q.subject.value
            if e in types and self.graph_of(q).startswith(self.A):
                labels[e][(q.object.language or "")[:2]][q.object.value] += 1
        out = {}
        for iri, counts in types.items():
            kind = min(counts, key=lambda k: (-counts[k], k))
            en, zh = (self.best(labels[iri].get(lang)) for lang in ("en", "zh"))
            out[iri] = {"iri": iri, "type": kind, "label_en": en, "label_zh": zh,
                        "label": en or zh or self.local(iri)}
        return out

    def edge_rows(self, store: Store) -> dict[tuple[str, str, str], set[str]]:
        edges: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for rel in self.RELATIONS:
            for q in store.quads_for_pattern(None, NamedNode(EDU[rel]), None, None):
                g = self.graph_of(q)
                if g.startswith(self.A) and isinstance(q.object, NamedNode):
                    edges[(q.subject.value, rel, q.object.value)].add(g)
        return edges

    def load_graph(self, store: Store) -> nx.MultiDiGraph:
        nodes = self.node_rows(store)
        G = nx.MultiDiGraph()
        for iri in sorted(nodes):
            G.add_node(iri, **nodes[iri])
        for (s, rel, o), graphs in sorted(self.edge_rows(store).items()):
            if s in nodes and o in nodes:
                G.add_edge(s, o, key=rel, relation=rel, articles=len(graphs))
        seen = Counter(label for _, label in G.nodes(data="label"))
        for n, data in G.nodes(data=True):
            if seen[data["label"]] > 1:
                data["label"] = f"{data['label']} [{self.local(n)}]"
        for n, data in G.nodes(data=True):
            data["district"] = self.district_of(G, n)
        for _, data in G.nodes(data=True):
            d = data["district"]
            data["district_label"] = G.nodes[d]["label"] if d else ""
        return G

    def district_of(self, G: nx.MultiDiGraph, n: str, depth: int = 0) -> str:
        kind = G.nodes[n]["type"]
        if kind == "District":
            return n
        if depth > 3:
            return ""
        steps = {"School": ("locatedIn", "memberOf"), "EducationGroup": ("locatedIn", "leadSchool"),
                 "GovernmentBody": ("governs", "locatedIn"), "Person": ("heads",)}.get(kind, ())
        for rel in steps:
            for target in sorted(v for _, v, k in G.out_edges(n, keys=True) if k == rel):
                found = self.district_of(G, target, depth + 1)
                if found:
                    return found
        return ""

    @staticmethod
    def simple_graph(G: nx.MultiDiGraph) -> nx.Graph:
        H = nx.Graph()
        H.add_nodes_from(G.nodes(data=True))
        for u, v, data in G.edges(data=True):
            if u == v:
                continue
            w = data.get("articles", 1)
            if H.has_edge(u, v):
                H[u][v]["weight"] += w
            else:
                H.add_edge(u, v, weight=w)
        return H

    @staticmethod
    def igraph(H: nx.Graph, nodes: list, *, loops: bool = True) -> tuple[Any, dict]:
        import igraph

        index = {node: i for i, node in enumerate(nodes)}
        edges = sorted((min(index[u], index[v]), max(index[u], index[v]), d.get("weight", 1))
                       for u, v, d in H.edges(data=True) if loops or u != v)
        g = igraph.Graph(n=len(nodes), edges=[(u, v) for u, v, _ in edges], directed=False)
        g.es["weight"] = [w for _, _, w in edges]
        return g, index

    def betweenness(self, H: nx.Graph, seed: int) -> dict[str, float]:
        nodes = list(H)
        n = len(nodes)
        if n < 3:
            return dict.fromkeys(nodes, 0.0)
        g, index = self.igraph(H, nodes, loops=False)
        if n <= self.exact_max:
            scale = 2 / ((n - 1) * (n - 2))
            return {node: b * scale for node, b in zip(nodes, g.betweenness(directed=False), strict=True)}
        sample = random.Random(seed).sample(nodes, self.sample)
        raw = g.betweenness(sources=[index[s] for s in sample], directed=False)
        k, sampled = len(sample), set(sample)
        return {node: 2 * b / ((k - 1 if node in sampled else k) * (n - 2))
                for node, b in zip(nodes, raw, strict=True)}

    def centrality(self, G: nx.MultiDiGraph, seed: int) -> pd.DataFrame:
        H = self.simple_graph(G)
        cols = ["node", "label", "type", "district", "degree", "betweenness", "pagerank"]
        if not len(H):
            return pd.DataFrame(columns=cols)
        degree = nx.degree_centrality(H)
        between = self.betweenness(H, seed)
        pagerank = nx.pagerank(H, weight="weight")
        out = [{"node": n, "label": d["label"], "type": d["type"], "district": d.get("district_label", ""),
                "degree": degree[n], "betweenness": between[n], "pagerank": pagerank[n]}
               for n, d in H.nodes(data=True)]
        frame = pd.DataFrame(out, columns=cols)
        return frame.sort_values(["pagerank", "node"], ascending=[False, True], ignore_index=True)

    def communities(self, G: nx.MultiDiGraph, seed: int) -> dict[str, int]:
        import igraph

        H = self.simple_graph(G)
        if not len(H):
            return {}
        nodes = sorted(H)
        g, _ = self.igraph(H, nodes)
        igraph.set_random_number_generator(random.Random(seed))
        try:
            clusters = g.community_multilevel(weights=g.es["weight"] if g.ecount() else None)
        finally:
            igraph.set_random_number_generator(random)
        parts = [[nodes[i] for i in part] for part in clusters]
        parts = sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p[0]))
        return {n: i for i, part in enumerate(parts) for n in part}

    def annotate(self, G: nx.MultiDiGraph, seed: int = 0) -> nx.MultiDiGraph:
        frame = self.centrality(G, seed)
        scores = {row[0]: row[1:] for row in
                  frame[["node", "degree", "betweenness", "pagerank"]].itertuples(index=False)}
        membership = self.communities(G, seed)
        for n, data in G.nodes(data=True):
            for col, value in zip(("degree", "betweenness", "pagerank"), scores.get(n, (0.0, 0.0, 0.0)),
                                  strict=True):
                data[col] = float(value)
            data["community"] = membership.get(n, -1)
        return G

    def double(self, x: float) -> Literal:
        return Literal(repr(float(x)), datatype=NamedNode(self.XSD + "double"))

    def quads(self, store: Store, seed: int = 0) -> list[Quad]:
        """What ``write_analysis_graph`` wrote into the analysis graph."""
        G = self.annotate(self.load_graph(store), seed)
        g = NamedNode(ANALYSIS_GRAPH)
        out = []
        for n, data in sorted(G.nodes(data=True)):
            s = NamedNode(n)
            out += [
                Quad(s, NamedNode(EDU.degreeCentrality), self.double(data["degree"]), g),
                Quad(s, NamedNode(EDU.betweenness), self.double(data["betweenness"]), g),
                Quad(s, NamedNode(EDU.pageRank), self.double(data["pagerank"]), g),
                Quad(s, NamedNode(EDU.community),
                     Literal(str(data["community"]), datatype=NamedNode(self.XSD + "integer")), g),
            ]
        out.append(Quad(g, NamedNode(EDU.contentHash),
                        Literal(articles_fingerprint(article_graphs(store))), g))
        return out


def _lines(quads: list[Quad]) -> list[str]:
    """The quads as a store holds them (it keeps doubles as numbers), as sorted N-Quads lines."""
    mem = Store()
    mem.extend(quads)
    return _written(mem)


def _written(store: Store) -> list[str]:
    quads = store.quads_for_pattern(None, None, None, NamedNode(ANALYSIS_GRAPH))
    return sorted(serialize(quads, format=RdfFormat.N_QUADS).decode().splitlines())


# ---------------------------------------------------------------- stores


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory) -> Path:
    """The seeds and 200 synthetic bench articles (both languages), without an analysis graph."""
    from bench.corpus import iter_corpus
    from kg.pipeline import build

    root = tmp_path_factory.mktemp("analysis-identical")
    corpus = root / "corpus"
    corpus.mkdir()
    with (corpus / "synthetic.jsonl").open("w", encoding="utf-8") as f:
        for rec in iter_corpus(SYNTHETIC_ARTICLES, seed=0):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    build([SEEDS, corpus], root / "store", analysis_auto_max=0)
    return root / "store"


@pytest.fixture
def store_copy(synthetic_store, tmp_path) -> Store:
    shutil.copytree(synthetic_store, tmp_path / "store")
    return open_store(tmp_path / "store")


# ---------------------------------------------------------------- tests


def test_analysis_identical_fresh_store(store_copy):
    """No analysis graph yet (a first build): the written graph is the oracle's, byte for byte."""
    st = store_copy
    assert not st.contains_named_graph(NamedNode(ANALYSIS_GRAPH))
    expected = _lines(_Oracle().quads(st))
    assert len(expected) > 4 * analysis.EXACT_BETWEENNESS_MAX_NODES  # the sampled betweenness path
    n = analysis.write_analysis_graph(st)
    assert _written(st) == expected and n == len(expected)


def test_analysis_identical_rewrite_stale_and_changed(store_copy):
    """Rewritten over itself, over a stale graph with foreign quads, and after facts changed."""
    st = store_copy
    graph = NamedNode(ANALYSIS_GRAPH)
    expected = _lines(_Oracle().quads(st))
    analysis.write_analysis_graph(st)
    assert analysis.write_analysis_graph(st) == len(expected) and _written(st) == expected
    # a stale analysis graph: another fingerprint, other scores, a foreign node
    junk = NamedNode(GRAPH_NS + "junk")
    st.extend([Quad(junk, NamedNode(EDU.pageRank), Literal("0.5"), graph),
               Quad(graph, NamedNode(EDU.contentHash), Literal("sha256:old"), graph)])
    first = next(line for line in expected if str(EDU.pageRank) in line).split(" ", 1)[0][1:-1]
    st.remove(next(iter(st.quads_for_pattern(NamedNode(first), NamedNode(EDU.pageRank), None, graph))))
    assert _written(st) != expected
    analysis.write_analysis_graph(st)
    assert _written(st) == expected
    # facts change: one article graph goes; the analysis follows the oracle
    article = sorted(article_graphs(st))[3]
    st.remove_graph(NamedNode(GRAPH_NS + article[len(ID_NS):]))
    changed = _lines(_Oracle().quads(st))
    assert changed != expected
    analysis.write_analysis_graph(st)
    assert _written(st) == changed


def test_analysis_identical_seeds_exact_betweenness(seed_store_path, tmp_path):
    """The five seeds: small enough for exact betweenness."""
    shutil.copytree(seed_store_path, tmp_path / "store")
    st = open_store(tmp_path / "store")
    expected = _lines(_Oracle().quads(st))
    analysis.write_analysis_graph(st)
    assert _written(st) == expected


@pytest.mark.parametrize("seed", [0, 7])
def test_analysis_identical_other_seed_and_small_sample(store_copy, monkeypatch, seed):
    """Another seed, and the exact/sampled threshold moved: still the oracle's numbers."""
    monkeypatch.setattr(analysis, "EXACT_BETWEENNESS_MAX_NODES", 100_000 if seed else 2000)
    monkeypatch.setattr(analysis, "BETWEENNESS_SAMPLE", 200 if seed else 50)
    oracle = _Oracle(exact_max=100_000, sample=200) if seed else _Oracle(exact_max=2000, sample=50)
    expected = _lines(oracle.quads(store_copy, seed=seed))
    analysis.write_analysis_graph(store_copy, seed=seed)
    assert _written(store_copy) == expected


def test_analysis_identical_load_graph_and_annotate(store_copy):
    """``load_graph`` and ``annotate`` (what exports use) give the oracle's graph and scores."""
    ours, theirs = analysis.load_graph(store_copy), _Oracle().load_graph(store_copy)
    assert list(ours.nodes(data=True)) == list(theirs.nodes(data=True))
    assert list(ours.edges(keys=True, data=True)) == list(theirs.edges(keys=True, data=True))
    analysis.annotate(ours)
    _Oracle().annotate(theirs)
    assert list(ours.nodes(data=True)) == list(theirs.nodes(data=True))


@pytest.mark.parametrize("graph_seed", range(8))
def test_analysis_pagerank_equals_networkx_exactly(graph_seed):
    """PageRank without scipy is networkx's to the last bit: sparse, with a hub, isolated nodes, float weights."""
    rng = random.Random(graph_seed)
    n = rng.randint(1, 400)
    H = nx.gnm_random_graph(n, rng.randint(0, 3 * n), seed=graph_seed)
    if graph_seed % 2:
        H.add_edges_from((0, v) for v in range(1, n, 3))  # a hub
    for u, v in H.edges:
        H[u][v]["articles"] = rng.randint(1, 6) if graph_seed != 5 else rng.random() + 0.5
    H = nx.relabel_nodes(H, {v: f"n{v:03d}" for v in H})
    ours = analysis._Undirected.of(H).pagerank()
    W = nx.Graph()
    W.add_nodes_from(H)
    W.add_weighted_edges_from((u, v, d["articles"]) for u, v, d in H.edges(data=True))
    assert ours == list(nx.pagerank(W, weight="weight").values())


def test_analysis_adoption_matrix_equals_cell_by_cell(store_copy):
    """The adoption matrix filled in numpy is the frame the cell-by-cell ``.loc`` version built."""
    G = analysis.load_graph(store_copy)
    counts: Counter = Counter()
    for u, p, k in G.edges(keys=True):
        d = G.nodes[u]["district_label"]
        if k == "implements" and d and G.nodes[p]["type"] == "Policy":
            counts[(d, G.nodes[p]["label"])] += 1
    districts = sorted({G.nodes[d]["label"] for d in G if G.nodes[d]["type"] == "District"} | {d for d, _ in counts})
    policies = sorted({G.nodes[p]["label"] for p in G if G.nodes[p]["type"] == "Policy"})
    frame = pd.DataFrame(0, index=pd.Index(districts, name="district"), columns=policies, dtype=int)
    for (d, p), n in counts.items():
        frame.loc[d, p] += n
    assert counts and frame.to_numpy().sum() == sum(counts.values())
    pd.testing.assert_frame_equal(analysis.adoption_matrix(G), frame)


def test_analysis_article_filter_of_every_article_is_the_whole_graph(store_copy):
    """Naming every article takes the quad-by-quad reading path; it gives the graph the SPARQL path gives."""
    every = analysis.Filters(articles=tuple(article_graphs(store_copy)))
    ours, whole = analysis.load_graph(store_copy, every), analysis.load_graph(store_copy)
    assert whole.number_of_nodes() > 2000
    assert list(ours.nodes(data=True)) == list(whole.nodes(data=True))
    assert list(ours.edges(keys=True, data=True)) == list(whole.edges(keys=True, data=True))
