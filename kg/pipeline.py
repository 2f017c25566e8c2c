"""The build: read -> segment -> extract -> resolve -> map -> store, one article at a time.

Incremental: an article whose content hash is already stored is left alone; a
changed one replaces its own named graph; a broken one is reported and skipped.
With ``jobs > 1`` extraction runs in worker processes and the parent is the only
writer.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.txt").write_text("Title\\n\\nThe Yuelu District Education Bureau met.", encoding="utf-8")
>>> report = build([d], None)
>>> (report.read, report.added, report.skipped)
(1, 1, ())
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Store

from . import store as kgstore
from .config import REPO
from .errors import InputError
from .model import Article, BuildReport, Resolution

__all__ = ["build", "process_article", "BuildEvent", "Mapped"]

log = logging.getLogger(__name__)

#: Up to this many articles ``kg build`` refreshes the analysis graph itself; beyond, the
#: network measures take minutes, so the build says so and leaves it to ``kg analyze``.
ANALYSIS_AUTO_MAX = 2000


@dataclass(frozen=True, slots=True)
class BuildEvent:
    """One step of progress: ``status`` is added / replaced / unchanged / skipped."""

    source: str
    status: str
    detail: str = ""


def _where(article: Article) -> str:
    """How progress lines name an article: the file, plus the line id for JSONL.

    >>> _where(Article("a-L3", "a.jsonl", "en", "T", None, "x", "h"))
    'a.jsonl (a-L3)'
    """
    if Path(article.source_file).stem == article.id:
        return article.source_file
    return f"{article.source_file} ({article.id})"


def process_article(article: Article) -> Resolution:
    """Extract and resolve one article (pure: no IO)."""
    from .extract import extract
    from .resolve import resolve

    return resolve(extract(article))


@dataclass(frozen=True, slots=True)
class Mapped:
    """What the extraction side hands the writer for one article: its quads, or why it failed.

    ``quads`` is a list of ``pyoxigraph.Quad`` in one process, N-Quads bytes from a worker
    process (Oxigraph parses them in the writer far faster than unpickling Python objects).
    """

    article: Article
    quads: list | bytes | None
    count: int = 0
    error: str = ""


def _work(article: Article, serialise: bool = False) -> Mapped:
    """Extract, resolve and map one article; never raises, so one bad article cannot stop a pool."""
    from .mapping import to_quads

    try:
        resolution = process_article(article)
    except Exception as exc:  # noqa: BLE001 - reported per article, build goes on
        log.debug("extraction failed for %s\n%s", article.source_file, traceback.format_exc())
        return Mapped(_slim(article), None, error=f"extraction failed: {type(exc).__name__}: {exc}")
    try:
        quads = to_quads(resolution)
    except Exception as exc:  # noqa: BLE001
        log.debug("mapping failed for %s\n%s", article.source_file, traceback.format_exc())
        return Mapped(_slim(article), None, error=f"could not map: {type(exc).__name__}: {exc}")
    if not serialise:
        return Mapped(article, quads, len(quads))
    from pyoxigraph import RdfFormat, serialize

    return Mapped(_slim(article), serialize(quads, format=RdfFormat.N_QUADS), len(quads))


def _work_serialised(article: Article) -> Mapped:
    return _work(article, serialise=True)


def _slim(article: Article) -> Article:
    """The article without its text: what the writer needs to report and record it."""
    from dataclasses import replace

    return replace(article, text="")


def _articles(inputs: Iterable[str | Path], events: Callable[[BuildEvent], None]) -> Iterator[Article]:
    from .ingest import iter_input_files, read_file

    seen: dict[str, str] = {}
    for path in iter_input_files(inputs):
        for item in read_file(path):
            if isinstance(item, InputError):
                where = item.path or str(path)
                if item.line is not None:
                    where += f":{item.line}"
                events(BuildEvent(where, "skipped", item.reason))
                continue
            if item.id in seen:
                events(BuildEvent(str(path), "skipped", f"duplicate article id {item.id!r} (also {seen[item.id]})"))
                continue
            seen[item.id] = str(path)
            yield item


#: Articles each worker may have queued or finished-but-unwritten (``--jobs``): enough to keep
#: workers busy while the writer catches up, small enough that memory does not grow with the corpus.
IN_FLIGHT_PER_JOB = 8


def _mapped(articles: Iterable[Article], jobs: int) -> Iterator[Mapped]:
    """Articles extracted and mapped, in input order: in this process, or by ``jobs`` workers."""
    if jobs <= 1:
        yield from map(_work, articles)
        return
    import multiprocessing as mp
    from collections import deque

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["kg.extract", "kg.resolve", "kg.mapping"])
    in_flight: deque = deque()
    with ctx.Pool(jobs, initializer=_warm_up) as pool:
        # at most IN_FLIGHT_PER_JOB articles per worker between reader and writer: when the writer
        # is the slower side, reading waits, so memory stays flat whatever the corpus size
        # (Pool.imap would read the whole input ahead and queue every result)
        for article in articles:
            in_flight.append(pool.apply_async(_work_serialised, (article,)))
            if len(in_flight) >= IN_FLIGHT_PER_JOB * jobs:
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()


def _warm_up() -> None:
    """Load the extractors' dictionaries once per worker, before the first article arrives.

    Workers run at a lower priority: the writer is the one serial stage, so it must never wait
    for a core while workers are ahead of it.
    """
    import os

    try:
        os.nice(10)
    except (AttributeError, OSError):  # not on this platform / not allowed
        pass
    for lang, text in (("zh", "县教育局。"), ("en", "The County Education Bureau.")):
        try:
            process_article(Article("warm-up", "warm-up.txt", lang, "", None, text, "warm-up"))
        except Exception:  # noqa: BLE001 - a real article will report the problem
            log.debug("warm-up failed for %s", lang, exc_info=True)


def build(
    inputs: Iterable[str | Path],
    store_path: str | Path | Store | None,
    *,
    jobs: int = 1,
    on_event: Callable[[BuildEvent], None] | None = None,
    ontology: Path | None = REPO / "ontology" / "edukg.ttl",
    analysis_auto_max: int = ANALYSIS_AUTO_MAX,
    bulk: bool = False,
    bulk_batch: int = 200_000,
) -> BuildReport:
    """Build (incrementally) the articles found in ``inputs`` into the store.

    ``bulk`` writes with Oxigraph's bulk loader in batches of ``bulk_batch`` quads (several times
    faster, not atomic: see :func:`kg.store.bulk_add_articles`); the default writes each article
    in one transaction.
    """
    started = time.perf_counter()
    store = _open(store_path)
    ops = _backend(store)
    counts = {"read": 0, "added": 0, "replaced": 0, "unchanged": 0}
    skipped: list[tuple[str, str]] = []

    def events(event: BuildEvent) -> None:
        if event.status == "skipped":
            skipped.append((event.source, event.detail))
        elif event.status in counts:
            counts[event.status] += 1
        if on_event:
            on_event(event)

    if ontology is not None and ontology.exists():
        ops.load_ontology(store, ontology)

    if isinstance(store, Store):
        for graph in kgstore.drop_incomplete_articles(store):
            events(BuildEvent(graph, "note", "incomplete article graph (a killed --bulk build) removed"))
    stored = ops.article_graphs(store)

    def todo() -> Iterator[Article]:
        from .vocab import article_iri

        for article in _articles(inputs, events):
            counts["read"] += 1
            if stored.get(article_iri(article.id)) == article.content_hash:
                events(BuildEvent(_where(article), "unchanged"))
                continue
            yield article

    writer = _BulkWriter(store, stored, events, bulk_batch) if bulk and isinstance(store, Store) else None
    for mapped in _mapped(todo(), jobs):
        if mapped.quads is None:
            events(BuildEvent(_where(mapped.article), "skipped", mapped.error))
        elif writer:
            writer.add(mapped)
        else:
            _write(store, mapped, stored, events)
    if writer:
        writer.flush()

    if counts["added"] or counts["replaced"] or _analysis_stale(store, stored):
        if len(stored) <= analysis_auto_max:
            _refresh_analysis(store)
        else:
            events(BuildEvent("analysis graph", "note",
                              f"not refreshed for {len(stored)} articles (> {analysis_auto_max}): run `kg analyze`"))
    store.flush()
    totals = ops.stats(store)
    return BuildReport(
        **counts,
        skipped=tuple(skipped),
        entities=totals["entities"],
        quads=totals["quads"],
        seconds=round(time.perf_counter() - started, 3),
    )


def _write(
    store: Store,
    mapped: Mapped,
    stored: dict[str, str],
    events: Callable[[BuildEvent], None],
) -> None:
    from .vocab import article_iri

    article = mapped.article
    iri = article_iri(article.id)
    try:
        _backend(store).replace_article(store, iri, mapped.quads)
    except Exception as exc:  # noqa: BLE001 - one article's failure must not stop the build
        log.debug("store failed for %s\n%s", article.source_file, traceback.format_exc())
        events(BuildEvent(_where(article), "skipped", f"could not store: {type(exc).__name__}: {exc}"))
        return
    _record(mapped, stored, events)


def _record(mapped: Mapped, stored: dict[str, str], events: Callable[[BuildEvent], None]) -> None:
    """Note a written article: its hash in ``stored``, and an added/replaced progress event."""
    from .vocab import article_iri

    iri = article_iri(mapped.article.id)
    status = "replaced" if iri in stored else "added"
    stored[iri] = mapped.article.content_hash
    events(BuildEvent(_where(mapped.article), status, f"{mapped.count} quads"))


class _BulkWriter:
    """Gathers mapped articles and writes them in batches with :func:`kg.store.bulk_add_articles`."""

    def __init__(self, store: Store, stored: dict[str, str], events: Callable[[BuildEvent], None],
                 batch: int) -> None:
        self.store, self.stored, self.events, self.batch = store, stored, events, batch
        self.pending: list[Mapped] = []
        self.quads = 0

    def add(self, mapped: Mapped) -> None:
        self.pending.append(mapped)
        self.quads += mapped.count
        if self.quads >= self.batch:
            self.flush()

    def flush(self) -> None:
        from .vocab import article_iri

        batch, self.pending, self.quads = self.pending, [], 0
        if not batch:
            return
        try:
            kgstore.bulk_add_articles(self.store, [(article_iri(m.article.id), m.quads) for m in batch])
        except Exception:  # noqa: BLE001 - fall back to one transaction per article, to skip only the bad one
            log.debug("bulk load failed, writing one by one\n%s", traceback.format_exc())
            for mapped in batch:
                _write(self.store, mapped, self.stored, self.events)
            return
        for mapped in batch:
            _record(mapped, self.stored, self.events)


def _open(store_path):
    """An embedded store, or a :class:`kg.remote.RemoteStore` for an ``http(s)://`` URL."""
    if isinstance(store_path, str) and store_path.startswith(("http://", "https://")):
        from .remote import RemoteStore

        return RemoteStore(store_path)
    if store_path is None or isinstance(store_path, str | Path):
        return kgstore.open_store(store_path)
    return store_path  # an open Store or RemoteStore


