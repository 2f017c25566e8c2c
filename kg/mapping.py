"""Map a resolved article to quads in its own named graph (see docs/decisions/0001-rdf-shape.md).

No IO here: the result is a list of ``pyoxigraph.Quad`` ready for :func:`kg.store.replace_article`.

Examples
--------
>>> from kg.model import Article, Resolution
>>> art = Article(id="a1", source_file="a1.txt", lang="en", title="T", date="2022-05-15",
...               text="T\\nbody", content_hash="sha256:x")
>>> quads = to_quads(Resolution(article=art, entities=(), mentions=(), facts=(), observations=()))
>>> sorted({q.graph_name.value for q in quads})
['https://w3id.org/edukg/graph/article/a1']
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from decimal import Decimal
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Quad

from .model import Article, Entity, Resolution, ResolvedFact, ResolvedObservation, Span
from .vocab import EDU, ID_NS, article_iri, entity_iri, graph_iri, unit_iri

__all__ = ["to_quads", "to_nquads", "sentence_of", "first_mentions"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
QB = "http://purl.org/linked-data/cube#"

_TYPE = NamedNode(RDF + "type")
_INT = NamedNode(XSD + "integer")
_DEC = NamedNode(XSD + "decimal")
_DATE = NamedNode(XSD + "date")
_GYEAR = NamedNode(XSD + "gYear")
_BOOL = NamedNode(XSD + "boolean")
_TRUE, _FALSE = Literal("true", datatype=_BOOL), Literal("false", datatype=_BOOL)
_RDF_SUBJECT, _RDF_PREDICATE, _RDF_OBJECT = (NamedNode(RDF + n) for n in ("subject", "predicate", "object"))
_QUOTE, _START, _END, _SENTENCE = (NamedNode(EDU[n]) for n in ("quote", "startOffset", "endOffset", "sentence"))
_DERIVED = NamedNode(PROV + "wasDerivedFrom")
_EVIDENCE, _OBSERVATION = NamedNode(EDU.Evidence), NamedNode(EDU.Observation)
_QB_OBSERVATION = NamedNode(QB + "Observation")
_ABOUT, _MEASURE, _VALUE, _UNIT, _APPROX, _YEAR = (
    NamedNode(EDU[n]) for n in ("about", "measure", "value", "unit", "approximate", "year"))
_MENTIONS = NamedNode(EDU.mentions)


@lru_cache(maxsize=16_384)
def _n(iri: str) -> NamedNode:
    """A ``NamedNode`` (immutable, so predicates and recurring entities are shared, not rebuilt)."""
    return NamedNode(iri)


_entity_iri = lru_cache(maxsize=16_384)(entity_iri)


@lru_cache(maxsize=65_536)
def _int(value: int) -> Literal:
    return Literal(str(value), datatype=_INT)


def number_literal(value: Decimal) -> Literal:
    """``xsd:integer`` for whole numbers, ``xsd:decimal`` otherwise.

    >>> number_literal(Decimal("23000.0")).value, number_literal(Decimal("80.90")).value
    ('23000', '80.9')
    """
    if value == value.to_integral_value():
        return Literal(str(int(value)), datatype=_INT)
    text = format(value.normalize(), "f")
    return Literal(text, datatype=_DEC)


def sentence_of(span: Span, sentences: tuple[Span, ...], starts: list[int] | None | None = None) -> Span:
    """The sentence span containing ``span`` (or ``span`` itself if none does).

    ``starts`` (the sentences' start offsets, in order) finds it by bisection.

    >>> sents = (Span(0, 5), Span(6, 12))
    >>> sentence_of(Span(7, 9), sents, [0, 6]), sentence_of(Span(4, 8), sents)
    (Span(start=6, end=12), Span(start=0, end=12))
    """
    if starts is not None:
        i = bisect_right(starts, span.start) - 1
        if i >= 0 and sentences[i].end >= span.end:
            return sentences[i]
    for sent in sentences:
        if sent.start <= span.start and span.end <= sent.end:
            return sent
    covering = [s for s in sentences if s.start < span.end and span.start < s.end]
    if covering:
        return Span(min(s.start for s in covering), max(s.end for s in covering))
    return span


def first_mentions(art: Article, mentions: tuple[tuple[Span, str], ...]) -> list[tuple[Span, str]]:
    """The first occurrence of each (entity, surface form): one mention evidence record each.

    Later occurrences of the same wording add no information a reader can't recover from the
    text (the article page highlights every occurrence of each evidenced surface form), and
    they were a quarter of all quads (ADR 0001, "Mention evidence").

    >>> art = Article(id="a", source_file="a.txt", lang="en", title="", date=None,
    ...               text="Xicheng and Xicheng", content_hash="")
    >>> first_mentions(art, ((Span(0, 7), "d"), (Span(12, 19), "d")))
    [(Span(start=0, end=7), 'd')]
    """
    seen: set[tuple[str, str]] = set()
    out = []
    for span, key in sorted(mentions, key=lambda m: (m[0].start, m[0].end, m[1])):
        wording = (key, span.quote(art))
        if wording not in seen:
            seen.add(wording)
            out.append((span, key))
    return out


def _triples(res: Resolution) -> tuple[str, list[tuple]]:
    """(the article IRI, every (s, p, o) of the article, duplicates included, in output order)."""
    art = res.article
    a_iri = article_iri(art.id)
    triples: list[tuple] = []
    triples += _article_triples(art, a_iri)
    for entity in res.entities:
        triples += _entity_triples(entity)
        triples.append((_n(a_iri), _MENTIONS, _n(_entity_iri(entity.key))))
    starts = _starts(res.sentences)
    for span, key in first_mentions(art, res.mentions):
        fact = ResolvedFact(subject="", predicate="mentions", object=key, evidence=span)
        triples += _evidence_triples(art, a_iri, fact, res.sentences, starts, subject_iri=a_iri)
    for fact in res.facts:
        triples.append((_n(_entity_iri(fact.subject)), _n(EDU[fact.predicate]), _n(_entity_iri(fact.object))))
        triples += _evidence_triples(art, a_iri, fact, res.sentences, starts)
    for obs in res.observations:
        triples += _observation_triples(art, a_iri, obs, res.sentences, starts)
    return a_iri, triples


def _starts(sentences: tuple[Span, ...]) -> list[int] | None:
    """The sentences' start offsets when they are in order and disjoint (bisection then finds the
    one sentence holding a span), else None (:func:`sentence_of` scans).

    >>> _starts((Span(0, 5), Span(6, 9))), _starts((Span(0, 5), Span(3, 9)))
    ([0, 6], None)
    """
    if all(a.end <= b.start for a, b in zip(sentences, sentences[1:], strict=False)):
        return [s.start for s in sentences]
    return None


def to_quads(res: Resolution) -> list[Quad]:
    """All quads of one article, in the article's named graph."""
    a_iri, triples = _triples(res)
    g = _n(graph_iri(a_iri))
    seen: set[Quad] = set()
    out = []
    for s, p, o in triples:
        quad = Quad(s, p, o, g)
        if quad not in seen:
            seen.add(quad)
            out.append(quad)
    return out


