"""Network analysis of the knowledge graph: store -> networkx -> pandas.

:func:`load_graph` reads the entities and the facts between them into a typed
``nx.MultiDiGraph`` (node = entity IRI, edge key = relation local name). The
report functions take that graph and return pandas DataFrames (or networkx
graphs), so an analyst in a notebook can go on from there; any randomised step
takes an explicit ``seed``. :func:`write_analysis_graph` stores the scores as
RDF in the analysis named graph, next to the facts.

Examples
--------
>>> from pyoxigraph import RdfFormat
>>> from kg.store import open_store
>>> st = open_store(None)
>>> st.load(path=str(EXAMPLE), format=RdfFormat.TRIG)
>>> G = load_graph(st)
>>> G.nodes["https://w3id.org/edukg/id/district/hexi"]["label"]
'Hexi District'
>>> row = groups(G).set_index("label").loc["东城区中心小学教育集团"]
>>> row["lead_school"], int(row["size"])
('东城区中心小学', 2)
>>> write_analysis_graph(st) > 0
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import json
import random
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, serialize

from .store import rows
from .vocab import ANALYSIS_GRAPH, EDU, ENTITY_KINDS, GRAPH_NS, ID_NS

__all__ = [
    "RELATIONS",
    "ANALYSED_TYPES",
    "Filters",
    "load_graph",
    "filter_graph",
    "simple_graph",
    "groups",
    "shared_schools",
    "group_overlaps",
    "school_group_projection",
    "adoption_matrix",
    "policy_adoption",
    "centrality",
    "communities",
    "community_summary",
    "components",
    "observations",
    "compare_districts",
    "annotate",
    "report",
    "render_report",
    "analysis_quads",
    "write_analysis_graph",
]

#: Relations between entities that become edges (edu: local names).
RELATIONS = ("locatedIn", "memberOf", "leadSchool", "implements", "governs", "heads")
#: Node types the centrality report is about.
ANALYSED_TYPES = ("School", "EducationGroup", "District", "Policy")


class _OnFirstUse:
    """A module imported when first used: pandas (a quarter of a second) only serves the reports,
    not the analysis graph ``kg build`` writes.

    >>> _OnFirstUse("json").dumps([1])
    '[1]'
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    import pandas as pd
else:
    pd = _OnFirstUse("pandas")

EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "analysis_mini.trig"
_ARTICLE_GRAPHS = GRAPH_NS + "article/"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Filters:
    """Which part of the graph to keep; each field matches IRIs, slugs or labels.

    >>> Filters(types=("School",)).empty
    False
    >>> Filters().empty
    True
    """

    types: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.types or self.districts or self.policies or self.articles)


# ---------------------------------------------------------------- store -> graph


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def _in_articles(graph: str, articles: set[str] | None) -> bool:
    return graph.startswith(_ARTICLE_GRAPHS) and (articles is None or graph in articles)


def _graph_of(quad: Quad) -> str:
    """The quad's graph IRI ('' in the default graph)."""
    return getattr(quad.graph_name, "value", "")


def _only_articles(store: Store) -> str | None:
    """A SPARQL filter keeping ``?g`` to the article graphs, or None if some graph name is a blank node.

    It excludes the few other named graphs by name (``GRAPH ?g`` leaves out the default graph), so
    Oxigraph compares graph ids and never spells out the article graph IRIs.

    >>> _only_articles(Store())
    ''
    """
    others = [g for g in store.named_graphs() if not g.value.startswith(_ARTICLE_GRAPHS)]
    if not all(isinstance(g, NamedNode) for g in others):
        return None
    return f"FILTER(?g NOT IN ({', '.join(str(g) for g in others)}))" if others else ""


def _typed(store: Store, articles: set[str] | None, only: str | None) -> Counter:
    """(entity, kind) -> in how many article graphs (of ``articles``) the entity has that type."""
    if articles is None and only is not None:
        kinds = {EDU[k]: k for k in ENTITY_KINDS}
        values = " ".join(f"<{k}>" for k in kinds)
        q = f"SELECT ?s ?k WHERE {{ VALUES ?k {{ {values} }} GRAPH ?g {{ ?s a ?k }} {only} }}"
        return Counter((s.value, kinds[k.value]) for s, k in store.query(q))
    return Counter(
        (q.subject.value, kind)
        for kind in ENTITY_KINDS
        for q in store.quads_for_pattern(None, _RDF_TYPE, NamedNode(EDU[kind]), None)
        if _in_articles(_graph_of(q), articles)
    )


def _labelled(store: Store, entities: Iterable[str], only: str | None) -> Counter:
    """(entity, language, label) -> in how many article graphs (any) the entity has that ``rdfs:label``."""
    if only is not None:
        q = f"SELECT ?s ?l WHERE {{ GRAPH ?g {{ ?s <{_RDFS_LABEL}> ?l }} {only} }}"
        found = ((s.value, label) for s, label in store.query(q))
    else:
        found = (
            (q.subject.value, q.object)
            for q in store.quads_for_pattern(None, NamedNode(_RDFS_LABEL), None, None)
            if _graph_of(q).startswith(_ARTICLE_GRAPHS)
        )
    return Counter((e, (label.language or "")[:2], label.value) for e, label in found if e in entities)


