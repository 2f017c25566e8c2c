"""A remote SPARQL 1.1 store: build into a running server instead of the embedded store.

:class:`RemoteStore` speaks the SPARQL 1.1 Protocol (query), SPARQL 1.1 Update and the
Graph Store Protocol over HTTP, and this module offers the operations the pipeline uses
from :mod:`kg.store` under the same names and signatures (``article_graphs(store)``,
``replace_article(store, iri, quads)``, ``load_ontology``, ``stats``, ``dump``, ``rows``),
so :func:`kg.pipeline.build` can pick either module.

The replace-on-change rule is the embedded one: one article is one named graph, and it is
written in ONE request, so the server's transaction leaves it complete or absent:

- ``write="update"`` (default): ``DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { … } }``,
  one SPARQL Update request (atomic old → new on Oxigraph, Fuseki, GraphDB);
- ``write="gsp"``: ``PUT /store?graph=<g>`` with the graph as N-Triples (Graph Store Protocol).

Endpoints default to Oxigraph's layout (``/query``, ``/update``, ``/store``); pass
``query=``, ``update=``, ``gsp=`` for other servers, e.g. Fuseki's ``/ds/query``,
``/ds/update``, ``/ds/data``.

Examples
--------
>>> s = RemoteStore("http://127.0.0.1:7878")
>>> s.query_url, s.update_url, s.gsp_url
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
>>> is_remote("https://example.org/sparql"), is_remote("data/store")
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import urllib3
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse, serialize

from . import store as kgstore
from .errors import ConfigError, QueryError
from .vocab import EDU, GRAPH_NS, ID_NS, PREFIXES

__all__ = [
    "RemoteStore",
    "RemoteError",
    "is_remote",
    "article_hash",
    "article_graphs",
    "replace_article",
    "remove_article",
    "load_ontology",
    "rows",
    "dump",
    "stats",
    "write_analysis_graph",
]

log = logging.getLogger(__name__)

_PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
_NT = "application/n-triples"
_NQ = "application/n-quads"


class RemoteError(ConfigError):
    """The remote store refused a request or could not be reached."""


def is_remote(store: Any) -> bool:
    """True for an ``http(s)://`` URL (or a :class:`RemoteStore`)."""
    return isinstance(store, RemoteStore) or (isinstance(store, str) and store.startswith(("http://", "https://")))


class RemoteStore:
    """A SPARQL 1.1 server reached over HTTP (keep-alive connection pool).

    Parameters
    ----------
    url : base URL of the server, e.g. ``http://127.0.0.1:7878``
    query, update, gsp : endpoint URLs (default ``url`` + ``/query``, ``/update``, ``/store``)
    write : ``"update"`` (one SPARQL Update request per article) or ``"gsp"`` (one PUT)
    timeout : seconds per request
    headers : extra headers on every request (e.g. ``{"Authorization": "Bearer …"}``)
    """

    def __init__(
        self,
        url: str,
        *,
        query: str | None = None,
        update: str | None = None,
        gsp: str | None = None,
        write: str = "update",
        timeout: float = 120.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        if write not in {"update", "gsp"}:
            raise ValueError(f"write must be 'update' or 'gsp', not {write!r}")
        base = url.rstrip("/")
        self.url = base
        self.query_url = query or base + "/query"
        self.update_url = update or base + "/update"
        self.gsp_url = gsp or base + "/store"
        self.write = write
        self.headers = dict(headers or {})
        self._http = urllib3.PoolManager(
            maxsize=4, timeout=urllib3.Timeout(connect=10.0, read=timeout), retries=urllib3.Retry(2, redirect=0)
        )

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # -- transport ------------------------------------------------------------------
    def request(self, method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                ok: tuple[int, ...] = (200, 201, 204)) -> urllib3.BaseHTTPResponse:
        """One HTTP request; a status outside ``ok`` raises :class:`RemoteError`."""
        try:
            resp = self._http.request(method, url, body=body, headers={**self.headers, **(headers or {})})
        except urllib3.exceptions.HTTPError as exc:
            raise RemoteError(f"remote store {self.url} unreachable: {exc}") from exc
        if resp.status not in ok:
            text = resp.data[:500].decode("utf-8", "replace").strip()
            err = QueryError if resp.status == 400 else RemoteError
            raise err(f"{method} {url} -> HTTP {resp.status}: {text}")
        return resp

    def select(self, sparql: str, *, union: bool = False) -> list[dict[str, dict[str, str]]]:
        """Run a SELECT (prefixes predeclared); the SPARQL JSON ``bindings``.

        ``union=True`` asks for the union default graph (Oxigraph's ``union-default-graph``).
        """
        url = self.query_url + ("?union-default-graph" if union else "")
        resp = self.request("POST", url, body=(_PROLOGUE + sparql).encode(), headers={
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
        return json.loads(resp.data)["results"]["bindings"]

    def update(self, sparql: str) -> None:
        """Run one SPARQL Update request."""
        headers = {"Content-Type": "application/sparql-update"}
        self.request("POST", self.update_url, body=sparql.encode(), headers=headers)

    def put_graph(self, graph: str, triples: Iterable[Any]) -> None:
        """Replace named graph ``graph`` with ``triples`` (GSP PUT of N-Triples)."""
        body = serialize(list(triples), format=RdfFormat.N_TRIPLES) or b""
        url = self.gsp_url + "?" + urlencode({"graph": graph})
        self.request("PUT", url, body=body, headers={"Content-Type": _NT})

    def write_graph(self, graph: str, quads: list[Quad]) -> None:
        """Replace ``graph`` by ``quads`` in one request (``self.write`` decides how)."""
        triples = [q.triple for q in quads]
        if self.write == "gsp":
            self.put_graph(graph, triples)
            return
        nt = (serialize(triples, format=RdfFormat.N_TRIPLES) or b"").decode()
        self.update(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{nt}}} }}")

    def dataset(self) -> bytes:
        """The whole dataset as N-Quads (GSP GET without ``graph``)."""
        return self.request("GET", self.gsp_url, headers={"Accept": _NQ}).data

    def flush(self) -> None:
        """Nothing to flush: every request is committed by the server."""

    def __len__(self) -> int:
        q = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        return int(self.select(q)[0]["n"]["value"])


