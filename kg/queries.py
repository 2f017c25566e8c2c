"""Named queries: ``queries/NAME.rq`` files with a comment header.

A file opens with ``#`` lines giving ``title:``, ``description:`` and ``params:`` (variable
names, space separated; a trailing ``?`` marks a parameter optional). Parameter values become
RDF terms (:func:`to_term`), which :func:`kg.store.run_query` writes into the query's pattern as
pyoxigraph serialises them (:mod:`kg.sparql_params`), or binds with ``substitutions``: a value is
never pasted into the query text as it came.

Examples
--------
>>> q = parse_named_query("evidence", '''# title: Evidence
... # description: Where a fact comes from.
... # params: s p o
... SELECT ?quote WHERE { ?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; edu:quote ?quote }''')
>>> q.title, q.params
('Evidence', ('s', 'p', 'o'))
>>> bind_params(q, {"s": "id:school/x", "p": "edu:memberOf", "o": "https://w3id.org/edukg/id/x"})["p"]
<NamedNode value=https://w3id.org/edukg/ontology#memberOf>
>>> bind_params(q, {"s": "x"})
Traceback (most recent call last):
...
kg.errors.QueryError: missing parameter(s) for evidence: o, p
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from .errors import NotFoundError, QueryError
from .vocab import PREFIXES

__all__ = ["NamedQuery", "parse_named_query", "load_queries", "get_query", "bind_params", "to_term"]

_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_HEADER = re.compile(r"#\s*(title|description|params)\s*:\s*(.*)", re.IGNORECASE)
_XSD = PREFIXES["xsd"]


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """One ``queries/NAME.rq`` file."""

    name: str
    title: str
    description: str
    params: tuple[str, ...]
    optional: frozenset[str]
    text: str


def parse_named_query(name: str, text: str) -> NamedQuery:
    """Read the comment header of a named query (the header ends at the first non-comment line)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER.match(stripped)
        if match:
            key = match.group(1).lower()
            fields[key] = (fields.get(key, "") + " " + match.group(2).strip()).strip()
        elif "description" in fields and stripped != "#":
            fields["description"] += " " + stripped.lstrip("#").strip()
    raw = fields.get("params", "").replace(",", " ").split()
    params = tuple(p.lstrip("?$").rstrip("?") for p in raw)
    optional = frozenset(p.lstrip("?$").rstrip("?") for p in raw if p.endswith("?"))
    return NamedQuery(name, fields.get("title", name), fields.get("description", ""), params, optional, text)


def load_queries(folder: str | Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` file of ``folder`` by name (sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.stem: parse_named_query(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.rq"))}


def get_query(folder: str | Path, name: str) -> NamedQuery:
    """The named query ``name`` or :class:`NotFoundError`."""
    path = Path(folder) / f"{name}.rq"
    if not _NAME.fullmatch(name) or not path.is_file():
        raise NotFoundError(f"no named query {name!r}")
    return parse_named_query(name, path.read_text(encoding="utf-8"))


def to_term(value: str) -> NamedNode | Literal:
    """A parameter value as an RDF term: IRIs (``<…>``, ``http…``, ``prefix:x``), numbers, or strings.

    >>> to_term("<https://w3id.org/edukg/id/district/x>").value
    'https://w3id.org/edukg/id/district/x'
    >>> to_term("2021").datatype.value, to_term("教育集团").value
    ('http://www.w3.org/2001/XMLSchema#integer', '教育集团')
    """
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return _iri(value[1:-1])
    if re.match(r"https?://\S+$", value):
        return _iri(value)
    prefix, colon, local = value.partition(":")
    if colon and prefix in PREFIXES and re.fullmatch(r"[^\s<>\"{}|^`\\]+", local):
        return _iri(PREFIXES[prefix] + local)
    if re.fullmatch(r"[+-]?\d+", value):
        return Literal(value, datatype=NamedNode(_XSD + "integer"))
    try:
        if re.fullmatch(r"[+-]?\d*\.\d+", value):
            Decimal(value)
            return Literal(value, datatype=NamedNode(_XSD + "decimal"))
    except InvalidOperation:  # pragma: no cover - the pattern already checked it
        pass
    return Literal(value)


def _iri(value: str) -> NamedNode:
    """``NamedNode(value)``; an invalid IRI is the caller's error (400), not a crash.

    >>> _iri("http://a b")
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: not a valid IRI: 'http://a b'
    """
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise QueryError(f"not a valid IRI: {value!r}") from exc


def bind_params(query: NamedQuery, values: Mapping[str, str]) -> dict[str, NamedNode | Literal]:
    """Substitutions for ``query`` from request values; missing required ones raise 400."""
    missing = sorted(p for p in query.params if not values.get(p) and p not in query.optional)
    if missing:
        raise QueryError(f"missing parameter(s) for {query.name}: {', '.join(missing)}")
    return {p: to_term(values[p]) for p in query.params if values.get(p)}
