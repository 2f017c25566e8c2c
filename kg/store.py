"""The only module that opens a ``pyoxigraph.Store``.

Each article lives in its own named graph and is written in one transaction
(:func:`replace_article`): a crash leaves the article either complete or absent.

Examples
--------
>>> from pyoxigraph import NamedNode, Literal, Quad
>>> s = open_store(None)  # in memory
>>> g = "https://w3id.org/edukg/graph/article/a"
>>> a = "https://w3id.org/edukg/id/article/a"
>>> replace_article(s, a, [Quad(NamedNode(a), NamedNode(EDU.contentHash), Literal("h1"), NamedNode(g))])
>>> article_hash(s, a)
'h1'
>>> rows(s, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
[{'n': '1'}]
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from pyoxigraph import (
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    serialize,
)

from .errors import ConfigError, QueryError
from .vocab import EDU, EDU_NS, ENTITY_KINDS, GRAPH_NS, ID_NS, PREFIXES

__all__ = [
    "ONTOLOGY_GRAPH",
    "DUMP_FORMATS",
    "open_store",
    "article_hash",
    "article_graphs",
    "articles_fingerprint",
    "replace_article",
    "bulk_add_articles",
    "BULK_ATOMIC_MAX",
    "remove_stray_bulk_files",
    "worth_compacting",
    "drop_incomplete_articles",
    "remove_article",
    "load_ontology",
    "run_query",
    "rows",
    "dump",
    "stats",
    "totals",
    "backup",
    "restore",
    "LOCK_WAIT",
]

ONTOLOGY_GRAPH = GRAPH_NS + "ontology"

DUMP_FORMATS: dict[str, RdfFormat] = {
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}


#: Seconds :func:`backup`, :func:`restore` and the web server's updates wait for another
#: process (a short writer) to release the store's lock.
LOCK_WAIT = 30.0


def open_store(path: str | Path | None, *, read_only: bool = False, wait: float = 0.0) -> Store:
    """Open (creating if needed) the on-disk store at ``path``; ``None`` is in memory.

    With ``wait``, a store locked by another process is retried for up to that many seconds.
    """
    if path is None:
        return Store()
    path = Path(path)
    deadline = time.monotonic() + wait
    while True:
        try:
            if read_only:
                return Store.read_only(str(path))
            path.mkdir(parents=True, exist_ok=True)
            store = Store(str(path))
            remove_stray_bulk_files(path)  # we hold the lock now: no load can be under way
            return store
        except OSError as exc:
            if "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise ConfigError(f"cannot open store at {path}: {exc}") from exc


def article_hash(store: Store, article_iri: str) -> str | None:
    """The content hash recorded for an article, or None if it is not stored."""
    node = NamedNode(article_iri)
    graph = NamedNode(GRAPH_NS + article_iri[len(ID_NS) :])
    for quad in store.quads_for_pattern(node, NamedNode(EDU.contentHash), None, graph):
        return quad.object.value
    return None


def article_graphs(store: Store) -> dict[str, str]:
    """Map of article IRI -> content hash for every stored article."""
    q = f"SELECT ?a ?h WHERE {{ GRAPH ?g {{ ?a <{EDU.contentHash}> ?h }} }}"
    return {sol["a"].value: sol["h"].value for sol in store.query(q)}


def articles_fingerprint(stored: dict[str, str]) -> str:
    """One hash over the stored articles and their content hashes (see :func:`article_graphs`).

    The analysis graph records the fingerprint it was computed from, so a stale one is noticed.

    >>> articles_fingerprint({}) == articles_fingerprint({"x": "not an article"})
    True
    """
    lines = sorted(f"{iri} {h}" for iri, h in stored.items() if iri.startswith(ID_NS + "article/"))
    return "sha256:" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _all_in_graph(nquads: bytes, graph: str) -> bool:
    r"""Whether every N-Quads line ends in ``graph`` (counted in C: the writer thread barely holds the GIL).

    N-Quads escapes line breaks inside literals, so each line break ends one statement.

    >>> _all_in_graph(b'<a> <b> "x <g> ." <g> .\n<a> <b> <c> <g> .\n', "g")
    True
    >>> _all_in_graph(b'<a> <b> <c> <g> .\n<a> <b> <c> <h> .\n', "g")
    False
    """
    data = nquads if nquads.endswith(b"\n") else nquads + b"\n"
    return data.count(b"\n") == data.count(f" <{graph}> .\n".encode())


def replace_article(store: Store, article_iri: str, quads: Iterable[Quad] | bytes) -> None:
    """Write the named graph of ``article_iri`` (``quads``, or their N-Quads) in one transaction.

    A new article is loaded (Oxigraph parses N-Quads bytes itself, as ``kg build --jobs N``
    workers send them); a stored one is replaced by one SPARQL Update, ``DROP GRAPH`` then
    ``INSERT DATA``, which Oxigraph applies in one transaction: readers see the old graph or the
    new one, never neither, and a crash leaves one of them. The content hash that marks the article
    complete is written with the rest.

    >>> s = open_store(None)
    >>> a = ID_NS + "article/b"
    >>> for h in ("h1", "h2"):
    ...     replace_article(s, a, f'<{a}> <{EDU.contentHash}> "{h}" <{GRAPH_NS}article/b> .\\n'.encode())
    >>> article_hash(s, a), len(s)
    ('h2', 1)
    """
    graph = NamedNode(GRAPH_NS + article_iri[len(ID_NS) :])
    if isinstance(quads, bytes | bytearray):
        data = bytes(quads)
        if not _all_in_graph(data, graph.value):
            raise ValueError(f"every quad must be in {graph.value}")
    else:
        quads = list(quads)
        if any(q.graph_name != graph for q in quads):
            raise ValueError(f"every quad must be in {graph.value}")
        data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    if not store.contains_named_graph(graph):
        store.load(data, format=RdfFormat.N_QUADS)
        return
    # N-Quads escape line breaks in literals, so each statement ends in " <graph> .\n": drop the graph term
    triples = (data if data.endswith(b"\n") else data + b"\n").replace(f" <{graph.value}> .\n".encode(), b" .\n")
    store.update(f"DROP SILENT GRAPH <{graph.value}> ;\nINSERT DATA {{ GRAPH <{graph.value}> {{\n"
                 f"{triples.decode()}}} }}")


#: Most quads :func:`bulk_add_articles` writes in one call. Oxigraph's bulk loader ingests up to
#: a million quads per step, all column families at once (one RocksDB ``IngestExternalFiles``),
#: so a load below that is all or nothing; staying well under keeps each batch atomic.
BULK_ATOMIC_MAX = 500_000


def bulk_add_articles(store: Store, items: list[tuple[str, Iterable[Quad] | bytes]]) -> None:
    """Write new articles, content hashes included, with one call to Oxigraph's bulk loader.

    The loader builds sorted files for every index and ingests them in one step, so a batch of
    fewer than :data:`BULK_ATOMIC_MAX` quads is stored whole or not at all, even when the process
    is killed (``tests/test_bulk_crash.py``), several times faster than a transaction per article.
    An article whose graph is already stored has it dropped first (in its own transaction), so it
    is absent until the batch lands: the build replaces changed articles with
    :func:`replace_article` instead.

    >>> s = open_store(None)
    >>> a = ID_NS + "article/c"
    >>> g = NamedNode(GRAPH_NS + "article/c")
    >>> bulk_add_articles(s, [(a, [Quad(NamedNode(a), NamedNode(EDU.sourceFile), Literal("c.txt"), g),
    ...                            Quad(NamedNode(a), NamedNode(EDU.contentHash), Literal("h3"), g)])])
    >>> article_hash(s, a), len(s)
    ('h3', 2)
    """
    bodies: list[bytes] = []
    for article_iri, quads in items:
        graph = GRAPH_NS + article_iri[len(ID_NS) :]
        data = quads if isinstance(quads, bytes | bytearray) else serialize(list(quads), format=RdfFormat.N_QUADS)
        data = bytes(data)
        if data and not data.endswith(b"\n"):
            data += b"\n"
        if not _all_in_graph(data, graph):
            raise ValueError(f"every quad must be in {graph}")
        bodies.append(data)
    if sum(body.count(b"\n") for body in bodies) > BULK_ATOMIC_MAX:
        raise ValueError(f"a bulk batch holds at most {BULK_ATOMIC_MAX} quads (to be written whole or not at all)")
    for article_iri, _ in items:
        graph = NamedNode(GRAPH_NS + article_iri[len(ID_NS) :])
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
    if any(bodies):
        store.bulk_load(b"".join(bodies), format=RdfFormat.N_QUADS)


#: An ``.sst`` file under this size is, nearly always, one a bulk load put in RocksDB's level 0 that no
#: compaction has merged yet (merged files are tens of MB); every query reads through each of them.
SMALL_SST = 8 * 2**20
#: ``kg build`` compacts the store when its bulk loads were at least this share of the store's quads ...
COMPACT_LOADED_SHARE = 0.1
#: ... or when the store holds more unmerged files than this (many small builds).
COMPACT_SMALL_FILES = 64


def small_files(path: str | Path) -> int:
    """How many ``.sst`` files of the store folder are under :data:`SMALL_SST` bytes."""
    count = 0
    for f in Path(path).glob("*.sst"):
        try:
            count += f.stat().st_size < SMALL_SST
        except OSError:  # compacted away meanwhile
            pass
    return count


def worth_compacting(path: str | Path | None, loaded: int, quads: int) -> bool:
    """Whether a build that bulk-loaded ``loaded`` quads into a store of ``quads`` should compact it.

    Bulk loads land as small files that overlap everything stored, and a build ends before RocksDB
    merges them: at 10,000 articles (91 files) the aggregate named queries ran 2-5x slower than after
    :meth:`pyoxigraph.Store.optimize` (20 s there). Compacting costs time in proportion to the whole
    store, so a small incremental build skips it until unmerged files pile up.

    >>> worth_compacting(None, 0, 10), worth_compacting(None, 200, 1000), worth_compacting(None, 50, 1000)
    (False, True, False)
    """
    if loaded <= 0:
        return False
    if loaded >= COMPACT_LOADED_SHARE * quads:
        return True
    return path is not None and small_files(path) > COMPACT_SMALL_FILES


def remove_stray_bulk_files(path: str | Path) -> list[str]:
    """Delete the loader's unfinished files (``bulk-*.sst``) that a killed bulk load left in the store folder.

    Only safe while this process holds the store open read-write (RocksDB's lock): no one else can
    be loading then. Ingested files have their own names; these are never part of the store.
    """
    removed = []
    for stray in Path(path).glob("bulk-*.sst"):
        try:
            stray.unlink()
            removed.append(stray.name)
        except OSError:
            pass
    return removed


def drop_incomplete_articles(store: Store) -> list[str]:
    """Remove article graphs that have no content hash.

    Builds write the hash with the rest of the article (one transaction, or one atomic bulk
    batch); a graph without it comes from elsewhere (an earlier version's bulk build, killed
    between its two steps, or a hand-made edit) and is rebuilt by the next build.

    >>> s = open_store(None)
    >>> g = NamedNode(GRAPH_NS + "article/d")
    >>> s.add(Quad(NamedNode(ID_NS + "article/d"), NamedNode(EDU.sourceFile), Literal("d.txt"), g))
    >>> drop_incomplete_articles(s), len(s)
    (['https://w3id.org/edukg/graph/article/d'], 0)
    """
    complete = {GRAPH_NS + iri[len(ID_NS) :] for iri in article_graphs(store)}
    dropped = []
    for graph in list(store.named_graphs()):
        if graph.value.startswith(GRAPH_NS + "article/") and graph.value not in complete:
            store.remove_graph(graph)
            dropped.append(graph.value)
    return sorted(dropped)


def remove_article(store: Store, article_iri: str) -> None:
    graph = NamedNode(GRAPH_NS + article_iri[len(ID_NS) :])
    if store.contains_named_graph(graph):
        store.remove_graph(graph)


def load_ontology(store: Store, ttl_path: Path) -> bool:
    """Load ``ttl_path`` into the ontology graph if it changed; True if (re)loaded."""
    data = ttl_path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    graph = NamedNode(ONTOLOGY_GRAPH)
    marker = (NamedNode(ONTOLOGY_GRAPH), NamedNode(EDU.contentHash))
    for quad in store.quads_for_pattern(marker[0], marker[1], None, graph):
        if quad.object.value == digest:
            return False
    quads = [Quad(t.subject, t.predicate, t.object, graph) for t in parse(data, format=RdfFormat.TURTLE)]
    quads.append(Quad(marker[0], marker[1], Literal(digest), graph))
    if store.contains_named_graph(graph):
        store.remove_graph(graph)
    store.extend(quads)
    return True


def run_query(
    store: Store,
    sparql: str,
    *,
    substitutions: dict[str, Any] | None = None,
    union: bool = True,
    default_graph: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> QuerySolutions | QueryTriples | QueryBoolean:
    """Run SPARQL with the ontology prefixes predeclared; the default graph is the union.

    Syntax errors become :class:`QueryError` (HTTP 400) with the parser's message.
    """
    kwargs: dict[str, Any] = {"prefixes": PREFIXES}
    if default_graph:
        kwargs["default_graph"] = [_graph_node(g) if g else DefaultGraph() for g in default_graph]
    else:
        kwargs["use_default_graph_as_union"] = union
    if named_graphs:
        kwargs["named_graphs"] = [_graph_node(g) for g in named_graphs]
    if substitutions:
        from .sparql_params import inline

        inlined = inline(sparql, substitutions)
        if inlined is not None:
            try:  # the terms written into the pattern: Oxigraph plans with them (kg.sparql_params)
                return store.query(inlined, **kwargs)
            except SyntaxError:
                pass  # e.g. the parameter is projected by a sub-select: bind it the slow way
        kwargs["substitutions"] = {Variable(k): v for k, v in substitutions.items()}
    try:
        return store.query(sparql, **kwargs)
    except SyntaxError as exc:
        raise QueryError(str(exc), lineno=getattr(exc, "lineno", None), offset=getattr(exc, "offset", None)) from exc


def _graph_node(iri: str) -> NamedNode:
    """A dataset graph IRI; an invalid one is the caller's error (HTTP 400)."""
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not a valid graph IRI: {iri!r}") from exc


def rows(store: Store, sparql: str, **kwargs: Any) -> list[dict[str, str]]:
    """SELECT results as a list of {variable: lexical value} dicts (unbound left out)."""
    result = run_query(store, sparql, **kwargs)
    if not isinstance(result, QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [v.value for v in result.variables]
    out = []
    for sol in result:
        out.append({n: sol[n].value for n in names if sol[n] is not None})
    return out


def dump(store: Store, output: IO[bytes] | str | Path, fmt: str = "nquads") -> None:
    """Write the whole dataset. N-Quads output is sorted, so equal datasets dump equal."""
    if fmt not in DUMP_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(DUMP_FORMATS)}")
    rdf_format = DUMP_FORMATS[fmt]
    if fmt == "nquads":
        buf = store.dump(format=RdfFormat.N_QUADS)
        lines = sorted(set(buf.splitlines(keepends=True)))
        data = b"".join(lines)
    elif fmt == "jsonld":
        data = _compact_jsonld(store)
    elif rdf_format.supports_datasets:
        data = store.dump(format=rdf_format, prefixes=PREFIXES)
    else:
        data = _dump_union(store, rdf_format)
    if isinstance(output, str | Path):
        Path(output).write_bytes(data)
    else:
        output.write(data)


def _compact_jsonld(store: Store) -> bytes:
    """JSON-LD with an ``@context`` of the ontology prefixes (pyoxigraph writes it expanded)."""
    import rdflib

    ds = rdflib.Dataset()
    ds.parse(data=store.dump(format=RdfFormat.N_QUADS), format="nquads")
    return ds.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True).encode("utf-8")