def _graph_of(article_iri: str) -> str:
    return GRAPH_NS + article_iri[len(ID_NS) :]


def article_hash(store: RemoteStore, article_iri: str) -> str | None:
    """The content hash recorded for an article, or None if it is not stored."""
    q = f"SELECT ?h WHERE {{ GRAPH <{_graph_of(article_iri)}> {{ <{article_iri}> <{EDU.contentHash}> ?h }} }}"
    found = store.select(q)
    return found[0]["h"]["value"] if found else None


def article_graphs(store: RemoteStore) -> dict[str, str]:
    """Map of article IRI -> content hash for every stored article (as :func:`kg.store.article_graphs`)."""
    q = f"SELECT ?a ?h WHERE {{ GRAPH ?g {{ ?a <{EDU.contentHash}> ?h }} }}"
    return {b["a"]["value"]: b["h"]["value"] for b in store.select(q)}


def replace_article(store: RemoteStore, article_iri: str, quads: Iterable[Quad] | bytes) -> None:
    """Replace the named graph of ``article_iri`` with ``quads`` (or N-Quads bytes) in one request."""
    graph = _graph_of(article_iri)
    if isinstance(quads, bytes | bytearray):
        quads = parse(bytes(quads), format=RdfFormat.N_QUADS)
    quads = list(quads)
    if any(q.graph_name != NamedNode(graph) for q in quads):
        raise ValueError(f"every quad must be in {graph}")
    store.write_graph(graph, quads)


def remove_article(store: RemoteStore, article_iri: str) -> None:
    """Drop the article's graph (no error if it is absent)."""
    store.update(f"DROP SILENT GRAPH <{_graph_of(article_iri)}>")


def load_ontology(store: RemoteStore, ttl_path: Path) -> bool:
    """Load ``ttl_path`` into the ontology graph if it changed; True if (re)loaded."""
    data = ttl_path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    g = kgstore.ONTOLOGY_GRAPH
    ask = f"SELECT ?h WHERE {{ GRAPH <{g}> {{ <{g}> <{EDU.contentHash}> ?h }} }}"
    if any(b["h"]["value"] == digest for b in store.select(ask)):
        return False
    graph = NamedNode(g)
    quads = [Quad(t.subject, t.predicate, t.object, graph) for t in parse(data, format=RdfFormat.TURTLE)]
    quads.append(Quad(graph, NamedNode(EDU.contentHash), Literal(digest), graph))
    store.write_graph(g, quads)
    return True


def rows(store: RemoteStore, sparql: str, *, union: bool = True) -> list[dict[str, str]]:
    """SELECT results as a list of {variable: lexical value} dicts (unbound left out)."""
    return [{k: v["value"] for k, v in b.items()} for b in store.select(sparql, union=union)]


def mirror(store: RemoteStore) -> Store:
    """An in-memory ``pyoxigraph.Store`` holding a copy of the remote dataset."""
    mem = Store()
    mem.bulk_load(store.dataset(), format=RdfFormat.N_QUADS)
    return mem


def dump(store: RemoteStore, output: IO[bytes] | str | Path, fmt: str = "nquads") -> None:
    """Write the whole remote dataset exactly as :func:`kg.store.dump` writes an embedded one."""
    kgstore.dump(mirror(store), output, fmt)


def stats(store: RemoteStore) -> dict[str, Any]:
    """Counts as :func:`kg.store.stats` gives them."""
    return kgstore.summarise(lambda q: rows(store, q, union=False), len(store))


def totals(store: RemoteStore) -> dict[str, int]:
    """Entities and quads for the build summary (as :func:`kg.store.totals`)."""
    entities = sum(int(r["n"]) for r in rows(store, kgstore.STATS_ENTITIES, union=False))
    return {"entities": entities, "quads": len(store)}


def write_analysis_graph(store: RemoteStore) -> bool:
    """Recompute the analysis graph on an in-memory mirror and write it back in one request.

    The analysis (``kg.analysis.write_analysis_graph``) needs the whole graph in memory
    anyway; running it on a mirror makes the remote dataset equal to an embedded build's.
    Returns False when the analysis module is not installed.
    """
    try:
        from .analysis import write_analysis_graph as analyse
    except ImportError:
        return False
    from .vocab import ANALYSIS_GRAPH

    mem = mirror(store)
    analyse(mem)
    quads = list(mem.quads_for_pattern(None, None, None, NamedNode(ANALYSIS_GRAPH)))
    if quads:
        store.write_graph(ANALYSIS_GRAPH, quads)
    else:
        store.update(f"DROP SILENT GRAPH <{ANALYSIS_GRAPH}>")
    return True


def refresh_analysis(store: RemoteStore) -> None:
    """:func:`write_analysis_graph`, logging (not raising) failures, as the embedded build does."""
    try:
        write_analysis_graph(store)
    except Exception:  # noqa: BLE001 - derived data; the build itself succeeded
        log.warning("analysis graph not refreshed:\n%s", traceback.format_exc())
