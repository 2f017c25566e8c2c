"""Plain data types passed between the pipeline stages.

read (``ingest``) -> segment -> extract -> resolve -> map (``mapping``) -> store.

Every stage takes and returns these frozen dataclasses; no stage reaches into
another's internals.  Offsets are always into ``Article.text`` (the raw text,
never rewritten), so a quote is ``article.text[span.start:span.end]``.

Examples
--------
>>> a = Article(id="x", source_file="x.txt", lang="en", title="T", date=None,
...             text="Hello world.", content_hash="h")
>>> Span(0, 5).quote(a)
'Hello'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "Lang",
    "Article",
    "Span",
    "Mention",
    "Fact",
    "Observation",
    "Extraction",
    "Entity",
    "ResolvedFact",
    "ResolvedObservation",
    "Resolution",
    "BuildReport",
]

Lang = Literal["en", "zh"]


@dataclass(frozen=True, slots=True)
class Article:
    """One source document.

    ``id`` is stable for the same source (file stem, or stem + line for JSONL)
    and is used to mint the article IRI and its named graph.
    ``content_hash`` changes whenever the text or metadata change.
    """

    id: str
    source_file: str
    lang: Lang
    title: str
    date: str | None
    text: str
    content_hash: str
    url: str | None = None
    body_end: int | None = None  # offset where trailing site junk starts (None: no junk)


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Half-open character range ``[start, end)`` into ``Article.text``."""

    start: int
    end: int

    def quote(self, article: Article) -> str:
        return article.text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Mention:
    """A surface form of an entity found in the text.

    ``kind`` is an edu class name ("School", "District", ...).  ``hints`` carry
    what the extractor knows that helps resolution, as (name, value) pairs,
    e.g. ``(("district", "老城区"),)`` or ``(("canonical", "double-reduction"),)``.
    """

    span: Span
    surface: str
    kind: str
    hints: tuple[tuple[str, str], ...] = ()

    def hint(self, name: str) -> str | None:
        for key, value in self.hints:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Fact:
    """A relation between two mentions; ``predicate`` is an edu: local name."""

    subject: Mention
    predicate: str
    object: Mention
    evidence: Span


@dataclass(frozen=True, slots=True)
class Observation:
    """One reported figure: ``value`` fully expanded (2.3万 -> 23000)."""

    about: Mention
    measure: str
    value: Decimal
    unit: str
    year: int | None
    evidence: Span
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the extractor read out of one article."""

    article: Article
    sentences: tuple[Span, ...] = ()
    mentions: tuple[Mention, ...] = ()
    facts: tuple[Fact, ...] = ()
    observations: tuple[Observation, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """A resolved entity: ``key`` is "Kind/slug" and determines the IRI.

    ``labels`` holds at most one preferred label per language;
    ``alt_labels`` holds every other surface form (language-tagged).
    ``extra`` holds extra literal attributes, e.g. (("adminCode", "410302"),).
    """

    key: str
    kind: str
    labels: tuple[tuple[str, str], ...]
    alt_labels: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ResolvedFact:
    subject: str  # entity key
    predicate: str
    object: str  # entity key
    evidence: Span


@dataclass(frozen=True, slots=True)
class ResolvedObservation:
    about: str  # entity key
    measure: str
    value: Decimal
    unit: str
    year: int | None
    evidence: Span
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    """The resolved form of one article's extraction, ready for RDF mapping.

    ``mentions`` pairs each mention span with the entity key it resolved to.
    """

    article: Article
    entities: tuple[Entity, ...]
    mentions: tuple[tuple[Span, str], ...]
    facts: tuple[ResolvedFact, ...]
    observations: tuple[ResolvedObservation, ...]
    sentences: tuple[Span, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildReport:
    """Summary of one ``kg build`` run."""

    read: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped: tuple[tuple[str, str], ...] = ()  # (file[:line], reason)
    entities: int = 0
    quads: int = 0
    seconds: float = 0.0
