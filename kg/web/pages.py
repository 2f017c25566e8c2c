"""Linked-data pages: ``/`` (query page), ``/id/…`` (entities, articles) and ``/ontology``.

Every IRI minted under ``https://w3id.org/edukg/id/`` is answered at ``/id/…``: HTML for
browsers, Turtle / JSON-LD / N-Triples / RDF/XML by content negotiation (or ``?format=``).
Everything shown from the articles goes through Jinja's autoescaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup, escape
from pyoxigraph import NamedNode, QueryTriples, RdfFormat, Store, serialize

from ..errors import NotFoundError
from ..queries import load_queries
from ..store import ONTOLOGY_GRAPH, run_query
from ..vocab import EDU_NS, ID_NS, PREFIXES
from .common import backend, local_href, negotiate, public_url, settings, short, term_html
from .results import GRAPH_FORMATS, format_for, graph_bytes

__all__ = ["bp", "describe_entity"]

bp = Blueprint("pages", __name__)

_RDF_OFFERS = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_HIDDEN_IN = {  # incoming links shown in their own sections
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject", "http://www.w3.org/1999/02/22-rdf-syntax-ns#object",
    EDU_NS + "about", EDU_NS + "mentions", EDU_NS + "memberOf", "http://www.w3.org/ns/prov#wasDerivedFrom",
}


@bp.route("/")
def index() -> str:
    """The query page: editor with the ontology prefixes, named queries as examples."""
    prefixes = "\n".join(f"PREFIX {k}: <{v}>" for k, v in PREFIXES.items() if k in ("edu", "id", "rdfs", "skos",
                                                                                    "dcterms", "prov", "xsd"))
    start = request.args.get("query") or (
        f"{prefixes}\n\nSELECT ?group ?label WHERE {{\n  ?group a edu:EducationGroup ; rdfs:label ?label .\n}}\n"
        "ORDER BY ?label\nLIMIT 50\n"
    )
    return render_template("index.html", start=start, prefixes=prefixes,
                           queries=load_queries(settings().queries_dir).values())


@bp.route("/id/<path:path>")
def entity(path: str) -> Any:
    """Describe the entity ``https://w3id.org/edukg/id/<path>``."""
    iri = ID_NS + path
    try:
        node = NamedNode(iri)
    except ValueError as exc:
        raise NotFoundError(f"not an IRI: {iri}") from exc
    media = _media()
    if media != "text/html":
        return _rdf(describe_entity(backend().store, node), media)
    data = entity_data(backend().store, node)
    return render_template("entity.html", iri=iri, d=data, term_html=term_html, short=short,
                           local_href=local_href, rdf_links=_rdf_links("pages.entity", path=path))


@bp.route("/ontology")
def ontology() -> Any:
    """The ontology: HTML listing classes and properties, or RDF."""
    store = _ontology_store()
    media = _media()
    if media != "text/html":
        triples = list(store.quads_for_pattern(None, None, None, None))
        return _rdf([(q.subject, q.predicate, q.object) for q in triples], media)
    return render_template("ontology.html", classes=_terms(store, "class"), properties=_terms(store, "property"),
                           short=short, local_href=local_href, rdf_links=_rdf_links("pages.ontology"))


def _media() -> str:
    requested = request.args.get("format")
    if requested:
        if requested == "html":
            return "text/html"
        fmt = format_for("graph", requested)
        if fmt is None:
            raise NotFoundError(f"unknown format {requested!r}")
        return GRAPH_FORMATS[fmt][0]
    if not request.headers.get("Accept"):
        return "text/html"
    return negotiate(_RDF_OFFERS + ["application/x-turtle", "application/json", "text/plain"]) or "text/html"


def _rdf(triples: Any, media: str) -> Response:
    from io import BytesIO

    from pyoxigraph import Triple

    fmt = format_for("graph", media) or "turtle"
    out_media, rdf_format = GRAPH_FORMATS[fmt]
    buf = BytesIO()
    serialize([t if isinstance(t, Triple) else Triple(*t) for t in triples], buf, format=RdfFormat.N_TRIPLES)
    return Response(graph_bytes(buf.getvalue(), rdf_format), mimetype=out_media)


def _rdf_links(endpoint: str, **values: Any) -> list[tuple[str, str]]:
    from flask import url_for

    return [(name, url_for(endpoint, format=name, **values)) for name in ("turtle", "jsonld", "ntriples", "rdfxml")]


def describe_entity(store: Store, node: NamedNode) -> list:
    """Triples about ``node``: everything it says and every link to it (union of graphs)."""
    q = "CONSTRUCT { ?e ?p ?o . ?s ?q ?e } WHERE { { ?e ?p ?o } UNION { ?s ?q ?e } }"
    result = run_query(store, q, substitutions={"e": node})
    assert isinstance(result, QueryTriples)
    triples = list(result)
    if not any(t.subject == node for t in triples):
        raise NotFoundError(f"nothing is known about {node.value}")
    return triples