def _backend(store):
    """The module holding the store operations: ``kg.store``, or ``kg.remote`` (same names)."""
    if isinstance(store, Store):
        return kgstore
    from . import remote

    return remote


def _analysis_mark(store: Store) -> list[str]:
    """The article fingerprint(s) recorded in the analysis graph."""
    from pyoxigraph import NamedNode

    from .vocab import ANALYSIS_GRAPH, EDU

    if not isinstance(store, Store):
        q = f"SELECT ?h WHERE {{ GRAPH <{ANALYSIS_GRAPH}> {{ <{ANALYSIS_GRAPH}> <{EDU.contentHash}> ?h }} }}"
        return [row["h"]["value"] for row in store.select(q)]
    g = NamedNode(ANALYSIS_GRAPH)
    return [q.object.value for q in store.quads_for_pattern(g, NamedNode(EDU.contentHash), None, g)]


def _analysis_stale(store: Store, stored: dict[str, str]) -> bool:
    """True when the analysis graph was not rebuilt for the stored articles (a build killed
    after writing articles and before the analysis finished): the next build redoes it."""
    from .vocab import ID_NS

    if not any(iri.startswith(ID_NS + "article/") for iri in stored):
        return False
    return _analysis_mark(store) != [kgstore.articles_fingerprint(stored)]


def _refresh_analysis(store: Store) -> None:
    """Rebuild the analysis graph when facts changed (if the analysis module is present).

    The analysis graph carries the fingerprint of the articles it was computed from
    (written with it, in one transaction), so a build killed before it finished is redone.
    """
    try:
        if isinstance(store, Store):
            try:
                from .analysis import write_analysis_graph
            except ImportError:
                return
            write_analysis_graph(store)
        else:
            _backend(store).write_analysis_graph(store)
    except Exception:  # noqa: BLE001 - analysis is derived data; the build itself succeeded
        log.warning("analysis graph not refreshed:\n%s", traceback.format_exc())
