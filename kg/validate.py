"""SHACL validation of the built dataset against ``ontology/shapes.ttl``.

Shapes hold on the union of all graphs: every quad of the store is loaded into
one ``rdflib.Graph`` together with the ontology (class hierarchy, unit and
policy concepts), and that graph is checked with pySHACL (imported lazily).

Examples
--------
>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix edu: <https://w3id.org/edukg/ontology#> .
... <https://w3id.org/edukg/id/school/x> a edu:School .
... ''', format="turtle")
>>> report = validate_graph(g)
>>> report.conforms
False
>>> print(report.results[0])
Violation: <https://w3id.org/edukg/id/school/x> rdfs:label: has no rdfs:label
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import REPO
from .errors import OntologyError

__all__ = ["SHAPES_PATH", "ValidationReport", "validate_graph", "validate_store", "union_graph"]

SHAPES_PATH = REPO / "ontology" / "shapes.ttl"

_SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Outcome of a SHACL run: ``results`` holds one readable line per result."""

    conforms: bool
    results: list[str]
    text: str

    def __bool__(self) -> bool:
        return self.conforms

    def raise_for_violations(self, limit: int = 20) -> None:
        """Raise :class:`~kg.errors.OntologyError` summarising the results unless the data conforms."""
        if not self.conforms:
            shown = "\n".join(self.results[:limit])
            more = f"\n… and {len(self.results) - limit} more" if len(self.results) > limit else ""
            raise OntologyError(f"{len(self.results)} SHACL result(s):\n{shown}{more}")


def _import_pyshacl():
    try:
        import pyshacl
    except ImportError as exc:  # pragma: no cover - pyshacl is a declared dependency
        raise OntologyError("SHACL validation needs pySHACL: pip install pyshacl") from exc
    return pyshacl


def _short(graph, node) -> str:
    from rdflib import Literal, URIRef

    if isinstance(node, URIRef):
        try:
            prefix, _, name = graph.namespace_manager.compute_qname(str(node), generate=False)
            if prefix in {"rdfs", "rdf", "skos", "dcterms", "prov", "edu"}:
                return f"{prefix}:{name}"
        except (ValueError, KeyError):
            pass
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    return str(node)


def _path_text(report, path) -> str:
    from rdflib import BNode

    if path is None:
        return ""
    if isinstance(path, BNode):
        return "(complex path) "
    return _short(report, path) + ": "


def _results(report) -> list[str]:
    """One line per sh:ValidationResult: severity, focus node, path, message (sorted)."""
    from rdflib import RDF, URIRef

    sh = lambda name: URIRef(_SH + name)  # noqa: E731
    report.bind("edu", "https://w3id.org/edukg/ontology#", override=True)
    lines = []
    for result in report.subjects(RDF.type, sh("ValidationResult")):
        severity = str(report.value(result, sh("resultSeverity")) or _SH + "Violation")[len(_SH) :]
        focus = _short(report, report.value(result, sh("focusNode")))
        path = _path_text(report, report.value(result, sh("resultPath")))
        message = str(report.value(result, sh("resultMessage")) or "")
        value = report.value(result, sh("value"))
        hidden = value is None or value == report.value(result, sh("focusNode")) or str(value) in message
        shown = "" if hidden else f" (value {_short(report, value)})"
        lines.append(f"{severity}: {focus} {path}{message}{shown}")
    return sorted(set(lines))


def _shapes_graph(shapes: str | Path | None):
    from rdflib import Graph

    return Graph().parse(str(shapes or SHAPES_PATH), format="turtle")


def validate_graph(
    graph: Any,
    *,
    shapes: str | Path | None = None,
    ontology: str | Path | None | bool = True,
) -> ValidationReport:
    """Validate an rdflib ``Graph`` (or ``Dataset``: its union) against the SHACL shapes.

    ``ontology=True`` adds ``ontology/edukg.ttl`` (class hierarchy, unit and
    policy concepts); pass a path for another file or ``False`` for none.
    Warnings are reported in ``results`` but do not break conformance.
    """
    pyshacl = _import_pyshacl()
    data = _as_graph(graph)
    if ontology:
        from .ontology import load_ontology

        data += load_ontology(None if ontology is True else ontology)
    conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=_shapes_graph(shapes),
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    return ValidationReport(conforms=bool(conforms), results=_results(report), text=str(text))


def _as_graph(graph: Any):
    """A fresh plain ``Graph`` with every triple of ``graph`` (all contexts of a Dataset)."""
    from rdflib import Graph

    out = Graph()
    if hasattr(graph, "quads"):
        for s, p, o, _ in graph.quads((None, None, None, None)):
            out.add((s, p, o))
    else:
        for triple in graph:
            out.add(triple)
    return out


def union_graph(store: Any):
    """Every quad of a pyoxigraph store (or store path) as triples of one ``rdflib.Graph``."""
    from pyoxigraph import RdfFormat
    from rdflib import Graph

    from .store import open_store

    if isinstance(store, (str, Path)):
        store = open_store(store, read_only=True)
    triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
    data = triples.serialize(format=RdfFormat.N_TRIPLES)
    return Graph().parse(data=data, format="nt")


def validate_store(store: Any, **kwargs: Any) -> ValidationReport:
    """Validate the union of all graphs of a pyoxigraph ``Store`` or on-disk store path.

    Keyword arguments go to :func:`validate_graph`.
    """
    return validate_graph(union_graph(store), **kwargs)