def _node_rows(store: Store, articles: set[str] | None) -> dict[str, dict[str, Any]]:
    only = _only_articles(store)
    types: dict[str, Counter] = defaultdict(Counter)
    for (iri, kind), n in _typed(store, articles, only).items():
        types[iri][kind] = n
    labels: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (iri, lang, label), n in _labelled(store, types, only).items():
        labels[iri][lang][label] = n
    out = {}
    for iri, counts in types.items():
        kind = min(counts, key=lambda k: (-counts[k], k))  # most frequent type, ties by name
        en, zh = (_best(labels[iri].get(lang)) for lang in ("en", "zh"))
        out[iri] = {"iri": iri, "type": kind, "label_en": en, "label_zh": zh, "label": en or zh or _local(iri)}
    return out


def _best(counts: Counter | None) -> str:
    """Most frequent label, ties broken alphabetically ('' if none)."""
    return min(counts, key=lambda s: (-counts[s], s)) if counts else ""


def _edge_rows(store: Store, articles: set[str] | None) -> Counter:
    """(subject, relation, object) -> in how many article graphs (of ``articles``) the fact is stated."""
    only = _only_articles(store) if articles is None else None
    if only is not None:
        rels = {EDU[r]: r for r in RELATIONS}
        q = (f"SELECT ?s ?r ?o WHERE {{ VALUES ?r {{ {' '.join(f'<{r}>' for r in rels)} }} "
             f"GRAPH ?g {{ ?s ?r ?o }} FILTER(isIRI(?o)) {only} }}")
        return Counter((s.value, rels[r.value], o.value) for s, r, o in store.query(q))
    return Counter(
        (q.subject.value, rel, q.object.value)
        for rel in RELATIONS
        for q in store.quads_for_pattern(None, NamedNode(EDU[rel]), None, None)
        if _in_articles(_graph_of(q), articles) and isinstance(q.object, NamedNode)
    )


def _article_graphs(store: Store, specs: Iterable[str]) -> set[str]:
    q = f"SELECT ?a ?f WHERE {{ ?a a <{EDU.Article}> OPTIONAL {{ ?a <{EDU.sourceFile}> ?f }} }}"
    wanted = {s.strip().lower() for s in specs}
    found = set()
    for r in rows(store, q):
        file = r.get("f", "").lower()
        names = {r["a"].lower(), _local(r["a"]).lower(), file, file.rsplit(".", 1)[0]}
        if names & wanted:
            found.add(GRAPH_NS + r["a"][len(ID_NS) :])
    return found


