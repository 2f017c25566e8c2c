"""Query text lookup and result rendering for ``kg query``.

>>> from kg.store import open_store
>>> print(render(open_store(None), "SELECT ?x WHERE { VALUES ?x { 1 2 } }", "table", ()), end="")
x
-
1
2
(2 rows)
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
)

from .errors import QueryError
from .store import run_query

__all__ = ["resolve_query_text", "parse_params", "render"]

_RESULT_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "xml": QueryResultsFormat.XML,
}
_GRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "nquads": RdfFormat.N_TRIPLES, "json": RdfFormat.JSON_LD}


def resolve_query_text(query_or_file: str, queries_dir: Path) -> str:
    """A query string, a path to a ``.rq`` file, or the name of ``queries/NAME.rq``."""
    path = Path(query_or_file)
    if query_or_file.endswith(".rq") or (len(query_or_file) < 256 and "\n" not in query_or_file and path.is_file()):
        if not path.is_file():
            raise QueryError(f"no such query file: {query_or_file}")
        return path.read_text(encoding="utf-8")
    if re.fullmatch(r"[A-Za-z0-9_\-]+", query_or_file):
        named = queries_dir / f"{query_or_file}.rq"
        if named.is_file():
            return named.read_text(encoding="utf-8")
    return query_or_file


def parse_params(params: tuple[str, ...] | list[str]) -> dict[str, NamedNode | Literal | BlankNode]:
    """``NAME=VALUE`` pairs to RDF terms: ``<iri>`` or http(s) IRIs become NamedNodes.

    >>> parse_params(["s=https://w3id.org/edukg/id/x", "n=3"])["s"].value
    'https://w3id.org/edukg/id/x'
    """
    out: dict[str, NamedNode | Literal | BlankNode] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise QueryError(f"bad parameter {item!r}: expected NAME=VALUE")
        name = name.lstrip("?$")
        if value.startswith("<") and value.endswith(">"):
            out[name] = NamedNode(value[1:-1])
        elif re.match(r"https?://\S+$", value):
            out[name] = NamedNode(value)
        else:
            out[name] = Literal(value)
    return out


def render(store: Store, text: str, fmt: str, params: tuple[str, ...] | list[str]) -> str:
    """Run ``text`` and render the result as table/json/csv/tsv/xml (SELECT, ASK) or RDF (CONSTRUCT)."""
    result = run_query(store, text, substitutions=parse_params(params) or None)
    if isinstance(result, QueryBoolean):
        if fmt == "table":
            return f"{bool(result)}\n".lower()
        return result.serialize(format=_RESULT_FORMATS.get(fmt, QueryResultsFormat.JSON)).decode("utf-8")
    if isinstance(result, QuerySolutions):
        if fmt == "table":
            return _table(result)
        if fmt not in _RESULT_FORMATS:
            raise QueryError(f"format {fmt} is for graph results; use table, json, csv, tsv or xml")
        return result.serialize(format=_RESULT_FORMATS[fmt]).decode("utf-8")
    rdf_format = _GRAPH_FORMATS.get(fmt, RdfFormat.TURTLE)
    return result.serialize(format=rdf_format).decode("utf-8")


def _cell(term) -> str:
    if term is None:
        return ""
    return term.value


def _table(result: QuerySolutions) -> str:
    names = [v.value for v in result.variables]
    body = [[_cell(sol[n]) for n in names] for sol in result]
    widths = [max([len(n)] + [len(r[i]) for r in body]) for i, n in enumerate(names)]
    out = io.StringIO()
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in body:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(body)} rows)\n" if len(body) != 1 else "(1 row)\n")
    return out.getvalue()
