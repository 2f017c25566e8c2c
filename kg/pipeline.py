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
    from .mapping import to_nquads, to_quads

    try:
        resolution = process_article(article)
    except Exception as exc:  # noqa: BLE001 - reported per article, build goes on
        log.debug("extraction failed for %s\n%s", article.source_file, traceback.format_exc())
        return Mapped(_slim(article), None, error=f"extraction failed: {type(exc).__name__}: {exc}")
    try:
        if serialise:
            data = to_nquads(resolution)
            return Mapped(_slim(article), data, data.count(b"\n"))
        quads = to_quads(resolution)
    except Exception as exc:  # noqa: BLE001
        log.debug("mapping failed for %s\n%s", article.source_file, traceback.format_exc())
        return Mapped(_slim(article), None, error=f"could not map: {type(exc).__name__}: {exc}")
    return Mapped(article, quads, len(quads))


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


def _mapped(articles: Iterable[Article], jobs: int, *, serialise: bool = False) -> Iterator[Mapped]:
    """Articles extracted and mapped, in input order: in this process, or by ``jobs`` workers.

    Workers always send N-Quads bytes; in this process ``serialise`` asks for them too (the
    writer thread parses them without holding the GIL).
    """
    if jobs <= 1:
        yield from map(_work_serialised if serialise else _work, articles)
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
    bulk: bool = True,
    bulk_batch: int = 200_000,
    overlap: bool = True,
) -> BuildReport:
    """Build (incrementally) the articles found in ``inputs`` into the store.

    ``bulk`` (the default) writes new articles with Oxigraph's bulk loader in batches of
    ``bulk_batch`` quads, each batch whole or not at all (:func:`kg.store.bulk_add_articles`), and
    replaces changed ones in a transaction each; ``bulk=False`` writes every article in its own
    transaction (several times slower). ``overlap`` writes in a background thread while the next
    articles are extracted (Oxigraph parses and writes without holding the GIL); ``False`` writes
    in turn.
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
            events(BuildEvent(graph, "note", "article graph without its content hash removed (rebuilt if read again)"))
    stored = ops.article_graphs(store)

    def todo() -> Iterator[Article]:
        from .vocab import article_iri

        for article in _articles(inputs, events):
            counts["read"] += 1
            if stored.get(article_iri(article.id)) == article.content_hash:
                events(BuildEvent(_where(article), "unchanged"))
                continue
            yield article

    def record(done: list[tuple[Mapped, str]]) -> None:
        for mapped, error in done:
            if error:
                events(BuildEvent(_where(mapped.article), "skipped", error))
            else:
                _record(mapped, stored, events)

    batches = _BulkBatches(store, bulk_batch) if bulk and isinstance(store, Store) else None
    writer = _Writer(store, batches, background=overlap, early=jobs <= 1)
    try:
        for mapped in _mapped(todo(), jobs, serialise=overlap):
            record(writer.put(mapped))  # failed extractions too, so progress stays in input order
    finally:
        record(writer.close())

    if counts["added"] or counts["replaced"] or _analysis_stale(store, stored):
        if len(stored) <= analysis_auto_max:
            _refresh_analysis(store)
        else:
            events(BuildEvent("analysis graph", "note",
                              f"not refreshed for {len(stored)} articles (> {analysis_auto_max}): run `kg analyze`"))
    store.flush()
    totals = ops.totals(store)
    path = store_path if isinstance(store_path, str | Path) else None
    if batches is not None and kgstore.worth_compacting(path, batches.loaded, totals["quads"]):
        events(BuildEvent("store", "note", "compacting the bulk-loaded files, so queries read fewer of them"))
        compacted = time.perf_counter()
        store.optimize()
        events(BuildEvent("store", "note", f"compacted in {time.perf_counter() - compacted:.1f} s"))
    return BuildReport(
        **counts,
        skipped=tuple(skipped),
        entities=totals["entities"],
        quads=totals["quads"],
        seconds=round(time.perf_counter() - started, 3),
    )


def _store_one(store: Store, mapped: Mapped) -> str:
    """Write one article in its own transaction: "" when stored, else why it could not be."""
    from .vocab import article_iri

    try:
        _backend(store).replace_article(store, article_iri(mapped.article.id), mapped.quads)
    except Exception as exc:  # noqa: BLE001 - one article's failure must not stop the build
        log.debug("store failed for %s\n%s", mapped.article.source_file, traceback.format_exc())
        return f"could not store: {type(exc).__name__}: {exc}"
    return ""


def _record(mapped: Mapped, stored: dict[str, str], events: Callable[[BuildEvent], None]) -> None:
    """Note a written article: its hash in ``stored``, and an added/replaced progress event."""
    from .vocab import article_iri

    iri = article_iri(mapped.article.id)
    status = "replaced" if iri in stored else "added"
    stored[iri] = mapped.article.content_hash
    events(BuildEvent(_where(mapped.article), status, f"{mapped.count} quads"))


#: Quads worth one bulk load when the writer thread of a one-process build has nothing else to do.
#: Each load leaves files for RocksDB to compact, more work the smaller the loads (1,000 articles,
#: 770k quads: the compaction thread used 2.1 s of CPU with full batches, 4.7 s with loads of 100k,
#: 8-9 s with 50k), but a writer that waits for a full batch writes the last one after extraction ends.
EARLY_BATCH = 100_000


class _BulkBatches:
    """Gathers new articles and writes each batch whole with :func:`kg.store.bulk_add_articles`.

    A batch is written once it holds ``batch`` quads (never more than
    :data:`kg.store.BULK_ATOMIC_MAX`, so it lands whole or not at all). A changed article (its
    graph is stored) is replaced in its own transaction after the batch before it is written, so
    readers see its old or its new graph, never neither, and progress stays in input order.
    """

    def __init__(self, store: Store, batch: int) -> None:
        self.store, self.batch = store, max(1, min(batch, kgstore.BULK_ATOMIC_MAX))
        self.early = min(self.batch, EARLY_BATCH)
        self.pending: list[Mapped] = []
        self.quads = 0
        self.loaded = 0  # quads bulk-loaded so far

    def ready_early(self) -> bool:
        """Whether the pending articles are worth a load before the batch is full (the writer is idle)."""
        return self.quads >= self.early

    def _stored(self, mapped: Mapped) -> bool:
        from pyoxigraph import NamedNode

        from .vocab import article_iri, graph_iri

        return self.store.contains_named_graph(NamedNode(graph_iri(article_iri(mapped.article.id))))

    def add(self, mapped: Mapped) -> list[tuple[Mapped, str]]:
        """Queue one article; the articles written meanwhile (with their errors), in input order."""
        if mapped.quads is not None and self._stored(mapped):
            return self.flush() + [(mapped, _store_one(self.store, mapped))]
        done = self.flush() if self.quads and self.quads + mapped.count > kgstore.BULK_ATOMIC_MAX else []
        self.pending.append(mapped)
        self.quads += mapped.count
        return done + (self.flush() if self.quads >= self.batch else [])

    def flush(self) -> list[tuple[Mapped, str]]:
        from .vocab import article_iri

        batch, self.pending, self.quads = self.pending, [], 0
        good = [m for m in batch if m.quads is not None]
        if not good:
            return [(m, m.error) for m in batch]
        try:
            kgstore.bulk_add_articles(self.store, [(article_iri(m.article.id), m.quads) for m in good])
            self.loaded += sum(m.count for m in good)
        except Exception:  # noqa: BLE001 - fall back to one transaction per article, to skip only the bad one
            log.debug("bulk load failed, writing one by one\n%s", traceback.format_exc())
            return [(m, _store_one(self.store, m) if m.quads is not None else m.error) for m in batch]
        return [(m, "" if m.quads is not None else m.error) for m in batch]


#: Mapped articles waiting for the writer thread: bounds memory when writing is the slower side.
WRITE_QUEUE = 16


class _Writer:
    """The one writer: stores mapped articles in input order, in a background thread or in turn.

    In the background, the extraction of the next articles overlaps the store write of the
    previous ones: Oxigraph parses N-Quads and commits without holding the GIL, so on two cores
    a one-process build uses both. ``put`` and ``close`` return the articles written since the
    last call, as (mapped, error) pairs, so progress events stay in the calling thread.

    Up to ``WRITE_QUEUE`` articles wait for the thread; with bulk batches, up to a batch of
    quads, so the extraction goes on while the thread bulk-loads the previous batch. With ``early``
    (one extracting process: the second core has time to spare), a thread with nothing queued loads
    its pending articles once they reach ``EARLY_BATCH`` quads, so the load left after extraction
    ends stays small. With worker processes every core is busy, and small loads cost CPU (more
    files to compact: with 50k-quad loads, compaction took 10.3 s of a 1,000-article ``--jobs 2``
    build's 21.5 s of writer-process CPU, with full batches 1.9 s of 12.1 s), so batches stay full.
    """

    def __init__(self, store: Store, batches: _BulkBatches | None, *, background: bool, early: bool = True) -> None:
        import queue

        self.store, self.batches, self.early = store, batches, early
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = None
        if background:
            import threading
            from collections import deque

            self.todo: deque[Mapped | None] = deque()
            self.queued = 0  # quads in ``todo`` (articles, without bulk batches)
            self.limit = batches.batch if batches is not None else WRITE_QUEUE
            self.ready = threading.Condition()
            self.thread = threading.Thread(target=self._run, name="kg-writer", daemon=True)
            self.thread.start()

    def _size(self, mapped: Mapped | None) -> int:
        return 0 if mapped is None else max(mapped.count, 1) if self.batches is not None else 1

    def _write(self, mapped: Mapped | None) -> list[tuple[Mapped, str]]:
        if self.batches is not None:
            return self.batches.flush() if mapped is None else self.batches.add(mapped)
        if mapped is None:
            return []
        return [(mapped, mapped.error if mapped.quads is None else _store_one(self.store, mapped))]

    def _run(self) -> None:
        while True:
            with self.ready:
                while not self.todo:
                    self.ready.wait()
                mapped = self.todo.popleft()
                idle = not self.todo
            try:
                written = self._write(mapped)
                batches = self.batches
                if idle and self.early and mapped is not None and batches is not None and batches.ready_early():
                    written += batches.flush()  # nothing else to do: load now, so the last batch is small
                self.done.put(written)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
                self.done.put(exc)
            with self.ready:
                self.queued -= self._size(mapped)
                self.ready.notify_all()
            if mapped is None:
                return

    def _hand_over(self, mapped: Mapped | None) -> None:
        """Queue ``mapped`` for the thread, first waiting while the queue is over its limit."""
        with self.ready:
            while self.queued >= self.limit and self.thread.is_alive():
                self.ready.wait(0.5)
            self.todo.append(mapped)
            self.queued += self._size(mapped)
            self.ready.notify_all()

    def _drain(self) -> list[tuple[Mapped, str]]:
        out: list[tuple[Mapped, str]] = []
        while not self.done.empty():
            item = self.done.get()
            if isinstance(item, BaseException):
                raise item
            out += item
        return out

    def put(self, mapped: Mapped) -> list[tuple[Mapped, str]]:
        if self.thread is None:
            return self._write(mapped)
        self._hand_over(mapped)
        return self._drain()

    def close(self) -> list[tuple[Mapped, str]]:
        """Write what is left and stop the thread."""
        if self.thread is None:
            return self._write(None)
        if self.thread.is_alive():
            self._hand_over(None)
            self.thread.join()
        return self._drain()


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