def _select(store: Store, query: str, node: NamedNode) -> list[dict[str, Any]]:
    result = run_query(store, query, substitutions={"e": node})
    names = [v.value for v in result.variables]  # type: ignore[union-attr]
    return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]  # type: ignore[union-attr]


def entity_data(store: Store, node: NamedNode) -> dict[str, Any]:
    """Everything the HTML page of an entity shows."""
    out = _select(store, "SELECT DISTINCT ?e ?p ?o WHERE { ?e ?p ?o } ORDER BY ?p ?o", node)
    if not out:
        raise NotFoundError(f"nothing is known about {node.value}")
    incoming = _select(store, "SELECT DISTINCT ?e ?s ?p WHERE { ?s ?p ?e } ORDER BY ?p ?s", node)
    data: dict[str, Any] = {
        "labels": [r["o"] for r in out if r["p"].value == _LABEL],
        "alt": [r["o"] for r in out if r["p"].value == PREFIXES["skos"] + "altLabel"],
        "types": [r["o"] for r in out if r["p"].value == PREFIXES["rdf"] + "type"],
        "props": [r for r in out if r["p"].value not in (_LABEL, PREFIXES["rdf"] + "type",
                                                        PREFIXES["skos"] + "altLabel", EDU_NS + "text")],
        "incoming": [r for r in incoming if r["p"].value not in _HIDDEN_IN],
        "members": [r["s"] for r in incoming if r["p"].value == EDU_NS + "memberOf"],
        "lead": [r["o"] for r in out if r["p"].value == EDU_NS + "leadSchool"],
        "articles": _select(store, _ARTICLES, node),
        "figures": _select(store, _FIGURES, node),
        "evidence": _evidence(store, node),
        "text": None,
    }
    titles = [r["o"] for r in out if r["p"].value == PREFIXES["dcterms"] + "title"]
    data["title"] = _best_label(data["labels"] or titles) or short(node.value)
    if any(t.value == EDU_NS + "Article" for t in data["types"]):
        data["text"] = article_html(store, node, next((r["o"].value for r in out if r["p"].value == EDU_NS + "text"),
                                                      ""))
    iris = {r["o"].value for r in out if isinstance(r["o"], NamedNode)}
    iris |= {r["s"].value for r in incoming} | {r["p"].value for r in out + incoming}
    iris |= {r["about"].value for r in data["figures"] if "about" in r}
    data["names"] = labels_for(store, iris | {r["article"].value for r in data["articles"]})
    return data


_ARTICLES = """SELECT DISTINCT ?e ?article ?title ?date WHERE {
  ?article edu:mentions ?e . OPTIONAL { ?article dcterms:title ?title } OPTIONAL { ?article dcterms:date ?date }
} ORDER BY ?date ?article"""

_FIGURES = """SELECT ?e ?obs ?measure ?value ?unit ?unitLabel ?year ?quote ?article ?title WHERE {
  ?obs edu:about ?e ; edu:value ?value .
  OPTIONAL { ?obs edu:measure ?measure } OPTIONAL { ?obs edu:year ?year } OPTIONAL { ?obs edu:quote ?quote }
  OPTIONAL { ?obs edu:unit ?unit OPTIONAL { ?unit rdfs:label ?unitLabel } }
  OPTIONAL { ?obs prov:wasDerivedFrom ?article OPTIONAL { ?article dcterms:title ?title } }
} ORDER BY ?measure ?year ?obs"""

_EVIDENCE = """SELECT ?e ?s ?p ?o ?quote ?sentence ?article ?title WHERE {
  ?ev a edu:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; edu:quote ?quote .
  FILTER(?s = ?e || ?o = ?e) FILTER(?p != edu:mentions)
  OPTIONAL { ?ev edu:sentence ?sentence }
  OPTIONAL { ?ev prov:wasDerivedFrom ?article OPTIONAL { ?article dcterms:title ?title } }
} ORDER BY ?p ?article"""


def _evidence(store: Store, node: NamedNode) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in _select(store, _EVIDENCE, node):
        found.setdefault((row["s"].value, row["p"].value, row["o"].value), []).append(row)
    return found


def labels_for(store: Store, iris: set[str]) -> dict[str, str]:
    """A display label per IRI: English and Chinese ``rdfs:label`` joined, else nothing."""
    if not iris:
        return {}
    values = " ".join(str(NamedNode(i)) for i in sorted(iris))
    q = f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label|dcterms:title|skos:prefLabel ?l }}"
    by_iri: dict[str, list[Any]] = {}
    for sol in run_query(store, q):  # type: ignore[union-attr]
        by_iri.setdefault(sol["x"].value, []).append(sol["l"])
    return {iri: _best_label(labels) for iri, labels in by_iri.items()}


def _best_label(labels: list[Any]) -> str:
    ordered = sorted({(0 if (lit.language or "").startswith("en") else 1, lit.value) for lit in labels})
    seen: list[str] = []
    for _, value in ordered:
        if value not in seen:
            seen.append(value)
    return " / ".join(seen[:2])