def load_graph(store: Store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The typed entity graph of the store (union of the article graphs).

    Nodes carry ``iri``, ``type``, ``label``, ``label_en``, ``label_zh``,
    ``district`` and ``district_label``; edges carry ``relation`` and
    ``articles`` (how many articles state the fact). ``filters`` keeps a subgraph
    (see :func:`filter_graph`); an article filter also drops the facts other
    articles state.
    """
    filters = filters or Filters()
    articles = _article_graphs(store, filters.articles) if filters.articles else None
    nodes = _node_rows(store, articles)
    G = nx.MultiDiGraph()
    for iri in sorted(nodes):
        G.add_node(iri, **nodes[iri])
    for (s, rel, o), n in sorted(_edge_rows(store, articles).items()):
        if s in nodes and o in nodes:
            G.add_edge(s, o, key=rel, relation=rel, articles=n)
    _unique_labels(G)
    _add_districts(G)
    return filter_graph(G, Filters(filters.types, filters.districts, filters.policies))


def _unique_labels(G: nx.MultiDiGraph) -> None:
    """Suffix ``label`` with the IRI's last segment where two nodes share it, so tables stay unambiguous."""
    seen = Counter(label for _, label in G.nodes(data="label"))
    for n, data in G.nodes(data=True):
        if seen[data["label"]] > 1:
            data["label"] = f"{data['label']} [{_local(n)}]"


def _add_districts(G: nx.MultiDiGraph) -> None:
    """Set ``district`` to the District a node lies in (directly or through its group/body)."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for u, v, rel in G.edges(keys=True):
        out[(u, rel)].append(v)
    for targets in out.values():
        targets.sort()
    for n, data in G.nodes(data=True):
        data["district"] = _district_of(G, n, out=out)
    for _, data in G.nodes(data=True):
        d = data["district"]
        data["district_label"] = G.nodes[d]["label"] if d else ""


def _out(G: nx.MultiDiGraph, n: str, rel: str) -> list[str]:
    return sorted(v for _, v, k in G.out_edges(n, keys=True) if k == rel)


_DISTRICT_STEPS = {
    "School": ("locatedIn", "memberOf"),
    "EducationGroup": ("locatedIn", "leadSchool"),
    "GovernmentBody": ("governs", "locatedIn"),
    "Person": ("heads",),
}


def _district_of(G: nx.MultiDiGraph, n: str, depth: int = 0, *, out: dict[tuple[str, str], list[str]]) -> str:
    """The District ``n`` lies in, up to four steps away ('' if none); ``out``: sorted targets by (node, relation)."""
    kind = G.nodes[n]["type"]
    if kind == "District":
        return n
    if depth > 3:
        return ""
    for rel in _DISTRICT_STEPS.get(kind, ()):
        for target in out.get((n, rel), ()):
            found = _district_of(G, target, depth + 1, out=out)
            if found:
                return found
    return ""


def _matches(data: dict[str, Any], spec: str) -> bool:
    spec = spec.strip().lower()
    iri = data["iri"].lower()
    return spec in {iri, iri[len(ID_NS) :], _local(iri), data["label_en"].lower(), data["label_zh"].lower()}


def filter_graph(G: nx.MultiDiGraph, filters: Filters) -> nx.MultiDiGraph:
    """The subgraph kept by ``filters`` (types, districts, policies; articles need the store).

    A district filter keeps the districts, everything that lies in them and the
    policies they implement; a policy filter keeps the policies and the entities
    that implement them; a type filter keeps nodes of those types.

    >>> H = nx.MultiDiGraph()
    >>> H.add_node("p", iri="p", type="Policy", label_en="Double reduction", label_zh="双减", district="")
    >>> H.add_node("d", iri="d", type="District", label_en="X", label_zh="", district="d")
    >>> H.add_edge("d", "p", key="implements")
    'implements'
    >>> sorted(filter_graph(H, Filters(policies=("双减",))))
    ['d', 'p']
    """
    keep = set(G)
    if filters.districts:
        ds = {n for n in _nodes_of(G, "District") if any(_matches(G.nodes[n], s) for s in filters.districts)}
        inside = {n for n in G if G.nodes[n].get("district") in ds}
        keep &= inside | {p for n in inside for p in G.successors(n) if G.nodes[p]["type"] == "Policy"}
    if filters.policies:
        ps = {n for n in _nodes_of(G, "Policy") if any(_matches(G.nodes[n], s) for s in filters.policies)}
        keep &= ps | {u for p in ps for u in G.predecessors(p)}
    if filters.types:
        wanted = {t.lower() for t in filters.types}
        keep &= {n for n in G if G.nodes[n]["type"].lower() in wanted}
    return G.subgraph(keep).copy() if keep != set(G) else G


def simple_graph(G: nx.MultiDiGraph) -> nx.Graph:
    """Undirected simple graph; ``weight`` is the summed article count of the merged edges.

    >>> M = nx.MultiDiGraph([("a", "b", {"articles": 2}), ("b", "a", {"articles": 1}), ("a", "a")])
    >>> list(simple_graph(M).edges(data=True))
    [('a', 'b', {'weight': 3})]
    """
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from((u, v, {"weight": w}) for (u, v), w in _pair_weights(G).items())
    return H


def _pair_weights(G: nx.Graph) -> dict[tuple[Any, Any], int]:
    """Summed ``articles`` (default 1) per unordered node pair, keyed by the pair as first met; no self-loops.

    >>> _pair_weights(nx.MultiDiGraph([("a", "b"), ("b", "a"), ("b", "b")]))
    {('a', 'b'): 2}
    """
    weights: dict[tuple[Any, Any], int] = {}
    for u, v, w in G.edges(data="articles", default=1):
        if u == v:
            continue
        if (v, u) in weights:
            weights[(v, u)] += w
        else:
            weights[(u, v)] = weights.get((u, v), 0) + w
    return weights


# ---------------------------------------------------------------- groups and schools


def _label(G: nx.Graph, n: str) -> str:
    return G.nodes[n]["label"]


def _nodes_of(G: nx.Graph, kind: str) -> list[str]:
    return sorted(n for n, t in G.nodes(data="type") if t == kind)


def _members(G: nx.MultiDiGraph, group: str) -> list[str]:
    members = {u for u, _, k in G.in_edges(group, keys=True) if k == "memberOf"}
    members |= set(_out(G, group, "leadSchool"))
    return sorted(members, key=lambda n: (_label(G, n), n))


def groups(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per education group: lead school, members, size, districts spanned, policies."""
    out = []
    for g in _nodes_of(G, "EducationGroup"):
        leads = _out(G, g, "leadSchool")
        members = _members(G, g)
        districts = {G.nodes[n]["district_label"] for n in [g, *members]} - {""}
        policies = set(_out(G, g, "implements")) | {p for m in members for p in _out(G, m, "implements")}
        out.append({
            "group": g,
            "label": _label(G, g),
            "lead_school": "; ".join(_label(G, s) for s in leads),
            "lead_school_iri": " ".join(leads),
            "members": [_label(G, m) for m in members],
            "size": len(members),
            "districts": sorted(districts),
            "policies": sorted(_label(G, p) for p in policies),
        })
    cols = ["group", "label", "lead_school", "lead_school_iri", "members", "size", "districts", "policies"]
    return pd.DataFrame(out, columns=cols).sort_values(["label", "group"], ignore_index=True)


def _school_groups(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    sg: dict[str, list[str]] = defaultdict(list)
    for g in _nodes_of(G, "EducationGroup"):
        for m in _members(G, g):
            sg[m].append(g)
    return sg


def shared_schools(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Schools that belong to more than one education group."""
    out = [
        {"school": s, "label": _label(G, s), "groups": [_label(G, g) for g in gs], "n_groups": len(gs)}
        for s, gs in sorted(_school_groups(G).items())
        if len(gs) > 1
    ]
    return pd.DataFrame(out, columns=["school", "label", "groups", "n_groups"])


def school_group_projection(G: nx.MultiDiGraph, onto: str = "EducationGroup") -> nx.Graph:
    """Bipartite school–group graph projected onto groups (or onto schools).

    Edge ``weight`` = number of shared neighbours (schools shared by two groups,
    or groups two schools have in common).
    """
    if onto not in {"EducationGroup", "School"}:
        raise ValueError("onto must be 'EducationGroup' or 'School'")
    B = nx.Graph()
    for s, gs in _school_groups(G).items():
        B.add_node(s, **G.nodes[s])
        for g in gs:
            B.add_node(g, **G.nodes[g])
            B.add_edge(s, g)
    side = [n for n in _nodes_of(G, onto) if n in B] if onto == "EducationGroup" else _nodes_of(B, "School")
    return nx.bipartite.weighted_projected_graph(B, side)


def group_overlaps(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Pairs of groups that share schools, with the shared schools."""
    P = school_group_projection(G)
    sg = _school_groups(G)
    out = []
    for a, b in sorted(tuple(sorted(e)) for e in P.edges()):
        shared = sorted(_label(G, s) for s, gs in sg.items() if a in gs and b in gs)
        out.append({"group_a": _label(G, a), "group_b": _label(G, b), "shared": shared, "n_shared": len(shared)})
    return pd.DataFrame(out, columns=["group_a", "group_b", "shared", "n_shared"])


def adoption_matrix(G: nx.MultiDiGraph) -> pd.DataFrame:
    """District × policy: how many entities of the district (itself, its schools and groups) implement it."""
    counts: Counter = Counter()
    for u, p, k in G.edges(keys=True):
        d = G.nodes[u]["district_label"]
        if k == "implements" and d and G.nodes[p]["type"] == "Policy":
            counts[(d, _label(G, p))] += 1
    districts = sorted({_label(G, d) for d in _nodes_of(G, "District")} | {d for d, _ in counts})
    policies = sorted({_label(G, p) for p in _nodes_of(G, "Policy")})
    row, col = ({name: i for i, name in enumerate(names)} for names in (districts, policies))
    cells = np.zeros((len(districts), len(policies)), dtype=int)
    for (d, p), n in counts.items():
        cells[row[d], col[p]] += n
    return pd.DataFrame(cells, index=pd.Index(districts, name="district"), columns=policies)


def policy_adoption(G: nx.MultiDiGraph) -> pd.DataFrame:
    """The adoption matrix read by policy: which districts share each policy, most shared first."""
    m = adoption_matrix(G)
    out = [
        {"policy": p, "n_districts": int((m[p] > 0).sum()), "districts": sorted(m.index[m[p] > 0])}
        for p in m.columns
    ]
    frame = pd.DataFrame(out, columns=["policy", "n_districts", "districts"])
    return frame.sort_values(["n_districts", "policy"], ascending=[False, True], ignore_index=True)


# ---------------------------------------------------------------- centrality, communities, components


#: Above this many nodes betweenness is estimated from a fixed-seed sample of sources
#: (exact betweenness is O(n·m): minutes at a thousand articles, hours beyond).
EXACT_BETWEENNESS_MAX_NODES = 2000
BETWEENNESS_SAMPLE = 200


class _HideMatplotlib(importlib.abc.MetaPathFinder):
    """Makes ``import matplotlib`` fail, in the thread that created it only."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "matplotlib" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while igraph loads)", name=name)
        return None


def _igraph_module() -> Any:
    """The ``igraph`` module, imported without matplotlib if matplotlib is not loaded yet.

    igraph imports ``matplotlib.pyplot`` when it is imported, for plotting we never do (half a
    second; igraph has no switch for it, python-igraph issue #762), and falls back to stubs when
    the import fails. So while igraph loads, this thread's imports of matplotlib fail; afterwards
    matplotlib imports as usual (``kg.export`` draws PNGs with it), only igraph's own matplotlib
    plotting stays stubbed in this process. If matplotlib is already loaded, igraph is imported
    as it is.

    >>> _igraph_module().Graph(n=2, edges=[(0, 1)]).ecount()
    1
    """
    if "igraph" not in sys.modules and "matplotlib" not in sys.modules:
        hide = _HideMatplotlib()
        sys.meta_path.insert(0, hide)
        try:
            import igraph
        finally:
            sys.meta_path.remove(hide)
    import igraph

    return igraph


@dataclass
class _Undirected:
    """An undirected simple graph for the C-backed measures: ``nodes`` and weighted index pairs.

    ``pairs`` maps ``(i, j)``, ``i < j``, to the edge weight. The measures are the numbers
    networkx and igraph give on the same graph as an ``nx.Graph`` (same node order, same sorted
    igraph edge list, same sparse matrix), without building one.

    >>> u = _Undirected(["a", "b", "c"], {(0, 1): 2, (1, 2): 1})
    >>> u.degree(), u.betweenness(), u.communities()
    ([0.5, 1.0, 0.5], [0.0, 1.0, 0.0], {'a': 0, 'b': 0, 'c': 0})
    >>> H = nx.Graph([("a", "b", {"weight": 2}), ("b", "c", {"weight": 1})])
    >>> u.pagerank() == list(nx.pagerank(H, weight="weight").values())
    True
    """

    nodes: list
    pairs: dict[tuple[int, int], int]
    _graph: Any = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, G: nx.Graph, weight: str = "articles") -> _Undirected:
        """``G`` merged into a simple undirected graph as :func:`simple_graph` does (``weight``: the edge
        attribute summed, default 1 per edge)."""
        nodes = list(G)
        index = {n: i for i, n in enumerate(nodes)}
        pairs: dict[tuple[int, int], int] = {}
        for u, v, w in G.edges(data=weight, default=1):
            i, j = index[u], index[v]
            if i != j:
                key = (i, j) if i < j else (j, i)
                pairs[key] = pairs[key] + w if key in pairs else w
        return cls(nodes, pairs)

    def igraph(self, nodes: list | None = None) -> Any:
        """The igraph graph over ``nodes`` (a reordering of :attr:`nodes`; default as they are), edges sorted,
        ``weight`` on the edges."""
        igraph = _igraph_module()
        if nodes is None or nodes == self.nodes:
            edges = sorted(self.pairs.items())
        else:
            rank = {n: i for i, n in enumerate(nodes)}
            new = [rank[n] for n in self.nodes]
            edges = sorted(((min(new[i], new[j]), max(new[i], new[j])), w) for (i, j), w in self.pairs.items())
        g = igraph.Graph(n=len(self.nodes), edges=[e for e, _ in edges], directed=False)
        g.es["weight"] = [w for _, w in edges]
        return g

    def graph(self) -> Any:
        """:meth:`igraph` in node order, built once."""
        if self._graph is None:
            self._graph = self.igraph()
        return self._graph

    def degree(self) -> list[float]:
        """``nx.degree_centrality``: neighbours / (n - 1)."""
        n = len(self.nodes)
        if n <= 1:
            return [1] * n  # networkx's int
        deg = [0] * n
        for i, j in self.pairs:
            deg[i] += 1
            deg[j] += 1
        s = 1.0 / (n - 1.0)
        return [d * s for d in deg]

    def betweenness(self, seed: int = 0) -> list[float]:
        """Normalised betweenness, sampled above ``EXACT_BETWEENNESS_MAX_NODES`` (see :func:`betweenness`)."""
        n = len(self.nodes)
        if n < 3:
            return [0.0] * n
        g = self.graph()
        if n <= EXACT_BETWEENNESS_MAX_NODES:
            # igraph counts each unordered pair once; networkx normalises by (n-1)(n-2)/2 pairs
            scale = 2 / ((n - 1) * (n - 2))
            return [b * scale for b in g.betweenness(directed=False)]
        sample = random.Random(seed).sample(range(n), BETWEENNESS_SAMPLE)  # networkx's own sampling
        raw = g.betweenness(sources=sample, directed=False)
        # networkx counts ordered (source, target) pairs (igraph halves them on undirected graphs), and
        # rescales a sampled source by 1/((k-1)(n-2)), any other node by 1/(k(n-2))
        k, sampled = len(sample), set(sample)
        return [2 * b / ((k - 1 if i in sampled else k) * (n - 2)) for i, b in enumerate(raw)]

    def pagerank(self, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> list[float]:
        """``nx.pagerank(H, weight="weight")``, networkx's power iteration step for step.

        networkx multiplies by a scipy CSR matrix (``x @ A``: each ``y[c]`` summed over the rows in
        order, from 0); ``np.bincount`` over the entries in row order adds in that same order, so the
        floats are the same, without importing scipy.sparse (0.3 s). Integer weights only (row sums
        are then exact in any order); other weights go to networkx.
        """
        N = len(self.nodes)
        if N == 0:
            return []
        weights = list(self.pairs.values())
        if not all(type(w) is int for w in weights):
            H = nx.Graph()
            H.add_nodes_from(self.nodes)
            H.add_weighted_edges_from((self.nodes[i], self.nodes[j], w) for (i, j), w in self.pairs.items())
            return list(nx.pagerank(H, weight="weight").values())
        ends = np.array(list(self.pairs), dtype=np.intp).reshape(-1, 2)
        rows = np.concatenate([ends[:, 0], ends[:, 1]])
        cols = np.concatenate([ends[:, 1], ends[:, 0]])
        vals = np.array(weights + weights, dtype=float)
        order = np.argsort(rows, kind="stable")
        rows, cols, vals = rows[order], cols[order], vals[order]
        S = np.bincount(rows, weights=vals, minlength=N)
        S[S != 0] = 1.0 / S[S != 0]
        vals = S[rows] * vals  # the row-normalised matrix Q @ A
        x = np.repeat(1.0 / N, N)
        p = np.repeat(1.0 / N, N)
        is_dangling = np.where(S == 0)[0]
        for _ in range(max_iter):
            xlast = x
            xA = np.bincount(cols, weights=vals * x[rows], minlength=N)  # x @ A
            x = alpha * (xA + sum(x[is_dangling]) * p) + (1 - alpha) * p
            if np.absolute(x - xlast).sum() < N * tol:
                return list(map(float, x))
        raise nx.PowerIterationFailedConvergence(max_iter)

    def communities(self, seed: int = 0) -> dict[Any, int]:
        """Louvain by igraph's C core with its own seeded random generator: node -> community, 0 the largest."""
        if not self.nodes:
            return {}
        igraph = _igraph_module()
        nodes = sorted(self.nodes)
        g = self.graph() if nodes == self.nodes else self.igraph(nodes)
        igraph.set_random_number_generator(random.Random(seed))
        try:
            clusters = g.community_multilevel(weights=g.es["weight"] if g.ecount() else None)
        finally:
            igraph.set_random_number_generator(random)
        parts = sorted((sorted(nodes[i] for i in part) for part in clusters), key=lambda p: (-len(p), p[0]))
        return {n: c for c, part in enumerate(parts) for n in part}


def betweenness(H: nx.Graph, *, seed: int = 0) -> dict[str, float]:
    """Normalised betweenness: exact on small graphs, sampled (``k`` sources, fixed seed) on large ones.

    The same numbers as ``networkx.betweenness_centrality(H, k=..., normalized=True, seed=seed)``
    (same source sample, same scaling), computed by igraph's C core: about 90× faster.

    >>> sorted(betweenness(nx.path_graph(3)).items())
    [(0, 0.0), (1, 1.0), (2, 0.0)]
    """
    u = _Undirected.of(H, weight="weight")
    return dict(zip(u.nodes, u.betweenness(seed), strict=True))


def centrality(
    G: nx.MultiDiGraph, *, types: Iterable[str] | None = ANALYSED_TYPES, seed: int = 0
) -> pd.DataFrame:
    """Degree, betweenness and PageRank of each node (undirected, article-weighted), best first.

    Measures are computed on the whole graph; ``types`` only selects the rows
    (None: every node). Betweenness is sampled on very large graphs (see :func:`betweenness`).
    """
    cols = ["node", "label", "type", "district", "degree", "betweenness", "pagerank"]
    if not len(G):
        return pd.DataFrame(columns=cols)
    u = _Undirected.of(G)
    wanted = set(types) if types is not None else None
    out = [
        {
            "node": n, "label": d["label"], "type": d["type"], "district": d.get("district_label", ""),
            "degree": deg, "betweenness": b, "pagerank": pr,
        }
        for (n, d), deg, b, pr in zip(G.nodes(data=True), u.degree(), u.betweenness(seed), u.pagerank(),
                                      strict=True)
        if wanted is None or d["type"] in wanted
    ]
    frame = pd.DataFrame(out, columns=cols)
    return frame.sort_values(["pagerank", "node"], ascending=[False, True], ignore_index=True)


def communities(G: nx.MultiDiGraph, *, seed: int = 0) -> dict[str, int]:
    """Louvain (modularity) communities: node -> community number, 0 the largest.

    >>> communities(nx.MultiDiGraph([("a", "b"), ("c", "d")]))
    {'a': 0, 'b': 0, 'c': 1, 'd': 1}
    """
    return _Undirected.of(G).communities(seed)


def community_summary(G: nx.MultiDiGraph, *, seed: int = 0, top: int = 3) -> pd.DataFrame:
    """A readable line per community: size, types, most central members, modularity of the split."""
    u = _Undirected.of(G)
    membership = u.communities(seed)
    cols = ["community", "size", "types", "central_members", "districts"]
    if not membership:
        return pd.DataFrame(columns=cols)
    H = simple_graph(G)
    pagerank = dict(zip(u.nodes, u.pagerank(), strict=True))  # nx.pagerank(H, weight="weight")
    parts: dict[int, list[str]] = defaultdict(list)
    for n, c in membership.items():
        parts[c].append(n)
    out = []
    for c, nodes in sorted(parts.items()):
        ranked = sorted(nodes, key=lambda n: (-pagerank[n], n))
        types = Counter(G.nodes[n]["type"] for n in nodes)
        districts = sorted({G.nodes[n]["district_label"] for n in nodes} - {""})
        out.append({
            "community": c, "size": len(nodes),
            "types": ", ".join(f"{t} {k}" for t, k in sorted(types.items())),
            "central_members": [_label(G, n) for n in ranked[:top]],
            "districts": districts,
        })
    frame = pd.DataFrame(out, columns=cols)
    frame.attrs["modularity"] = nx.community.modularity(H, [set(p) for p in parts.values()], weight="weight")
    return frame


def components(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Connected components (undirected), largest first."""
    H = simple_graph(G)
    comps = sorted((sorted(c) for c in nx.connected_components(H)), key=lambda c: (-len(c), c[0]))
    out = []
    for i, nodes in enumerate(comps):
        types = Counter(G.nodes[n]["type"] for n in nodes)
        out.append({
            "component": i, "size": len(nodes),
            "types": ", ".join(f"{t} {k}" for t, k in sorted(types.items())),
            "members": [_label(G, n) for n in nodes[:8]] + (["…"] if len(nodes) > 8 else []),
        })
    return pd.DataFrame(out, columns=["component", "size", "types", "members"])


# ---------------------------------------------------------------- observations across districts


def observations(store: Store, G: nx.MultiDiGraph | None = None) -> pd.DataFrame:
    """Every observation about an entity that lies in a district, with its unit and year."""
    G = G if G is not None else load_graph(store)
    q = f"""SELECT ?obs ?about ?measure ?value ?unit ?year ?a WHERE {{
        ?obs a <{EDU.Observation}> ; <{EDU.about}> ?about ; <{EDU.value}> ?value .
        OPTIONAL {{ ?obs <{EDU.measure}> ?measure }} OPTIONAL {{ ?obs <{EDU.unit}> ?unit }}
        OPTIONAL {{ ?obs <{EDU.year}> ?year }}
        OPTIONAL {{ ?obs <http://www.w3.org/ns/prov#wasDerivedFrom> ?a }}
    }}"""
    out = []
    for r in rows(store, q):
        about = r["about"]
        if about not in G or not G.nodes[about]["district"]:
            continue
        out.append({
            "observation": r["obs"], "district": G.nodes[about]["district_label"], "about": _label(G, about),
            "measure": r.get("measure", ""), "unit": _local(r.get("unit", "")) if r.get("unit") else "",
            "year": int(r["year"][:4]) if r.get("year", "")[:4].isdigit() else None,
            "value": float(r["value"]), "article": _local(r.get("a", "")),
        })
    cols = ["observation", "district", "about", "measure", "unit", "year", "value", "article"]
    frame = pd.DataFrame(out, columns=cols)
    return frame.sort_values(["unit", "district", "observation"], ignore_index=True)


def compare_districts(obs: pd.DataFrame, *, unit: str | None = None, measure: str | None = None) -> pd.DataFrame:
    """The same measure across districts: one row per (unit, district, year).

    Values of different units are never added up. Articles often repeat one
    figure (an English and a Chinese report), so ``value`` is the largest
    reported value for the district, unit and year, not a sum; ``reports``
    counts the observations behind it. ``unit`` / ``measure`` select rows
    (measure: case-insensitive substring).
    """
    sel = obs
    if unit:
        sel = sel[sel["unit"] == unit]
    if measure:
        sel = sel[sel["measure"].str.contains(measure, case=False, regex=False)]
    cols = ["unit", "district", "year", "value", "reports", "measures"]
    if sel.empty:
        return pd.DataFrame(columns=cols)
    sel = sel.assign(year=sel["year"].astype("Int64"))
    grouped = sel.groupby(["unit", "district", "year"], sort=True, dropna=False).agg(
        value=("value", "max"), reports=("value", "size"), measures=("measure", lambda s: sorted(set(s)))
    )
    return grouped.reset_index()[cols]


# ---------------------------------------------------------------- report, scores on the graph


def annotate(G: nx.MultiDiGraph, *, seed: int = 0) -> nx.MultiDiGraph:
    """Add ``degree``, ``betweenness``, ``pagerank`` and ``community`` to every node (in place).

    >>> H = annotate(nx.MultiDiGraph([("a", "b"), ("b", "c")]))
    >>> H.nodes["b"]["degree"], H.nodes["b"]["betweenness"], H.nodes["b"]["community"]
    (1.0, 1.0, 0)
    """
    u = _Undirected.of(G)
    membership = u.communities(seed)
    for n, degree, between, pagerank in zip(u.nodes, u.degree(), u.betweenness(seed), u.pagerank(), strict=True):
        data = G.nodes[n]
        data["degree"], data["betweenness"], data["pagerank"] = float(degree), float(between), float(pagerank)
        data["community"] = membership.get(n, -1)
    return G


def report(store: Store, filters: Filters | None = None, *, seed: int = 0, top: int = 10) -> dict[str, Any]:
    """Every analysis of the issue as named DataFrames (plus a few numbers under ``summary``)."""
    G = load_graph(store, filters)
    cent = centrality(G, seed=seed)
    summary = community_summary(G, seed=seed)
    obs = observations(store, G)
    return {
        "summary": pd.DataFrame([{
            "nodes": G.number_of_nodes(), "edges": G.number_of_edges(),
            "components": nx.number_connected_components(simple_graph(G)) if len(G) else 0,
            "communities": len(summary), "modularity": round(summary.attrs.get("modularity", 0.0), 4),
        }]),
        "groups": groups(G),
        "shared_schools": shared_schools(G),
        "group_overlaps": group_overlaps(G),
        "adoption": policy_adoption(G),
        "centrality": cent.groupby("type", sort=True).head(top).reset_index(drop=True),
        "communities": summary,
        "components": components(G),
        "district_measures": compare_districts(obs),
    }


_TITLES = {
    "summary": "Graph", "groups": "Education groups", "shared_schools": "Schools in several groups",
    "group_overlaps": "Groups sharing schools", "adoption": "Policy adoption across districts",
    "centrality": "Most central nodes by type (PageRank)", "communities": "Communities (Louvain, modularity)",
    "components": "Connected components", "district_measures": "Measures compared across districts (by unit)",
}
_HIDDEN = {"group", "lead_school_iri", "school", "node"}  # IRIs: in JSON, not in the tables


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return "" if value is None or value is pd.NA else str(value)


def _markdown(frame: pd.DataFrame) -> str:
    cols = [c for c in frame.columns if c not in _HIDDEN]
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for rec in frame[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in rec) + " |")
    return "\n".join(lines)


def render_report(sections: dict[str, pd.DataFrame], fmt: str = "table") -> str:
    """The report as terminal tables, ``json`` or ``markdown``.

    >>> print(render_report({"summary": pd.DataFrame([{"nodes": 2}])}, "markdown"))
    ## Graph
    <BLANKLINE>
    | nodes |
    |---|
    | 2 |
    <BLANKLINE>
    """
    if fmt == "json":
        data = {k: json.loads(v.to_json(orient="records", force_ascii=False)) for k, v in sections.items()}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if fmt not in {"table", "markdown"}:
        raise ValueError(f"unknown format {fmt!r}")
    out = []
    for name, frame in sections.items():
        title = _TITLES.get(name, name)
        if fmt == "markdown":
            out.append(f"## {title}\n\n" + (_markdown(frame) if len(frame) else "(none)") + "\n")
        else:
            shown = frame[[c for c in frame.columns if c not in _HIDDEN]].map(_cell)
            body = shown.to_string(index=False, max_colwidth=60) if len(frame) else "(none)"
            out.append(f"{title}\n{'=' * len(title)}\n{body}\n")
    return "\n".join(out)


def _double(x: float) -> Literal:
    return Literal(repr(float(x)), datatype=NamedNode(_XSD + "double"))


def analysis_quads(G: nx.MultiDiGraph, *, seed: int = 0) -> list[Quad]:
    """Centrality scores and community numbers as quads in the analysis graph."""
    annotate(G, seed=seed)
    g = NamedNode(ANALYSIS_GRAPH)
    out = []
    for n, data in sorted(G.nodes(data=True)):
        s = NamedNode(n)
        out += [
            Quad(s, NamedNode(EDU.degreeCentrality), _double(data["degree"]), g),
            Quad(s, NamedNode(EDU.betweenness), _double(data["betweenness"]), g),
            Quad(s, NamedNode(EDU.pageRank), _double(data["pagerank"]), g),
            Quad(s, NamedNode(EDU.community), Literal(str(data["community"]), datatype=NamedNode(_XSD + "integer")), g),
        ]
    return out


def _entity_graph(store: Store) -> _Undirected | None:
    """The graph :func:`load_graph` reads, as :class:`_Undirected` over the sorted entity IRIs: only what
    the scores need (no labels, types or districts). None if a graph name or an entity is a blank node.

    Two SPARQL queries, restricted to the article graphs by :func:`_only_articles`.
    """
    outside = _only_articles(store)
    if outside is None:
        return None
    kinds = " ".join(f"<{EDU[k]}>" for k in ENTITY_KINDS)
    found = [s for (s,) in store.query(
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?k {{ {kinds} }} GRAPH ?g {{ ?s a ?k }} {outside} }}")]
    if not all(isinstance(s, NamedNode) for s in found):
        return None
    nodes = sorted(s.value for s in found)
    index = {n: i for i, n in enumerate(nodes)}
    rels = " ".join(f"<{EDU[r]}>" for r in RELATIONS)
    facts = Counter(
        (s.value, o.value) for s, o in store.query(
            f"SELECT ?s ?o WHERE {{ VALUES ?r {{ {rels} }} GRAPH ?g {{ ?s ?r ?o }} FILTER(isIRI(?o)) {outside} }}")
    )
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    for (s, o), n in facts.items():
        i, j = index.get(s), index.get(o)
        if i is not None and j is not None and i != j:
            pairs[(i, j) if i < j else (j, i)] += n
    return _Undirected(nodes, dict(pairs))


def _ntriples(u: _Undirected, seed: int) -> str:
    """The scores of :func:`analysis_quads` as N-Triples (the IRIs come from the store: valid, nothing to escape)."""
    membership = u.communities(seed)
    deg, bet, pr, com = (f"<{EDU[p]}>" for p in ("degreeCentrality", "betweenness", "pageRank", "community"))
    double, integer = f"^^<{_XSD}double> .\n", f"^^<{_XSD}integer> .\n"
    return "".join(
        f'<{n}> {deg} "{float(d)!r}"{double}<{n}> {bet} "{float(b)!r}"{double}'
        f'<{n}> {pr} "{float(p)!r}"{double}<{n}> {com} "{membership.get(n, -1)}"{integer}'
        for n, d, b, p in zip(u.nodes, u.degree(), u.betweenness(seed), u.pagerank(), strict=True)
    )


def write_analysis_graph(store: Store, *, seed: int = 0) -> int:
    """Rebuild the analysis named graph from the current facts; returns the number of quads.

    ``kg analyze`` calls it, and ``kg build`` does when articles changed. The quads are those of
    ``analysis_quads(load_graph(store))``, read and written the quick way (see :func:`_entity_graph`;
    Oxigraph parses them as N-Triples).
    """
    from .store import BULK_ATOMIC_MAX, article_graphs, articles_fingerprint

    graph = NamedNode(ANALYSIS_GRAPH)
    # the fingerprint of the articles it was computed from, written with the scores (one load)
    mark = Quad(graph, NamedNode(EDU.contentHash), Literal(articles_fingerprint(article_graphs(store))), graph)
    u = _entity_graph(store)
    if u is None:  # blank nodes: the networkx way
        quads = [*analysis_quads(load_graph(store), seed=seed), mark]
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
        store.extend(quads)
        return len(quads)
    data = _ntriples(u, seed) + serialize([mark.triple], format=RdfFormat.N_TRIPLES).decode()
    quads = 4 * len(u.nodes) + 1
    if store.contains_named_graph(graph):
        store.remove_graph(graph)
    # the bulk loader writes a load under BULK_ATOMIC_MAX whole or not at all, several times faster
    load = store.bulk_load if quads <= BULK_ATOMIC_MAX else store.load
    load(data.encode(), format=RdfFormat.N_TRIPLES, to_graph=graph)
    return quads