def to_nquads(res: Resolution) -> bytes:
    """The quads of :func:`to_quads` as N-Quads, byte for byte what ``pyoxigraph.serialize`` writes.

    What ``kg build`` hands its writer: each term is written by pyoxigraph itself (``str`` of a
    term is its N-Triples form), without building a ``Quad`` per statement (a third of the mapping
    time).

    >>> from kg.model import Article, Resolution
    >>> art = Article(id="a2", source_file="a2.txt", lang="en", title='Say "hi"', date=None,
    ...               text="x", content_hash="h")
    >>> res = Resolution(article=art, entities=(), mentions=(), facts=(), observations=())
    >>> from pyoxigraph import RdfFormat, serialize
    >>> to_nquads(res) == serialize(to_quads(res), format=RdfFormat.N_QUADS)
    True
    """
    a_iri, triples = _triples(res)
    tail = f" <{graph_iri(a_iri)}> .\n"
    seen: set[str] = set()
    out = []
    for s, p, o in triples:
        line = f"{s} {p} {o}{tail}"
        if line not in seen:
            seen.add(line)
            out.append(line)
    return "".join(out).encode("utf-8")


def _article_triples(art: Article, a_iri: str) -> list[tuple]:
    a = _n(a_iri)
    out = [
        (a, _TYPE, _n(EDU.Article)),
        (a, _n(DCT + "title"), Literal(art.title, language=art.lang)),
        (a, _n(DCT + "language"), Literal(art.lang)),
        (a, _n(EDU.sourceFile), Literal(art.source_file)),
        (a, _n(EDU.contentHash), Literal(art.content_hash)),
        (a, _n(EDU.text), Literal(art.text)),
    ]
    if art.date:
        out.append((a, _n(DCT + "date"), Literal(art.date, datatype=_DATE)))
    if art.url:
        out.append((a, _n(EDU.sourceUrl), Literal(art.url)))
    if art.body_end is not None:
        out.append((a, _n(EDU.bodyEnd), _int(art.body_end)))
    return out