def _dump_union(store: Store, rdf_format: RdfFormat) -> bytes:
    seen = {(q.subject, q.predicate, q.object) for q in store}
    triples = sorted((Triple(s, p, o) for s, p, o in seen), key=str)
    out = io.BytesIO()
    serialize(triples, out, format=rdf_format, prefixes=PREFIXES)
    return out.getvalue()


#: The two queries behind :func:`stats` (shared with :func:`kg.remote.stats`).
STATS_ARTICLES = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ GRAPH ?g {{ ?a a <{EDU.Article}> }} }}"
STATS_CLASSES = f"""SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE {{
    GRAPH ?g {{ ?e a ?c }} FILTER(STRSTARTS(STR(?g), "{GRAPH_NS}article/"))
    FILTER(STRSTARTS(STR(?c), "{EDU_NS}"))
}} GROUP BY ?c"""


def summarise(select: Any, quads: int) -> dict[str, Any]:
    """Store statistics from ``select(query) -> rows`` (embedded or remote) and the quad count."""
    articles = int(select(STATS_ARTICLES)[0]["n"])
    per_class = {r["c"].rsplit("#", 1)[-1]: int(r["n"]) for r in select(STATS_CLASSES)}
    entities = sum(n for c, n in per_class.items() if c not in {"Article", "Observation", "Evidence"})
    return {"articles": articles, "quads": quads, "entities": entities, "classes": dict(sorted(per_class.items()))}


