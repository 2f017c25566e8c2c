"""Graph exports for visualisation tools, registered by name (shared by ``kg export`` and ``/export/FMT``).

Each :class:`Exporter` has a media type, a file suffix and ``write(G, out, *, seed)``,
where ``G`` is a graph from :func:`kg.analysis.load_graph` and ``out`` a path or
a binary stream. Writers add the centrality scores and community numbers to the
nodes first (:func:`kg.analysis.annotate`), so tools can size and colour by them.

Examples
--------
>>> import io, networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://w3id.org/edukg/id/school/a", iri="https://w3id.org/edukg/id/school/a", type="School",
...            label="A", label_en="A", label_zh="", district="", district_label="")
>>> buf = io.BytesIO()
>>> EXPORTERS["d3"].write(G, buf)
>>> json.loads(buf.getvalue())["nodes"][0]["type"]
'School'
>>> sorted(EXPORTERS)[:4]
['csv', 'csv-edges', 'csv-nodes', 'cytoscape']
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import networkx as nx

from .analysis import annotate
from .errors import NotFoundError

__all__ = ["Exporter", "EXPORTERS", "TYPE_COLOURS", "NODE_COLUMNS", "EDGE_COLUMNS", "get_exporter", "export"]

#: Colour of each node type (hex), shared by GEXF, DOT, the pictures and the /graph view.
TYPE_COLOURS: dict[str, str] = {
    "City": "#8c564b",
    "District": "#1f77b4",
    "Province": "#7f7f7f",
    "School": "#2ca02c",
    "EducationGroup": "#d62728",
    "Policy": "#9467bd",
    "GovernmentBody": "#ff7f0e",
    "Person": "#e377c2",
}
_DEFAULT_COLOUR = "#bcbd22"
#: Font fallback chain of the pictures: Latin first, then CJK (Debian fonts-noto-cjk) for Chinese labels.
_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Droid Sans Fallback")

NODE_COLUMNS = ("id", "label", "label_en", "label_zh", "type", "district", "district_label",
                "degree", "betweenness", "pagerank", "community")
EDGE_COLUMNS = ("source", "target", "relation", "articles")

Sink = str | Path | IO[bytes]


class Exporter(NamedTuple):
    """One export format: ``write(G, out, *, seed=0)`` writes ``G`` to a path or binary stream."""

    media_type: str
    suffix: str
    write: Callable[..., None]


@contextlib.contextmanager
def _sink(out: Sink) -> Iterator[IO[bytes]]:
    if isinstance(out, str | Path):
        with open(out, "wb") as fh:
            yield fh
    else:
        yield out


def _prepared(G: nx.MultiDiGraph, seed: int) -> nx.MultiDiGraph:
    """A copy with scores on every node (the caller's graph is left alone)."""
    H = G.copy()
    if any("pagerank" not in d for _, d in H.nodes(data=True)):
        annotate(H, seed=seed)
    return H


def colour(kind: str) -> str:
    """Hex colour of a node type.

    >>> colour("School")
    '#2ca02c'
    """
    return TYPE_COLOURS.get(kind, _DEFAULT_COLOUR)


def _rgb(hex_colour: str) -> dict[str, int]:
    return {"r": int(hex_colour[1:3], 16), "g": int(hex_colour[3:5], 16), "b": int(hex_colour[5:7], 16)}


# ---------------------------------------------------------------- writers


def write_graphml(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """GraphML with typed attributes (string / double / int), for Gephi and yEd."""
    H = _prepared(G, seed)
    with _sink(out) as fh:
        nx.write_graphml(H, fh, named_key_ids=True)


def write_gexf(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """GEXF 1.2 with labels, colours by type and sizes by PageRank."""
    H = _prepared(G, seed)
    top = max((d["pagerank"] for _, d in H.nodes(data=True)), default=1.0) or 1.0
    for _, data in H.nodes(data=True):
        data["viz"] = {"color": {**_rgb(colour(data["type"])), "a": 1.0}, "size": 5.0 + 25.0 * data["pagerank"] / top}
    for _, _, data in H.edges(data=True):
        data["label"] = data["relation"]
        data["weight"] = data.get("articles", 1)
    with _sink(out) as fh:
        nx.write_gexf(H, fh)


def _json(data: Any, out: Sink) -> None:
    with _sink(out) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def cytoscape_json(G: nx.MultiDiGraph, *, seed: int = 0) -> dict[str, Any]:
    """Cytoscape.js elements JSON (``nx.cytoscape_data``) with a ``colour`` per node."""
    H = _prepared(G, seed)
    for _, data in H.nodes(data=True):
        data["colour"] = colour(data["type"])
    return nx.cytoscape_data(H, name="label", ident="id")


def write_cytoscape(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """Cytoscape.js JSON; read back with ``nx.cytoscape_graph``."""
    _json(cytoscape_json(G, seed=seed), out)


def write_d3(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """D3 node-link JSON (``nodes`` / ``links`` with ``source`` / ``target``)."""
    H = _prepared(G, seed)
    for _, data in H.nodes(data=True):
        data["colour"] = colour(data["type"])
    _json(nx.node_link_data(H, edges="links"), out)


def _quoted(value: Any) -> str:
    """A DOT double-quoted string (IRIs hold ':' which DOT would read as a port).

    >>> _quoted('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_pydot(G: nx.MultiDiGraph, *, seed: int = 0) -> Any:
    """A ``pydot.Dot`` graph: filled nodes coloured by type, edges labelled by relation."""
    try:
        import pydot
    except ImportError as exc:  # pragma: no cover - pydot is a dependency
        raise ImportError("DOT export needs pydot: pip install pydot") from exc
    H = _prepared(G, seed)
    P = pydot.Dot(graph_type="digraph", strict=False, rankdir="LR", overlap="false")
    P.set_node_defaults(style="filled", fontname="Noto Sans CJK SC")
    for n, data in sorted(H.nodes(data=True)):
        attrs = {k: _quoted(v) for k, v in data.items()}
        P.add_node(pydot.Node(_quoted(n), fillcolor=_quoted(colour(data["type"])), **attrs))
    for u, v, k, data in sorted(H.edges(keys=True, data=True)):
        attrs = {a: _quoted(x) for a, x in data.items() if a != "relation"}
        P.add_edge(pydot.Edge(_quoted(u), _quoted(v), key=_quoted(k), relation=_quoted(k), label=_quoted(k), **attrs))
    return P


def write_dot(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """Graphviz DOT (through pydot), every id and value quoted."""
    with _sink(out) as fh:
        fh.write(to_pydot(G, seed=seed).to_string().encode("utf-8"))


def _csv_bytes(header: tuple[str, ...], records: Iterator[tuple]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(records)
    return buf.getvalue().encode("utf-8")


def node_table(G: nx.MultiDiGraph, *, seed: int = 0) -> bytes:
    """The node table as CSV bytes (one row per node, ``NODE_COLUMNS``)."""
    H = _prepared(G, seed)
    records = ((n, *(d.get(c, "") for c in NODE_COLUMNS[1:])) for n, d in sorted(H.nodes(data=True)))
    return _csv_bytes(NODE_COLUMNS, records)


def edge_table(G: nx.MultiDiGraph) -> bytes:
    """The edge table as CSV bytes (one row per fact, ``EDGE_COLUMNS``)."""
    records = ((u, v, k, d.get("articles", 1)) for u, v, k, d in sorted(G.edges(keys=True, data=True)))
    return _csv_bytes(EDGE_COLUMNS, records)


def write_csv_nodes(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    with _sink(out) as fh:
        fh.write(node_table(G, seed=seed))


def write_csv_edges(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    with _sink(out) as fh:
        fh.write(edge_table(G))


def write_csv_zip(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0) -> None:
    """A zip archive holding ``nodes.csv`` and ``edges.csv``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nodes.csv", node_table(G, seed=seed))
        zf.writestr("edges.csv", edge_table(G))
    with _sink(out) as fh:
        fh.write(buf.getvalue())


def draw(G: nx.MultiDiGraph, out: Sink, *, fmt: str = "png", seed: int = 0,
         width: int = 1200, height: int = 900, dpi: int = 100) -> None:
    """A static picture (matplotlib, Agg): spring layout, colour by type, size by PageRank.

    The image is exactly ``width`` × ``height`` pixels (PNG) or that size in points/dpi (SVG).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    H = _prepared(G, seed)
    S = nx.Graph(H)
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    if len(S):
        pos = nx.spring_layout(S, seed=seed, k=1.5 / max(len(S), 1) ** 0.5)
        top = max(d["pagerank"] for _, d in S.nodes(data=True)) or 1.0
        sizes = [60 + 600 * d["pagerank"] / top for _, d in S.nodes(data=True)]
        colours = [colour(d["type"]) for _, d in S.nodes(data=True)]
        nx.draw_networkx_edges(S, pos, ax=ax, edge_color="#999999", width=0.8)
        nx.draw_networkx_nodes(S, pos, ax=ax, node_size=sizes, node_color=colours, linewidths=0)
        labels = {n: d["label"] for n, d in S.nodes(data=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a glyph missing from the installed fonts is not an error
            nx.draw_networkx_labels(S, pos, labels=labels, ax=ax, font_size=7, font_family=_font_chain())
        ax.margins(0.12)
        kinds = sorted({d["type"] for _, d in S.nodes(data=True)})
        handles = [Line2D([], [], marker="o", ls="", color=colour(k), label=k) for k in kinds]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    with _sink(out) as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(fh, format=fmt, dpi=dpi)
    plt.close(fig)


def _font_chain() -> list[str]:
    """The installed fonts of ``_FONTS`` (asking for a missing one makes matplotlib log each time)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in _FONTS if f in installed] or ["sans-serif"]


def _picture(fmt: str) -> Callable[..., None]:
    def write(G: nx.MultiDiGraph, out: Sink, *, seed: int = 0, **options: Any) -> None:
        draw(G, out, fmt=fmt, seed=seed, **options)

    write.__doc__ = f"A static {fmt.upper()} picture (see :func:`draw`)."
    return write


#: Every export format by name.
EXPORTERS: dict[str, Exporter] = {
    "graphml": Exporter("application/graphml+xml", ".graphml", write_graphml),
    "gexf": Exporter("application/gexf+xml", ".gexf", write_gexf),
    "cytoscape": Exporter("application/json", ".cyjs", write_cytoscape),
    "d3": Exporter("application/json", ".json", write_d3),
    "dot": Exporter("text/vnd.graphviz", ".dot", write_dot),
    "csv": Exporter("application/zip", ".zip", write_csv_zip),
    "csv-nodes": Exporter("text/csv", ".csv", write_csv_nodes),
    "csv-edges": Exporter("text/csv", ".csv", write_csv_edges),
    "png": Exporter("image/png", ".png", _picture("png")),
    "svg": Exporter("image/svg+xml", ".svg", _picture("svg")),
}


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name``; :class:`~kg.errors.NotFoundError` (404) if none.

    >>> get_exporter("gexf").suffix
    '.gexf'
    """
    try:
        return EXPORTERS[name]
    except KeyError:
        raise NotFoundError(f"unknown export format {name!r}; choose one of {', '.join(EXPORTERS)}") from None


def export(G: nx.MultiDiGraph, fmt: str, out: Sink, *, seed: int = 0) -> None:
    """Write ``G`` in format ``fmt`` to ``out`` (a path or a binary stream)."""
    get_exporter(fmt).write(G, out, seed=seed)