def _entity_triples(entity: Entity) -> list[tuple]:
    e = _n(_entity_iri(entity.key))
    out: list[tuple] = [(e, _TYPE, _n(EDU[entity.kind]))]
    preferred = set()
    for lang, label in entity.labels:
        out.append((e, _n(RDFS + "label"), Literal(label, language=lang)))
        preferred.add((lang, label))
    for lang, label in sorted(entity.alt_labels - preferred):
        out.append((e, _n(SKOS + "altLabel"), Literal(label, language=lang)))
    for name, value in entity.extra:
        out.append((e, _n(EDU[name]), Literal(value)))
    return out


def _evidence_iri(art: Article, s: str, p: str, o: str, span: Span) -> str:
    digest = hashlib.sha1(f"{s}|{p}|{o}|{span.start}|{span.end}".encode()).hexdigest()[:12]
    return f"{ID_NS}evidence/{art.id}-{digest}"


def _provenance(
    art: Article, a_iri: str, node: NamedNode, span: Span, sentences: tuple[Span, ...], starts: list[int] | None
) -> list[tuple]:
    sent = sentence_of(span, sentences, starts)
    return [
        (node, _QUOTE, Literal(span.quote(art))),
        (node, _START, _int(span.start)),
        (node, _END, _int(span.end)),
        (node, _SENTENCE, _sentence_literal(art.text, sent.start, sent.end)),
        (node, _DERIVED, _n(a_iri)),
    ]


@lru_cache(maxsize=1024)
def _sentence_literal(text: str, start: int, end: int) -> Literal:
    """The sentence as a literal (one object per sentence, shared by the records quoting it)."""
    return Literal(text[start:end].strip())


def _evidence_triples(
    art: Article, a_iri: str, fact: ResolvedFact, sentences: tuple[Span, ...], starts: list[int] | None, *,
    subject_iri: str | None = None,
) -> list[tuple]:
    s = subject_iri or _entity_iri(fact.subject)
    p = EDU[fact.predicate]
    o = _entity_iri(fact.object)
    node = _n(_evidence_iri(art, s, p, o, fact.evidence))
    out = [
        (node, _TYPE, _EVIDENCE),
        (node, _RDF_SUBJECT, _n(s)),
        (node, _RDF_PREDICATE, _n(p)),
        (node, _RDF_OBJECT, _n(o)),
    ]
    return out + _provenance(art, a_iri, node, fact.evidence, sentences, starts)


def _observation_triples(
    art: Article, a_iri: str, obs: ResolvedObservation, sentences: tuple[Span, ...], starts: list[int] | None
) -> list[tuple]:
    ident = f"{obs.about}|{obs.measure}|{obs.value}|{obs.unit}|{obs.year}"
    digest = hashlib.sha1(ident.encode()).hexdigest()[:6]
    node = _n(f"{ID_NS}observation/{art.id}-{obs.evidence.start}-{obs.evidence.end}-{digest}")
    out = [
        (node, _TYPE, _OBSERVATION),
        (node, _TYPE, _QB_OBSERVATION),
        (node, _ABOUT, _n(_entity_iri(obs.about))),
        (node, _MEASURE, Literal(obs.measure, language=art.lang)),
        (node, _VALUE, number_literal(obs.value)),
        (node, _UNIT, _n(unit_iri(obs.unit))),
        (node, _APPROX, _TRUE if obs.approximate else _FALSE),
    ]
    if obs.year is not None:
        out.append((node, _YEAR, Literal(f"{obs.year:04d}", datatype=_GYEAR)))
    return out + _provenance(art, a_iri, node, obs.evidence, sentences, starts)
