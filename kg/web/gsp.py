"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol.

GET (and HEAD) read a graph — ``?graph=IRI`` for a named graph, ``?default`` for the default
graph, which here is the union of all graphs. PUT, POST and DELETE change the live store and
need the bearer token (``Settings.update_token``); without a configured token they are refused.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, parse
from werkzeug.exceptions import UnsupportedMediaType

from ..errors import ForbiddenError, NotFoundError, QueryError
from .common import backend, settings
from .pages import _rdf
from .sparql import _authorised

__all__ = ["bp"]

bp = Blueprint("gsp", __name__)


def _target() -> NamedNode | DefaultGraph:
    if "default" in request.args:
        return DefaultGraph()
    iri = request.args.get("graph")
    if not iri:
        raise QueryError("give ?graph=IRI or ?default")
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not an IRI: {iri}") from exc


@bp.route("/store", methods=["GET", "HEAD"])
def read() -> Response:
    """A graph in the negotiated RDF format."""
    graph = _target()
    store = backend().store
    if isinstance(graph, DefaultGraph):
        triples = {(q.subject, q.predicate, q.object) for q in store}
    else:
        if not store.contains_named_graph(graph):
            raise NotFoundError(f"no graph {graph.value}")
        triples = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, graph)}
    from .pages import _media

    media = _media()
    return _rdf(sorted(triples, key=str), "text/turtle" if media == "text/html" else media)


@bp.route("/store", methods=["PUT", "POST", "DELETE"])
def write() -> Response:
    """Replace (PUT), add to (POST) or drop (DELETE) a graph; needs the bearer token."""
    cfg = settings()
    if not cfg.update_token:
        raise ForbiddenError("the graph store is read-only (no update token is configured)")
    if not _authorised(cfg.update_token):
        raise ForbiddenError("writing the graph store needs the bearer token (Authorization: Bearer …)")
    graph = _target()
    quads = [] if request.method == "DELETE" else _body_quads(graph)
    method = request.method
    existed: list[bool] = []

    def apply(store: Store) -> None:
        present = store.contains_named_graph(graph) if isinstance(graph, NamedNode) else True
        existed.append(present)
        if method == "DELETE" and not present:
            return
        if method in ("PUT", "DELETE"):
            if isinstance(graph, NamedNode):
                if present:
                    store.remove_graph(graph)
            else:
                store.clear_graph(graph)
        store.extend(quads)

    backend().update(apply)
    if method == "DELETE" and not existed[0]:
        raise NotFoundError(f"no graph {graph.value}")  # type: ignore[union-attr]
    return Response(status=201 if method == "PUT" and not existed[0] else 204)


def _body_quads(graph: NamedNode | DefaultGraph) -> list[Quad]:
    try:
        rdf_format = RdfFormat.from_media_type(request.mimetype or "")
    except ValueError:
        rdf_format = None
    if rdf_format is None or rdf_format.supports_datasets:
        raise UnsupportedMediaType(f"send a graph format (Turtle, N-Triples, RDF/XML, JSON-LD), not {request.mimetype}")
    try:
        return [Quad(t.subject, t.predicate, t.object, graph) for t in parse(request.get_data(), format=rdf_format)]
    except SyntaxError as exc:
        raise QueryError(f"cannot parse the body: {exc}") from exc
