"""The SPARQL service description and the VoID description of the dataset.

Both are built as Turtle from the public base URL, so they are right behind a reverse proxy.
"""

from __future__ import annotations

from flask import Response, request
from pyoxigraph import RdfFormat, parse

from ..store import stats
from ..vocab import EDU_NS, GRAPH_NS, ID_NS
from .common import backend, negotiate, public_url
from .results import GRAPH_FORMATS, graph_bytes

__all__ = ["service_description", "void_description", "rdf_response"]

_SD_PREFIXES = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _graph_names() -> list[str]:
    store = backend().store
    return sorted(g.value for g in store.named_graphs() if hasattr(g, "value") and g.value.startswith(GRAPH_NS))


def service_description() -> Response:
    """SPARQL 1.1 service description of ``/sparql``."""
    endpoint = public_url("sparql.endpoint")
    void = public_url("api.void")
    named = "\n".join(f"        sd:namedGraph [ a sd:NamedGraph ; sd:name <{g}> ] ;" for g in _graph_names())
    ttl = f"""{_SD_PREFIXES}
<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph , sd:BasicFederatedQuery ;
    sd:resultFormat formats:SPARQL_Results_JSON , formats:SPARQL_Results_XML , formats:SPARQL_Results_CSV ,
        formats:SPARQL_Results_TSV , formats:Turtle , formats:N-Triples , formats:JSON-LD , formats:RDF_XML ,
        formats:TriG , formats:N-Quads ;
    sd:defaultDataset [ a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ; dcterms:description "the union of all named graphs" ] ;
{named}
        void:inDataset <{void}#dataset> ] .
"""
    if not _service_allowed():
        ttl = ttl.replace(" , sd:BasicFederatedQuery", "")
    return rdf_response(ttl)


def _service_allowed() -> bool:
    from .common import settings

    return settings().allow_service


def void_description() -> Response:
    """VoID description of the dataset: size, classes, URI space, endpoint."""
    st = stats(backend().store)
    me = public_url("api.void") + "#dataset"
    partitions = " ,\n        ".join(
        f"[ void:class <{EDU_NS}{c}> ; void:entities {n} ]" for c, n in st["classes"].items()
    ) or "[ void:entities 0 ]"
    ttl = f"""{_SD_PREFIXES}
<{me}> a void:Dataset ;
    dcterms:title "edukg" ;
    dcterms:description {_turtle_string("News on Chinese education reform as a knowledge graph.")} ;
    void:sparqlEndpoint <{public_url("sparql.endpoint")}> ;
    void:uriSpace {_turtle_string(ID_NS)} ;
    void:vocabulary <{EDU_NS}> ;
    void:triples {st["quads"]} ;
    void:documents {st["articles"]} ;
    void:entities {st["entities"]} ;
    void:classPartition {partitions} .
"""
    return rdf_response(ttl)


def rdf_response(turtle: str) -> Response:
    """Turtle text answered in the RDF format the client negotiates."""
    offers = [media for media, _ in GRAPH_FORMATS.values() if media not in ("application/trig", "application/n-quads")]
    requested = request.args.get("format")
    from .results import format_for

    fmt = format_for("graph", requested or negotiate(offers) or "text/turtle") or "turtle"
    media, rdf_format = GRAPH_FORMATS[fmt]
    if fmt == "turtle":
        return Response(turtle, mimetype=media)
    triples = parse(turtle.encode("utf-8"), format=RdfFormat.TURTLE)
    from io import BytesIO

    from pyoxigraph import serialize

    buf = BytesIO()
    serialize(triples, buf, format=RdfFormat.N_TRIPLES)
    return Response(graph_bytes(buf.getvalue(), rdf_format), mimetype=media)