def stats(store: Store) -> dict[str, Any]:
    """Counts for ``/healthz``: articles, quads, entities and instances per class."""
    return summarise(lambda q: rows(store, q, union=False), len(store))


#: Entities per kind for the build summary: only the entity kinds' type statements are read (the
#: index finds them), not every evidence record's and observation's as :data:`STATS_CLASSES` does.
STATS_ENTITIES = f"""SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE {{
    VALUES ?c {{ {" ".join(f"<{EDU[k]}>" for k in ENTITY_KINDS)} }}
    GRAPH ?g {{ ?e a ?c }} FILTER(STRSTARTS(STR(?g), "{GRAPH_NS}article/"))
}} GROUP BY ?c"""


def totals(store: Store) -> dict[str, int]:
    """Entities and quads in the store, for the build summary (several times quicker than :func:`stats`).

    >>> totals(open_store(None))
    {'entities': 0, 'quads': 0}
    """
    return {"entities": sum(int(r["n"]) for r in rows(store, STATS_ENTITIES, union=False)), "quads": len(store)}


def backup(store_path: str | Path, dest: str | Path) -> int:
    """Copy a consistent snapshot of the store at ``store_path`` to the new folder ``dest``.

    Uses Oxigraph's own ``Store.backup`` (a checkpoint), so it is safe while the store is
    being read; returns the number of quads copied.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ConfigError(f"backup destination {dest} exists and is not empty")
    src = open_store(store_path, wait=LOCK_WAIT)  # a served store is written briefly by updates
    src.flush()
    src.backup(str(dest))
    del src
    return len(open_store(dest, read_only=True))


def restore(backup_path: str | Path, store_path: str | Path) -> int:
    """Replace the store at ``store_path`` with a copy of ``backup_path``; returns quads restored."""
    import shutil

    backup_path, store_path = Path(backup_path), Path(store_path)
    if not (backup_path / "CURRENT").exists():
        raise ConfigError(f"{backup_path} is not an Oxigraph store backup")
    staging = store_path.with_name(store_path.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    open_store(backup_path, read_only=True).backup(str(staging))
    old = store_path.with_name(store_path.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    # Hold the live store's own lock file during the swap: no writer (a served update) can have
    # it open, since one would go on writing into the new folder by path and corrupt it.
    held = _hold_lock(store_path / "LOCK") if (store_path / "LOCK").exists() else None
    try:
        if store_path.exists():
            store_path.rename(old)
        staging.rename(store_path)
    finally:
        if held is not None:
            os.close(held)
    shutil.rmtree(old, ignore_errors=True)
    return len(open_store(store_path, wait=LOCK_WAIT))


def _hold_lock(lock_file: Path) -> int:
    """Take the POSIX lock RocksDB takes on ``LOCK`` (waiting up to LOCK_WAIT); returns the fd."""
    import fcntl

    fd = os.open(lock_file, os.O_RDWR)
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as exc:
            if time.monotonic() > deadline:
                os.close(fd)
                raise ConfigError(f"the store is busy (locked by another process): {exc}") from exc
            time.sleep(0.05)
