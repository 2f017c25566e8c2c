"""``/sparql``: the SPARQL 1.1 Protocol (query; update only with the bearer token).

GET ``?query=`` and POST (form or ``application/sparql-query``); ``default-graph-uri`` and
``named-graph-uri`` choose the dataset, otherwise the default graph is the union of all graphs.
Results are negotiated from ``format`` or ``Accept``. GET without a query returns the SPARQL
service description.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.exceptions import NotAcceptable, RequestEntityTooLarge, UnsupportedMediaType

from ..errors import ForbiddenError, QueryError
from ..vocab import PREFIXES
from . import metrics
from .backend import QueryTimeout
from .common import backend, bounded, negotiate, settings, wants_html
from .describe import service_description
from .fastpath import CACHEABLE
from .results import GRAPH_FORMATS, RESULT_FORMATS, answer, format_for, refused_keywords, write

__all__ = ["bp", "execute"]

bp = Blueprint("sparql", __name__)

_FORM = "application/x-www-form-urlencoded"


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol endpoint."""
    query, update = _read_operation()
    if update is not None:
        return _update(update)
    if query is None:
        if wants_html():
            return redirect(url_for("pages.index"))
        return service_description()
    graphs = request.values.getlist("default-graph-uri"), request.values.getlist("named-graph-uri")
    ans = execute(query, default_graph=graphs[0] or None, named_graphs=graphs[1] or None)
    fmt = _choose_format(ans.kind)
    body, media = write(ans, fmt)
    resp = Response(body, mimetype=media)
    if media.startswith("text/") or "json" in media or "xml" in media:
        resp.charset = "utf-8"
    if ans.truncated:
        resp.headers["X-KG-Truncated"] = f"results cut at {settings().max_rows} rows"
    request.environ[CACHEABLE] = True  # the fast path in front may replay this answer
    return resp


def execute(query: str, **kwargs):
    """Check and run a query under the service's limits; returns a results ``Answer``."""
    cfg = settings()
    refused = [k for k in refused_keywords(query) if not (cfg.allow_service and k == "SERVICE")]
    if refused:
        metrics.REFUSED.labels(reason=refused[0].lower()).inc()
        raise ForbiddenError(f"{' and '.join(refused)} is not allowed on this endpoint")
    store = backend().store
    key = ("sparql", query, tuple(kwargs.get("default_graph") or ()), tuple(kwargs.get("named_graphs") or ()))
    try:
        return bounded(lambda: answer(store, query, max_rows=cfg.max_rows, **kwargs), cache_key=key)
    except QueryTimeout:
        metrics.TIMEOUTS.inc()
        raise


def _read_operation() -> tuple[str | None, str | None]:
    """(query, update) texts from the request; 413 / 415 for what the protocol refuses."""
    limit = settings().max_request_bytes
    if len(request.query_string) > limit or (request.content_length or 0) > limit:
        _drain(request.environ.get("wsgi.input"), min(request.content_length or 0, 16 * limit))
        raise RequestEntityTooLarge(f"requests are limited to {limit} bytes")
    if request.method in ("GET", "HEAD"):
        if "update" in request.args:
            raise QueryError("SPARQL Update must be sent with POST")
        return request.args.get("query"), None
    ctype = (request.mimetype or "").lower()
    if ctype == _FORM or ctype == "multipart/form-data":
        return request.form.get("query"), request.form.get("update")
    if ctype == "application/sparql-query":
        return request.get_data(as_text=True), None
    if ctype == "application/sparql-update":
        return None, request.get_data(as_text=True)
    raise UnsupportedMediaType(
        f"unsupported content type {ctype or '(none)'}: use application/sparql-query, "
        f"application/sparql-update or {_FORM}"
    )


def _drain(stream, size: int, chunk: int = 1 << 16) -> None:
    """Read and drop up to ``size`` bytes of a refused body, so the client is not reset while it
    is still sending and reads the 413 (a lingering close, as nginx does)."""
    while stream is not None and size > 0:
        data = stream.read(min(chunk, size))
        if not data:
            return
        size -= len(data)


def _choose_format(kind: str) -> str:
    requested = request.values.get("format") or request.values.get("output")
    if requested:
        fmt = format_for(kind, requested)
        if fmt is None:
            raise NotAcceptable(f"format {requested!r} is not available for this query form")
        return fmt
    table = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
    offers = [media for media, _ in table.values()]
    offers += ["application/json", "application/xml"] if kind != "graph" else ["application/turtle",
                                                                              "application/x-turtle"]
    media = negotiate(offers)
    if media is None and "text/html" in request.headers.get("Accept", ""):
        media = offers[0]  # a browser following a link: show the default format
    fmt = format_for(kind, media) if media else None
    if fmt is None:
        raise NotAcceptable(f"none of the accepted media types fits; offered: {', '.join(offers)}")
    return fmt


def _update(update: str) -> Response:
    cfg = settings()
    if not cfg.update_token:
        raise ForbiddenError("this endpoint is read-only (no update token is configured)")
    if not _authorised(cfg.update_token):
        raise ForbiddenError("SPARQL Update needs the bearer token (Authorization: Bearer …)")
    refused = [k for k in refused_keywords(update) if not cfg.allow_service]
    if refused:
        metrics.REFUSED.labels(reason=refused[0].lower()).inc()
        raise ForbiddenError(f"{' and '.join(refused)} is not allowed on this endpoint")

    def apply(store) -> None:
        try:
            store.update(update, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc

    backend().update(apply)
    return Response(status=204)


def _authorised(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())

