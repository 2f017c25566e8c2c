"""Where the time goes: pyinstrument over the extractor and over the web app's request path.

Both return the functions with the largest self time (summed over the call tree).

Examples
--------
>>> rows = hot_spots(lambda: sum(i * i for i in range(20000)), top=3)
>>> all(set(r) == {"function", "where", "self_s", "share"} for r in rows)
True
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["hot_spots", "profile_extractor", "profile_web"]


def _walk(frame: Any, acc: dict[tuple[str, str], float], parent: tuple[str, str] = ("?", "?")) -> None:
    """Sum self time per function; pyinstrument's synthetic ``[self]`` frames count for their parent."""
    key = (frame.function or "?", f"{frame.file_path_short or '?'}:{frame.line_no or 0}")
    if key[0].startswith("[self]"):
        key = parent
    acc[key] += frame.total_self_time
    for child in frame.children:
        _walk(child, acc, key)


def hot_spots(fn: Callable[[], Any], *, top: int = 15, interval: float = 0.001) -> list[dict[str, Any]]:
    """Run ``fn`` under pyinstrument; the ``top`` functions by self time."""
    from pyinstrument import Profiler

    prof = Profiler(interval=interval)
    prof.start()
    try:
        fn()
    finally:
        prof.stop()
    root = prof.last_session.root_frame() if prof.last_session else None
    if root is None:
        return []
    acc: dict[tuple[str, str], float] = defaultdict(float)
    _walk(root, acc)
    total = sum(acc.values()) or 1.0
    ranked = sorted(acc.items(), key=lambda kv: -kv[1])[:top]
    return [{"function": f, "where": w, "self_s": round(s, 3), "share": round(s / total, 3)} for (f, w), s in ranked]


def profile_extractor(articles: Iterable[Any], *, top: int = 15) -> list[dict[str, Any]]:
    """Hot spots of ``process_article`` + ``to_quads`` over ``articles`` (kg.model.Article)."""
    from kg.mapping import to_quads
    from kg.pipeline import process_article

    articles = list(articles)
    if articles:
        to_quads(process_article(articles[0]))  # models and dictionaries loaded outside the profile

    def run() -> None:
        for a in articles:
            to_quads(process_article(a))

    return hot_spots(run, top=top)


def profile_web(store: Path, queries: list[str], *, seconds: float = 10.0, top: int = 15) -> list[dict[str, Any]]:
    """Hot spots of the Flask app answering ``GET /sparql`` for ``queries`` (in-process test client)."""
    from urllib.parse import quote

    from kg.config import load_settings
    from kg.web import create_app

    app = create_app(load_settings(store=str(store)))
    client = app.test_client()
    paths = [f"/sparql?query={quote(q)}" for q in queries]
    headers = {"Accept": "application/sparql-results+json"}
    for p in paths:
        client.get(p, headers=headers)

    def run() -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for p in paths:
                client.get(p, headers=headers)

    return hot_spots(run, top=top)