def article_html(store: Store, article: NamedNode, text: str) -> Markup:
    """The article text, escaped, with each extracted mention and figure highlighted and linked."""
    return highlight(text, evidence_spans(store, article, text))


def evidence_spans(store: Store, article: NamedNode, text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, link target, "mention" | "fact") for every evidenced span of the article text."""
    q = """SELECT ?e ?start ?end ?target ?p WHERE {
      ?ev prov:wasDerivedFrom ?e ; edu:startOffset ?start ; edu:endOffset ?end .
      OPTIONAL { ?ev rdf:predicate ?p } OPTIONAL { ?ev rdf:object ?obj }
      BIND(IF(BOUND(?p) && ?p = edu:mentions, ?obj, ?ev) AS ?target)
    } ORDER BY ?start DESC(?end)"""
    spans = []
    for row in _select(store, q, article):
        try:
            start, end = int(row["start"].value), int(row["end"].value)
        except (KeyError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            is_mention = row.get("p") is not None and row["p"].value == EDU_NS + "mentions"
            if is_mention:  # one evidence record per wording: highlight each of its occurrences
                spans += [(s, e, row["target"].value, "mention") for s, e in occurrences(text, start, end)]
            else:
                spans.append((start, end, row["target"].value, "fact"))
    return spans


def occurrences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Every span of ``text`` equal to ``text[start:end]`` (the given one included).

    >>> occurrences("Xicheng and Xicheng", 0, 7)
    [(0, 7), (12, 19)]
    """
    needle, found, pos = text[start:end], [], text.find(text[start:end])
    while needle and pos != -1:
        found.append((pos, pos + len(needle)))
        pos = text.find(needle, pos + len(needle))
    return found or [(start, end)]


def highlight(text: str, spans: list[tuple[int, int, str, str]]) -> Markup:
    """Escape ``text`` and wrap non-overlapping spans in links (first, longest wins).

    >>> str(highlight("a <b> c", [(2, 5, "https://x/", "mention")]))
    'a <a class="mention" href="https://x/">&lt;b&gt;</a> c'
    """
    parts: list[Markup] = []
    pos = 0
    for start, end, target, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos:
            continue
        href = local_href(target) if target.startswith(ID_NS) else target
        parts.append(escape(text[pos:start]))
        parts.append(Markup('<a class="{}" href="{}">{}</a>').format(kind, href, text[start:end]))
        pos = end
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


def _ontology_store() -> Store:
    """The ontology graph of the served store, or ``ontology/edukg.ttl`` if the store has none."""
    store = backend().store
    graph = NamedNode(ONTOLOGY_GRAPH)
    onto = Store()
    onto.extend(q for q in store.quads_for_pattern(None, None, None, graph))
    if len(onto) == 0:
        ttl = Path(settings().ontology_dir) / "edukg.ttl"
        if ttl.is_file():
            onto.load(path=str(ttl), format=RdfFormat.TURTLE)
    return onto


def _terms(store: Store, what: str) -> list[dict[str, Any]]:
    kinds = ("owl:Class rdfs:Class" if what == "class" else
             "owl:ObjectProperty owl:DatatypeProperty rdf:Property owl:AnnotationProperty")
    q = f"""SELECT ?t (SAMPLE(?k) AS ?kind) (GROUP_CONCAT(DISTINCT ?l; separator=" / ") AS ?label)
      (SAMPLE(?c) AS ?comment) (GROUP_CONCAT(DISTINCT STR(?sup); separator=" ") AS ?supers)
      (GROUP_CONCAT(DISTINCT STR(?d); separator=" ") AS ?domain)
      (GROUP_CONCAT(DISTINCT STR(?r); separator=" ") AS ?range)
    WHERE {{ VALUES ?k {{ {kinds} }} ?t a ?k . FILTER(isIRI(?t))
      OPTIONAL {{ ?t rdfs:label ?l }} OPTIONAL {{ ?t rdfs:comment ?c }}
      OPTIONAL {{ ?t rdfs:subClassOf|rdfs:subPropertyOf|owl:equivalentClass|owl:equivalentProperty ?sup
                 FILTER(isIRI(?sup)) }}
      OPTIONAL {{ ?t rdfs:domain ?d FILTER(isIRI(?d)) }} OPTIONAL {{ ?t rdfs:range ?r FILTER(isIRI(?r)) }}
    }} GROUP BY ?t ORDER BY ?t"""
    out = []
    for sol in run_query(store, q):  # type: ignore[union-attr]
        out.append({
            "iri": sol["t"].value, "kind": short(sol["kind"].value),
            "label": sol["label"].value if sol["label"] else "",
            "comment": sol["comment"].value if sol["comment"] else "",
            **{k: sol[k].value.split() if sol[k] else [] for k in ("supers", "domain", "range")},
        })
    return out


def public_iri_link(iri: str) -> str:
    """Absolute public URL of a local page for ``iri`` (for templates)."""
    return public_url("pages.entity", path=iri[len(ID_NS):])
