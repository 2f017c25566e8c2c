"""Entity search over every label and alias, in English and Chinese.

Chinese text is segmented with jieba (search mode) and also compared by character bigrams, and
the common school abbreviation ``X中`` is read as ``第X中学``, so 北京四中 finds 北京市第四中学.
English is matched by lower-cased words. Results are ranked by how much of the query a label
covers (exact label > substring > words > bigrams).

Examples
--------
>>> idx = SearchIndex([("e:1", "北京市第四中学", "School"), ("e:2", "西城区", "District"),
...                    ("e:3", "北京四中教育集团", "EducationGroup")])
>>> [h.iri for h in idx.search("北京四中")][:2]
['e:1', 'e:3']
>>> [h.iri for h in idx.search("集团")]
['e:3']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import Store

from ..vocab import EDU_NS, ID_NS

__all__ = ["Hit", "SearchIndex", "index_for", "normalise"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_NUM = "零〇一二三四五六七八九十百两"
_ABBREV = re.compile(rf"(?<!第)([{_NUM}\d]+)中(?![学心专])")
_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Hit:
    iri: str
    label: str
    kind: str
    matched: str
    score: float


def normalise(text: str) -> str:
    """NFKC, lower case, no spaces between CJK characters, ``X中`` → ``第X中学``.

    >>> normalise("北京 四中"), normalise("Beijing  No.4")
    ('北京第四中学', 'beijing no.4')
    """
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text)
    text = re.sub(r"\s+", " ", text)
    return _ABBREV.sub(r"第\1中学", text)


@lru_cache(maxsize=1)
def _tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def _tokens(text: str) -> set[str]:
    out: set[str] = set()
    for piece in _WORD.findall(text):
        if _CJK.match(piece):
            out.update(t for t in _tokenizer().cut_for_search(piece) if t.strip())
        else:
            out.add(piece)
    return out


def _loose(norm: str) -> str:
    """Without the administrative suffixes 省/市 that names often drop (北京市 ~ 北京)."""
    return re.sub(r"[省市]", "", norm)


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CJK.findall(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)} or ({chars} if chars else set())


class _Entry:
    __slots__ = ("iri", "label", "kind", "norm", "loose", "tokens", "bigrams")

    def __init__(self, iri: str, label: str, kind: str) -> None:
        self.iri, self.label, self.kind = iri, label, kind
        self.norm = normalise(label)
        self.loose = _loose(self.norm)
        self.tokens = _tokens(self.norm)
        self.bigrams = _bigrams(self.norm)


class SearchIndex:
    """An in-memory index of (iri, label, kind) triples."""

    def __init__(self, labels: Iterable[tuple[str, str, str]], names: dict[str, str] | None = None) -> None:
        self.entries = [_Entry(*row) for row in labels]
        self.names = names or {}

    def search(self, query: str, *, limit: int = 20) -> list[Hit]:
        """Entities ranked by their best-matching label (at most one hit per entity)."""
        norm = normalise(query)
        if not norm:
            return []
        q_tokens, q_bigrams = _tokens(norm), _bigrams(norm)
        best: dict[str, Hit] = {}
        for entry in self.entries:
            score = _score(norm, q_tokens, q_bigrams, entry)
            if score > 0 and (entry.iri not in best or score > best[entry.iri].score):
                name = self.names.get(entry.iri, entry.label)
                best[entry.iri] = Hit(entry.iri, name, entry.kind, entry.label, round(score, 3))
        ranked = sorted(best.values(), key=lambda h: (-h.score, len(h.label), h.iri))
        return ranked[:limit]


def _score(norm: str, q_tokens: set[str], q_bigrams: set[str], entry: _Entry) -> float:
    if norm == entry.norm:
        return 100.0
    if norm in entry.norm:
        return 60.0 + 20.0 * len(norm) / len(entry.norm)
    loose = _loose(norm)
    if loose == entry.loose:
        return 90.0
    if loose and loose in entry.loose:
        return 55.0 + 20.0 * len(loose) / len(entry.loose)
    score = 0.0
    if q_tokens:
        found = sum(1 for t in q_tokens if t in entry.tokens or (len(t) > 1 and t in entry.norm))
        frac = found / len(q_tokens)
        if frac >= 0.5:
            score = 40.0 * frac
    if q_bigrams and entry.bigrams:
        frac = len(q_bigrams & entry.bigrams) / len(q_bigrams)
        if frac >= 0.6:
            score = max(score, 35.0 * frac)
    return score


def index_for(store: Store) -> SearchIndex:
    """Index every label and alias of the entities in ``store``."""
    query = f"""
        SELECT ?e ?l ?main (SAMPLE(?c) AS ?kind) WHERE {{
          {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l BIND(true AS ?main) }}
          UNION {{ ?e <http://www.w3.org/2004/02/skos/core#altLabel> ?l BIND(false AS ?main) }}
          OPTIONAL {{ ?e a ?c FILTER(STRSTARTS(STR(?c), "{EDU_NS}")) }}
          FILTER(STRSTARTS(STR(?e), "{ID_NS}"))
        }} GROUP BY ?e ?l ?main"""
    rows, names = [], {}
    for sol in store.query(query, use_default_graph_as_union=True):
        kind = sol["kind"].value[len(EDU_NS):] if sol["kind"] is not None else ""
        rows.append((sol["e"].value, sol["l"].value, kind))
        if sol["main"].value == "true":
            names.setdefault(sol["e"].value, []).append(sol["l"])
    display = {iri: " / ".join(sorted({lit.value for lit in labels},
                                      key=lambda v: (bool(_CJK.search(v)), v))) for iri, labels in names.items()}
    return SearchIndex(list(dict.fromkeys(rows)), display)
