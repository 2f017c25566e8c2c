"""Running SPARQL with limits, and writing its results in the negotiated format.

A query runs in a killable child (:func:`~kg.web.backend.run_killable`) that returns a
:class:`Answer`: SELECT rows as SPARQL TSV (capped at ``max_rows``), ASK as a bool, graphs as
N-Triples. The worker then writes the format the client asked for with Oxigraph's own writers
(JSON-LD through rdflib, to get it compacted with a ``@context``).

Examples
--------
>>> from pyoxigraph import Store
>>> a = answer(Store(), "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }", max_rows=2)
>>> a.kind, a.truncated, len(table(a)[1])
('select', True, 2)
>>> write(a, "csv")[0].decode().split()
['x', '1', '2']
>>> refused_keywords("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
['SERVICE']
>>> refused_keywords('SELECT ("SERVICE" AS ?x) { ?s <http://e/SERVICE> ?o } # SERVICE')
[]
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from ..errors import QueryError
from ..store import run_query
from ..vocab import PREFIXES

__all__ = [
    "Answer",
    "RESULT_FORMATS",
    "GRAPH_FORMATS",
    "answer",
    "write",
    "table",
    "refused_keywords",
    "format_for",
]

#: name -> (media type, pyoxigraph format) for SELECT / ASK results.
RESULT_FORMATS: dict[str, tuple[str, QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", QueryResultsFormat.XML),
    "csv": ("text/csv", QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", QueryResultsFormat.TSV),
}
#: name -> (media type, pyoxigraph format) for CONSTRUCT / DESCRIBE results.
GRAPH_FORMATS: dict[str, tuple[str, RdfFormat]] = {
    "turtle": ("text/turtle", RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", RdfFormat.RDF_XML),
    "trig": ("application/trig", RdfFormat.TRIG),
    "nquads": ("application/n-quads", RdfFormat.N_QUADS),
}
# Other names and media types clients send for the same formats.
_ALIASES = {
    "application/json": "json", "application/sparql-results+json": "json", "srj": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml", "srx": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
    "text/turtle": "turtle", "application/turtle": "turtle", "application/x-turtle": "turtle", "ttl": "turtle",
    "n3": "turtle", "text/n3": "turtle",
    "application/n-triples": "ntriples", "nt": "ntriples", "n-triples": "ntriples", "text/plain": "ntriples",
    "application/ld+json": "jsonld", "json-ld": "jsonld", "application/x-json+ld": "jsonld",
    "application/rdf+xml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml", "owl": "rdfxml",
    "application/trig": "trig", "application/n-quads": "nquads", "nq": "nquads", "n-quads": "nquads",
}
# For graph results, "json" and "xml" mean their RDF counterparts (SPARQLWrapper sends them so).
_GRAPH_SWAP = {"json": "jsonld", "xml": "rdfxml", "csv": None, "tsv": None}
_RESULT_SWAP = {"jsonld": "json", "rdfxml": "xml"}


@dataclass(frozen=True)
class Answer:
    """What a query produced: ``kind`` is ``select``, ``ask`` or ``graph``."""

    kind: str
    data: bytes | bool
    truncated: bool = False
    count: int = 0


def answer(store: Store, sparql: str, *, max_rows: int, **kwargs: Any) -> Answer:
    """Run ``sparql`` on ``store`` and keep at most ``max_rows`` rows or triples."""
    try:
        result = run_query(store, sparql, **kwargs)
    except RuntimeError as exc:  # e.g. a substitution for a variable the query does not project
        raise QueryError(str(exc)) from exc
    if isinstance(result, QueryBoolean):
        return Answer("ask", bool(result))
    if isinstance(result, QuerySolutions):
        names = [v.value for v in result.variables]
        kept = list(islice(result, max_rows + 1))
        lines = ["\t".join("?" + n for n in names)]
        for sol in kept[:max_rows]:
            lines.append("\t".join("" if sol[n] is None else str(sol[n]) for n in names))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        return Answer("select", data, len(kept) > max_rows, min(len(kept), max_rows))
    kept = list(islice(result, max_rows + 1))
    out = io.BytesIO()
    serialize(kept[:max_rows], out, format=RdfFormat.N_TRIPLES)
    return Answer("graph", out.getvalue(), len(kept) > max_rows, min(len(kept), max_rows))


def format_for(kind: str, requested: str | None) -> str | None:
    """The format name for an answer of ``kind``, given a requested name or media type.

    >>> format_for("graph", "json"), format_for("select", "text/turtle"), format_for("ask", None)
    ('jsonld', None, 'json')
    """
    if requested is None:
        return "turtle" if kind == "graph" else "json"
    name = _ALIASES.get(requested.lower(), requested.lower())
    if kind == "graph":
        name = _GRAPH_SWAP.get(name, name)
        return name if name in GRAPH_FORMATS else None
    name = _RESULT_SWAP.get(name, name)
    return name if name in RESULT_FORMATS else None


def write(ans: Answer, fmt: str) -> tuple[bytes, str]:
    """Serialise an answer in the format ``fmt`` (a name from the format tables)."""
    if ans.kind == "graph":
        media, rdf_format = GRAPH_FORMATS[fmt]
        return graph_bytes(ans.data, rdf_format), media  # type: ignore[arg-type]
    media, results_format = RESULT_FORMATS[fmt]
    if ans.kind == "ask":
        parsed = parse_query_results(f'{{"head":{{}},"boolean":{"true" if ans.data else "false"}}}',
                                     QueryResultsFormat.JSON)
    else:
        parsed = parse_query_results(ans.data, QueryResultsFormat.TSV)
    out = io.BytesIO()
    parsed.serialize(out, format=results_format)
    return out.getvalue(), media


def graph_bytes(ntriples: bytes, rdf_format: RdfFormat) -> bytes:
    """N-Triples re-written as ``rdf_format``; JSON-LD comes out compacted with a ``@context``."""
    if rdf_format == RdfFormat.JSON_LD:
        import rdflib

        graph = rdflib.Graph()
        graph.parse(data=ntriples.decode("utf-8"), format="nt")
        used = {k: v for k, v in PREFIXES.items() if v.encode() in ntriples}
        return graph.serialize(format="json-ld", context=used or {}, auto_compact=True).encode("utf-8")
    triples = list(parse(ntriples, format=RdfFormat.N_TRIPLES))
    out = io.BytesIO()
    prefixes = PREFIXES if rdf_format in (RdfFormat.TURTLE, RdfFormat.TRIG, RdfFormat.RDF_XML) else None
    if prefixes:
        serialize(triples, out, format=rdf_format, prefixes=prefixes)
    else:
        serialize(triples, out, format=rdf_format)
    return out.getvalue()


def table(ans: Answer) -> tuple[list[str], list[dict[str, Any]]]:
    """(variables, rows of variable -> pyoxigraph term) of a SELECT answer (ASK: one row)."""
    if ans.kind == "ask":
        return ["boolean"], [{"boolean": ans.data}]
    if ans.kind != "select":
        raise QueryError("expected a SELECT or ASK query")
    parsed = parse_query_results(ans.data, QueryResultsFormat.TSV)
    names = [v.value for v in parsed.variables]
    return names, [{n: sol[n] for n in names if sol[n] is not None} for sol in parsed]


_STRIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.DOTALL,
)
_KEYWORDS = re.compile(r"(?<![\w?$:@-])(SERVICE|LOAD)(?![\w:])", re.IGNORECASE)


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def refused_keywords(sparql: str) -> list[str]:
    """``SERVICE`` / ``LOAD`` keywords outside strings, IRIs and comments (upper-cased).

    Codepoint escapes are undone first, as the SPARQL grammar does before parsing.

    >>> refused_keywords(r"SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }")
    ['SERVICE']
    """
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    return sorted({m.group(1).upper() for m in _KEYWORDS.finditer(_STRIP.sub(" ", text))})
