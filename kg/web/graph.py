"""``/graph`` (interactive network view, works offline) and ``/export/FORMAT`` downloads.

Both read the store the app serves (``app.extensions["kg"]["backend"].store``) and take
the same filters as ``kg export``: ``type``, ``district``, ``policy``, ``article``
(each repeatable) and ``seed``. The view draws with a vendored copy of Cytoscape.js
(``static/vendor``), so it needs no internet access.

Examples
--------
>>> filters_from_args({"type": ["School"], "district": ["hexi"]})
Filters(types=('School',), districts=('hexi',), policies=(), articles=())
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from ..analysis import Filters, annotate, load_graph
from ..export import EXPORTERS, TYPE_COLOURS, cytoscape_json, get_exporter
from ..vocab import ID_NS

__all__ = ["bp", "filters_from_args", "graph_for"]

bp = Blueprint("graph", __name__)

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
CYTOSCAPE_JS = "cytoscape-3.34.4.min.js"
_FILTER_ARGS = {"type": "types", "district": "districts", "policy": "policies", "article": "articles"}
_CACHE: OrderedDict[tuple, nx.MultiDiGraph] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()


def filters_from_args(args: Mapping[str, Any]) -> Filters:
    """Filters from query arguments (a werkzeug ``MultiDict`` or a dict of lists)."""
    values: dict[str, tuple[str, ...]] = {}
    for arg, field in _FILTER_ARGS.items():
        raw = args.getlist(arg) if hasattr(args, "getlist") else args.get(arg, [])
        values[field] = tuple(v for item in raw for v in str(item).split(",") if v.strip())
    return Filters(**values)


def _store() -> Any:
    kg = current_app.extensions["kg"]
    if isinstance(kg, Mapping):
        if "backend" in kg:
            return kg["backend"].store
        if "store" in kg:
            return kg["store"]
    return kg.store  # pragma: no cover - another app layout


def _generation() -> Any:
    kg = current_app.extensions["kg"]
    backend = kg.get("backend") if isinstance(kg, Mapping) else None
    return getattr(backend, "generation", None)


def graph_for(filters: Filters, *, seed: int = 0) -> nx.MultiDiGraph:
    """The filtered graph with scores, cached per store snapshot (do not modify it)."""
    store = _store()
    key = (id(store), _generation(), len(store), filters, seed)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    G = annotate(load_graph(store, filters), seed=seed)
    with _LOCK:
        _CACHE[key] = G
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return G


def _seed() -> int:
    try:
        return int(request.args.get("seed", 0))
    except ValueError:
        return 0


@bp.get("/graph")
def graph_view() -> str:
    """The interactive network page (data comes from ``/graph/data.json``)."""
    G = graph_for(filters_from_args(request.args), seed=_seed())
    districts = sorted({(d["district"], d["district_label"]) for _, d in G.nodes(data=True) if d["district"]},
                       key=lambda x: x[1])
    types = sorted({d["type"] for _, d in G.nodes(data=True)})
    return render_template(
        "graph.html",
        types=types,
        colours=TYPE_COLOURS,
        districts=districts,
        query=request.query_string.decode("utf-8"),
        n_nodes=G.number_of_nodes(),
        n_edges=G.number_of_edges(),
        formats=[(name, e.suffix) for name, e in EXPORTERS.items()],
        cytoscape_js=CYTOSCAPE_JS,
    )


@bp.get("/graph/data.json")
def graph_data() -> Response:
    """Cytoscape.js elements of the (filtered) graph, each node with its ``/id/…`` page."""
    G = graph_for(filters_from_args(request.args), seed=_seed())
    data = cytoscape_json(G)
    root = request.script_root
    for el in data["elements"]["nodes"]:
        iri = el["data"]["iri"]
        el["data"]["href"] = root + "/id/" + iri[len(ID_NS):] if iri.startswith(ID_NS) else iri
    return current_app.response_class(current_app.json.dumps(data), mimetype="application/json")


@bp.get("/graph/vendor/<path:name>")
def vendor(name: str) -> Response:
    """Vendored JavaScript (served by the blueprint itself, whatever the app's static setup)."""
    return send_from_directory(VENDOR, name, max_age=86400)


@bp.get("/export/<fmt>")
def export_download(fmt: str) -> Response:
    """Download the (filtered) graph as ``fmt``: graphml, gexf, cytoscape, d3, dot, csv, png, svg, …"""
    import io

    exporter = get_exporter(fmt)  # NotFoundError -> 404
    G = graph_for(filters_from_args(request.args), seed=_seed())
    buf = io.BytesIO()
    exporter.write(G, buf, seed=_seed())
    response = current_app.response_class(buf.getvalue(), mimetype=exporter.media_type)
    if request.args.get("download", "1") != "0":
        response.headers["Content-Disposition"] = f'attachment; filename="edukg-{fmt}{exporter.suffix}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
