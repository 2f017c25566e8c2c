"""Helpers shared by the blueprints: settings, backend, public URLs, negotiation, term display."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request, url_for
from markupsafe import Markup, escape
from pyoxigraph import Literal, NamedNode

from ..config import Settings
from ..vocab import EDU_NS, ID_NS, PREFIXES
from .backend import Backend

__all__ = [
    "settings", "backend", "bounded", "public_url", "negotiate", "local_href", "term_html", "short", "wants_html",
]

T = TypeVar("T")


def settings() -> Settings:
    return current_app.extensions["kg"]["settings"]


def backend() -> Backend:
    return current_app.extensions["kg"]["backend"]


def bounded(compute: Callable[[], T], *, cache_key: Any = None) -> T:
    """``compute()`` (a store query) held to the time limit, remembered per snapshot if ``cache_key``.

    Under ``kg serve`` the query runs in a thread of the worker (fast); a query past the limit
    gets 503 and its worker is replaced after answering. Elsewhere each query runs in a forked
    child killed at the limit (``query_isolation``).
    """
    from .backend import run_in_thread, run_killable

    cfg = settings()

    def run() -> T:
        mode = cfg.query_isolation
        if mode == "auto":
            mode = "thread" if current_app.extensions["kg"].get("supervised") else "fork"
        if mode == "thread":
            return run_in_thread(compute, timeout=cfg.query_timeout, on_timeout=_retire)
        return run_killable(compute, timeout=cfg.query_timeout)

    return run() if cache_key is None else backend().cached(cache_key, run)


def _retire() -> None:
    g.kg_retire = True


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute URL of ``endpoint`` as the public sees it (``base_url`` behind a proxy)."""
    path = url_for(endpoint, **values)  # includes the path prefix (SCRIPT_NAME)
    base = settings().base_url.rstrip("/")
    if base:
        prefix = request.script_root
        return base + path[len(prefix):]
    return request.host_url.rstrip("/") + path


def negotiate(offers: list[str], requested: str | None = None) -> str | None:
    """The offered media type the client prefers (``format`` beats ``Accept``; q-values honoured).

    Returns the first offer when the client states no preference, None if nothing fits.
    """
    if requested:
        return requested
    accept = request.accept_mimetypes
    if not request.headers.get("Accept"):
        return offers[0]
    best = accept.best_match(offers)
    return best


def wants_html() -> bool:
    """True when the client prefers HTML over RDF/JSON (browsers)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "text/turtle"])
    return best == "text/html" and bool(request.headers.get("Accept"))


def local_href(iri: str) -> str | None:
    """Local path answering ``iri`` (``/id/…`` or ``/ontology#…``), or None for foreign IRIs."""
    if iri.startswith(ID_NS):
        return url_for("pages.entity", path=iri[len(ID_NS):])
    if iri.startswith(EDU_NS):
        return url_for("pages.ontology") + "#" + iri[len(EDU_NS):]
    return None


def short(iri: str) -> str:
    """Prefixed form of an IRI when a known prefix fits.

    >>> short("https://w3id.org/edukg/ontology#School")
    'edu:School'
    """
    best = ""
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best) and "/" not in iri[len(ns):].strip("/"):
            best, pick = ns, name
    return f"{pick}:{iri[len(best):]}" if best else iri


def term_html(term: Any, labels: dict[str, str] | None = None) -> Markup:
    """A term as escaped HTML: local link for our IRIs, language tag for literals."""
    if isinstance(term, NamedNode):
        label = (labels or {}).get(term.value) or short(term.value)
        href = local_href(term.value) or term.value
        if not href.startswith(("/", "http://", "https://")):  # javascript:, data: ... are never links
            return Markup('<span title="{}">{}</span>').format(term.value, label)
        return Markup('<a href="{}" title="{}">{}</a>').format(href, term.value, label)
    if isinstance(term, Literal):
        if term.language:
            return Markup('{} <span class="lang">@{}</span>').format(term.value, term.language)
        return escape(term.value)
    if term is None:
        return Markup("")
    return escape(str(term))
