"""Sentence splitting with offsets into the raw text.

Machine translations glue sentences together ("control.Three new"); those are
split, but abbreviations such as "No.2" / "No. 50" and decimals are not.

Examples
--------
>>> text = "It grew.Three new schools opened at No. 50 Middle School. Cost 2.5 million"
>>> [text[s.start:s.end] for s in split_sentences(text, "en")]
['It grew.', 'Three new schools opened at No. 50 Middle School.', 'Cost 2.5 million']
>>> zh = "新建学校3所。新增学位2.3万个！"
>>> [zh[s.start:s.end] for s in split_sentences(zh, "zh")]
['新建学校3所。', '新增学位2.3万个！']
"""

from __future__ import annotations

import re

from .model import Span

__all__ = ["split_sentences"]

_ABBREV = re.compile(
    r"(?:\b(?:No|Nos|Mr|Mrs|Ms|Dr|Prof|St|Rd|Ave|etc|vs|e\.g|i\.e|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])$",
    re.I,
)
_EN_END = re.compile(r"[.!?]+[\"'”’)]*")
_ZH_END = re.compile(r"[。！？；!?]+[”’」』)]*|\n+")


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _en_breaks(text: str, start: int, end: int) -> list[int]:
    """Offsets just after each English sentence end inside ``[start, end)``."""
    out = []
    for m in _EN_END.finditer(text, start, end):
        nxt = text[m.end()] if m.end() < end else ""
        if nxt and not (nxt.isspace() or nxt.isupper() or nxt in "\"“'‘"):
            continue  # 2.5, No.2, e.g.x
        if m.group().startswith(".") and _ABBREV.search(text, start, m.start()):
            continue
        out.append(m.end())
    return out


def split_sentences(text: str, lang: str, *, end: int | None = None) -> tuple[Span, ...]:
    """Sentence spans of ``text[:end]`` (whitespace trimmed, never empty)."""
    stop = len(text) if end is None else min(end, len(text))
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text[:stop]):
        a, b = line.start(), line.end()
        if lang == "zh":
            cuts = [m.end() for m in _ZH_END.finditer(text, a, b)]
        else:
            cuts = _en_breaks(text, a, b)
        prev = a
        for cut in [*cuts, b]:
            if cut > prev and (span := _trimmed(text, prev, cut)):
                spans.append(span)
            prev = max(prev, cut)
    return tuple(spans)
