"""The extractor protocol and helpers shared by the language modules.

Examples
--------
>>> unit_of("kindergartens", "en"), unit_of("degrees", "en"), unit_of("所", "zh")
('kindergarten', 'place', 'school')
>>> year_in("Since 2021, the district built schools", "en"), year_in("2023年秋季", "zh")
(2021, 2023)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Protocol

from ..lexicon import units
from ..model import Article, Extraction, Mention, Span

__all__ = ["Extractor", "unit_of", "unit_ids", "year_in", "dedupe_mentions", "sentence_at", "clean_measure"]


class Extractor(Protocol):
    """One language's rules: ``extract(article, sentences) -> Extraction``."""

    def extract(self, article: Article, sentences: tuple[Span, ...]) -> Extraction: ...


@cache
def _unit_table(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in units():
        if row.id == "other":
            continue
        names = row.en_aliases + (row.en,) if lang == "en" else row.zh_aliases + (row.zh,)
        for name in names:
            out.setdefault(name.lower(), row.id)
    return out


def unit_ids() -> tuple[str, ...]:
    """Every unit id of ``ontology/units.tsv``."""
    return tuple(row.id for row in units())


def unit_of(word: str, lang: str) -> str | None:
    """The unit id a noun (or Chinese measure word) names, else None.

    >>> unit_of("Teachers", "en"), unit_of("laboratories", "en")
    ('teacher', None)
    """
    table = _unit_table(lang)
    w = word.strip().lower()
    if w in table:
        return table[w]
    if lang == "en":
        for stem in (w[:-1] if w.endswith("s") else None, w[:-2] if w.endswith("es") else None):
            if stem and stem in table:
                return table[stem]
    return None


_YEAR_EN = re.compile(
    r"\b(?:in|since|by|from|of|during|until|before|after|autumn|spring|summer|winter|year)\s+(?:the\s+)?(?:year\s+)?((?:19|20)\d\d)\b",
    re.I,
)
_YEAR_ANY_EN = re.compile(r"(?<![\d.,])((?:19|20)\d\d)(?![\d%])")
_YEAR_ZH = re.compile(r"((?:19|20)\d\d)\s*年")


def year_in(text: str, lang: str) -> int | None:
    """The year a sentence states ("in 2021", "since 2021", "2021年"), else None."""
    if lang == "zh":
        m = _YEAR_ZH.search(text)
    else:
        m = _YEAR_EN.search(text) or _YEAR_ANY_EN.search(text)
    return int(m.group(1)) if m else None


def sentence_at(offset: int, sentences: tuple[Span, ...]) -> Span | None:
    """The sentence containing ``offset``."""
    for s in sentences:
        if s.start <= offset < s.end:
            return s
    return None


def dedupe_mentions(mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    """Drop exact duplicates and mentions nested inside a longer one of the same kind.

    One sweep by start (longer first): a mention is covered when an earlier kept one of
    its kind reaches at least as far.

    >>> ms = [Mention(Span(0, 7), "鼓楼区实验小学", "School"), Mention(Span(3, 7), "实验小学", "School"),
    ...       Mention(Span(0, 3), "鼓楼区", "District"), Mention(Span(0, 7), "鼓楼区实验小学", "School")]
    >>> [(m.surface, m.kind) for m in dedupe_mentions(ms)]
    [('鼓楼区实验小学', 'School'), ('鼓楼区', 'District')]
    """
    ordered = sorted(set(mentions), key=lambda m: (m.span.start, -m.span.end, m.kind, m.surface))
    out: list[Mention] = []
    reach: dict[str, int] = {}  # kind -> furthest end of a kept mention (all kept ones start no later)
    for m in ordered:
        if reach.get(m.kind, -1) >= m.span.end:
            continue
        reach[m.kind] = m.span.end
        out.append(m)
    return tuple(out)


def clean_measure(text: str) -> str:
    """A compact measure phrase: whitespace collapsed, edge punctuation dropped.

    >>> clean_measure("  new public   kindergartens, ")
    'new public kindergartens'
    """
    return re.sub(r"\s+", " ", text).strip(' ,.;:，。；、"“”')
