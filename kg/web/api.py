"""``/healthz``, ``/metrics``, ``/void``, ``/queries`` (named queries) and ``/search``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from pyoxigraph import Literal, NamedNode

from ..errors import QueryError
from ..queries import bind_params, get_query, load_queries
from ..store import stats
from . import metrics
from .common import backend, bounded, negotiate, settings, term_html
from .describe import void_description
from .results import answer, table, write
from .search import SearchIndex, index_for

__all__ = ["bp"]

bp = Blueprint("api", __name__)

_SEARCH_CACHE: dict[str, Any] = {}


@bp.route("/healthz")
def healthz() -> Response:
    """Liveness plus store statistics (articles, quads, entities per class)."""
    b = backend()
    counts = _stats(b)
    return jsonify({"ok": True, "snapshot_generation": b.generation, "in_memory": b.in_memory, **counts})


def _stats(b: Any) -> dict[str, Any]:
    """Store statistics, computed once per snapshot (seconds on a large store)."""
    return b.cached(("stats",), lambda: stats(b.store))


@bp.route("/metrics")
def prometheus() -> Response:
    """Prometheus text format: requests, latencies, timeouts, refusals, store gauges."""
    return Response(metrics.exposition(_stats(backend())), content_type=metrics.CONTENT_TYPE)


@bp.route("/void")
@bp.route("/.well-known/void")
def void() -> Response:
    """The VoID description of the dataset."""
    return void_description()


@bp.route("/queries")
@bp.route("/queries.json", defaults={"fmt": "json"}, endpoint="queries_json")
def queries(fmt: str | None = None) -> Any:
    """The named queries: HTML list, or JSON."""
    named = load_queries(settings().queries_dir)
    fmt = fmt or _format(["text/html", "application/json"])
    if fmt == "json":
        return jsonify({"ok": True, "queries": [
            {"name": q.name, "title": q.title, "description": q.description, "params": list(q.params),
             "optional": sorted(q.optional), "text": q.text} for q in named.values()
        ]})
    return render_template("queries.html", queries=named.values())


@bp.route("/queries/<name>")
def named_query(name: str) -> Any:
    """Run ``queries/NAME.rq`` with parameters from the query string (HTML, JSON or CSV)."""
    fmt = None
    for suffix in ("json", "csv", "tsv"):
        if name.endswith("." + suffix):
            name, fmt = name[: -len(suffix) - 1], suffix
    query = get_query(settings().queries_dir, name)
    fmt = fmt or _format(["text/html", "application/json", "text/csv", "text/tab-separated-values"])
    if fmt == "html" and any(p not in query.optional and not request.args.get(p) for p in query.params):
        return render_template("query.html", query=query, values=request.args, columns=[], rows=[],
                               truncated=False, term_html=term_html, ran=False)
    subs = bind_params(query, request.args)
    cfg = settings()
    store = backend().store
    key = ("named", name, tuple(sorted((k, str(v)) for k, v in subs.items())))
    ans = bounded(lambda: answer(store, query.text, max_rows=cfg.max_rows, substitutions=subs), cache_key=key)
    if fmt in ("csv", "tsv"):
        body, media = write(ans, fmt)
        return Response(body, mimetype=media, headers={"Content-Disposition": f'inline; filename="{name}.{fmt}"'})
    columns, rows = table(ans)
    if fmt == "json":
        return jsonify({"ok": True, "query": name, "params": {k: str(v) for k, v in subs.items()},
                        "columns": columns, "rows": [{k: _plain(v) for k, v in r.items()} for r in rows],
                        "truncated": ans.truncated})
    return render_template("query.html", query=query, values=request.args, columns=columns, rows=rows,
                           truncated=ans.truncated, term_html=term_html, ran=True)


@bp.route("/search")
def search() -> Any:
    """Entities whose labels or aliases match ``q`` (any language), ranked."""
    q = request.args.get("q", "").strip()
    try:
        limit = max(1, min(int(request.args.get("limit", 20)), 200))
    except ValueError as exc:
        raise QueryError("limit must be a number") from exc
    hits = _index().search(q, limit=limit) if q else []
    fmt = _format(["text/html", "application/json"])
    if fmt == "json":
        from .common import local_href

        return jsonify({"ok": True, "q": q, "hits": [
            {"iri": h.iri, "label": h.label, "matched": h.matched, "kind": h.kind, "score": h.score,
             "href": local_href(h.iri)}
            for h in hits
        ]})
    return render_template("search.html", q=q, hits=hits)


def _index() -> SearchIndex:
    b = backend()
    store = b.store
    key = f"{id(b)}:{b.generation}"
    if _SEARCH_CACHE.get("key") != key:
        _SEARCH_CACHE.update(key=key, index=index_for(store))
    return _SEARCH_CACHE["index"]


def _format(offers: list[str]) -> str:
    requested = request.args.get("format")
    if requested:
        return requested.lower()
    media = negotiate(offers) or offers[0]
    return {"text/html": "html", "application/json": "json", "text/csv": "csv",
            "text/tab-separated-values": "tsv"}.get(media, "html")


def _plain(term: Any) -> Any:
    if isinstance(term, Literal | NamedNode):
        return term.value
    return term if isinstance(term, bool) else str(term)

