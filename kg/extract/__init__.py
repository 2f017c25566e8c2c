"""Extraction: ``extract(article) -> Extraction``, dispatching on ``article.lang``.

Each language has its own module (``en.py``, ``zh.py``) implementing the
:class:`~kg.extract.base.Extractor` protocol; only the article body
(``text[:body_end]``) is read.

Examples
--------
>>> from kg.model import Article
>>> art = Article(id="a", source_file="a.txt", lang="en", title="T", date=None,
...               text="The Yuelu District Education Bureau met.", content_hash="h")
>>> ex = extract(art)
>>> sorted({m.kind for m in ex.mentions})
['District', 'GovernmentBody']
"""

from __future__ import annotations

import logging

from ..model import Article, Extraction
from ..segment import split_sentences
from .base import Extractor

__all__ = ["extract", "get_extractor", "EXTRACTORS"]

log = logging.getLogger(__name__)


class _LazyExtractors(dict):
    """``{"en": EnExtractor(), "zh": ZhExtractor()}``, each built on first use."""

    _factories = {"en": ("kg.extract.en", "EnExtractor"), "zh": ("kg.extract.zh", "ZhExtractor")}

    def __missing__(self, lang: str) -> Extractor | None:
        if lang not in self._factories:
            raise KeyError(lang)
        module, name = self._factories[lang]
        try:
            import importlib

            extractor = getattr(importlib.import_module(module), name)()
        except (ImportError, AttributeError) as exc:
            log.warning("no %s extractor available: %s", lang, exc)
            return None
        self[lang] = extractor
        return extractor

    def __contains__(self, lang: object) -> bool:
        return lang in self._factories


EXTRACTORS: dict[str, Extractor] = _LazyExtractors()


def get_extractor(lang: str) -> Extractor | None:
    """The extractor for ``lang`` (None when it is not available)."""
    return EXTRACTORS[lang] if lang in EXTRACTORS else None


def extract(article: Article) -> Extraction:
    """Read mentions, facts and figures out of the body of ``article``."""
    sentences = split_sentences(article.text, article.lang, end=article.body_end)
    extractor = get_extractor(article.lang)
    if extractor is None:
        msg = f"no extractor for language {article.lang!r}; nothing extracted"
        log.warning(msg)
        return Extraction(article=article, sentences=sentences, warnings=(msg,))
    return extractor.extract(article, sentences)
