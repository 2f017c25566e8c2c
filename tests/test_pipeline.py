"""The spine: seeds -> store, incremental, order independent, one graph per article."""

from __future__ import annotations

import io
import shutil

import pytest

from kg import store as kgstore
from kg.pipeline import build
from kg.vocab import EDU, GRAPH_NS, ID_NS

CORE = ("City", "District", "School", "EducationGroup", "Policy", "GovernmentBody", "Person", "Observation", "Article")


def _dump(path) -> bytes:
    out = io.BytesIO()
    kgstore.dump(kgstore.open_store(path), out, "nquads")
    return out.getvalue()


def _graph_quads(path) -> dict[str, set[str]]:
    graphs: dict[str, set[str]] = {}
    for line in _dump(path).decode().splitlines():
        graph = line.rsplit(" ", 2)[-2]
        graphs.setdefault(graph, set()).add(line)
    return graphs


def test_pipeline_builds_every_seed(seed_build):
    _, report = seed_build
    assert report.skipped == ()
    assert (report.read, report.added) == (5, 5)
    assert report.entities > 50 and report.quads > 1000


def test_pipeline_one_named_graph_per_article(seed_store_path):
    st = kgstore.open_store(seed_store_path, read_only=True)
    graphs = {g.value for g in st.named_graphs()}
    articles = [g for g in graphs if g.startswith(GRAPH_NS + "article/")]
    assert len(articles) == 5


def test_pipeline_core_classes_have_instances(seed_store_path):
    st = kgstore.open_store(seed_store_path, read_only=True)
    for cls in CORE:
        n = kgstore.rows(st, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{EDU[cls]}> }}")[0]["n"]
        assert int(n) > 0, f"no instance of edu:{cls}"


def test_pipeline_every_fact_has_evidence(seed_store_path):
    st = kgstore.open_store(seed_store_path, read_only=True)
    q = """SELECT ?s ?p ?o WHERE {
      VALUES ?p { edu:locatedIn edu:memberOf edu:leadSchool edu:implements edu:governs edu:heads }
      GRAPH ?g { ?s ?p ?o }
      FILTER NOT EXISTS { GRAPH ?g { ?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; edu:quote ?q } }
    }"""
    assert kgstore.rows(st, q) == []


def test_pipeline_quotes_are_exact_substrings(seed_store_path):
    st = kgstore.open_store(seed_store_path, read_only=True)
    q = """SELECT ?q ?start ?end ?text WHERE {
      ?x edu:quote ?q ; edu:startOffset ?start ; edu:endOffset ?end ; prov:wasDerivedFrom ?a .
      ?a edu:text ?text }"""
    found = kgstore.rows(st, q)
    assert found
    for r in found:
        assert r["text"][int(r["start"]) : int(r["end"])] == r["q"]


def test_pipeline_rebuild_is_a_noop(seeds_copy, tmp_path):
    store = tmp_path / "store"
    build([seeds_copy], store)
    before = _dump(store)
    report = build([seeds_copy], store)
    assert (report.unchanged, report.added, report.replaced) == (5, 0, 0)
    assert _dump(store) == before


def test_pipeline_order_independent(seeds_copy, tmp_path):
    """Articles built one at a time, in reverse order, give the same dataset as one build."""
    one = tmp_path / "one"
    build([seeds_copy], one)
    rev = tmp_path / "rev"
    for path in sorted(seeds_copy.iterdir(), reverse=True):
        build([path], rev)
    assert _dump(rev) == _dump(one)


def test_pipeline_changed_article_replaces_only_its_graph(seeds_copy, tmp_path):
    store = tmp_path / "store"
    build([seeds_copy], store)
    before = _graph_quads(store)
    target = sorted(seeds_copy.glob("*.txt"))[1]
    target.write_text(target.read_text(encoding="utf-8") + "\nThe county added 1,234 new school places in 2023.\n",
                      encoding="utf-8")
    report = build([seeds_copy], store)
    assert (report.replaced, report.unchanged) == (1, 4)
    after = _graph_quads(store)
    changed = [g for g in after if "/graph/article/" in g and after[g] != before.get(g)]
    assert len(changed) == 1 and target.stem in changed[0]
    assert any("1,234" in line or "1234" in line for line in after[changed[0]])


def test_pipeline_broken_article_is_skipped_and_rest_built(seeds_copy, tmp_path):
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "binary.txt").write_bytes(bytes(range(256)) * 10)
    report = build([seeds_copy], tmp_path / "store")
    assert report.added == 5
    assert {s.split(":")[0].rsplit("/", 1)[-1] for s, _ in report.skipped} >= {"empty.txt", "binary.txt"}


def test_pipeline_moved_file_same_stem_not_duplicated(seeds_copy, tmp_path):
    store = tmp_path / "store"
    build([seeds_copy], store)
    other = tmp_path / "elsewhere"
    other.mkdir()
    src = sorted(seeds_copy.glob("*.txt"))[0]
    shutil.copy(src, other / src.name)
    report = build([other], store)
    assert report.unchanged == 1 and report.added == 0


def test_pipeline_large_builds_leave_analysis_to_kg_analyze(seeds_copy, tmp_path):
    notes = []
    build([seeds_copy], tmp_path / "store", analysis_auto_max=2,
          on_event=lambda e: notes.append(e) if e.status == "note" else None)
    assert notes and "kg analyze" in notes[0].detail
    st = kgstore.open_store(tmp_path / "store")
    q = "SELECT * WHERE { GRAPH <https://w3id.org/edukg/graph/analysis> { ?s ?p ?o } } LIMIT 1"
    assert kgstore.rows(st, q) == []


def test_pipeline_parallel_build_equals_one_process(seeds_copy, seed_store_path, tmp_path):
    """`--jobs 2`: workers extract and map, the parent writes; same dataset, same skips, same order."""
    (seeds_copy / "broken.txt").write_bytes(bytes(range(256)) * 10)
    events = []
    report = build([seeds_copy], tmp_path / "par", jobs=2, on_event=events.append)
    assert report.added == 5 and len(report.skipped) == 1
    assert _dump(tmp_path / "par") == _dump(seed_store_path)
    written = [e.source.rsplit("/", 1)[-1] for e in events if e.status == "added"]
    assert written == sorted(written)  # input order kept
    assert all(e.detail.endswith(" quads") and int(e.detail.split()[0]) > 100 for e in events if e.status == "added")
    # a changed article is replaced through the same path
    target = sorted(seeds_copy.glob("*.txt"))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\nThe county added 1,234 new school places in 2023.\n",
                      encoding="utf-8")
    again = build([seeds_copy], tmp_path / "par", jobs=2)
    assert (again.replaced, again.unchanged) == (1, 4)


def test_pipeline_bulk_build_equals_transactional(seeds_copy, seed_store_path, tmp_path):
    """Bulk batches (the default, here several for five articles) and one transaction per article
    (`--transactions`) write the same dataset, in one process and with workers."""
    for jobs in (1, 2):
        report = build([seeds_copy], tmp_path / f"bulk{jobs}", jobs=jobs, bulk=True, bulk_batch=3000)
        assert report.added == 5
        assert _dump(tmp_path / f"bulk{jobs}") == _dump(seed_store_path)
        report = build([seeds_copy], tmp_path / f"tx{jobs}", jobs=jobs, bulk=False)
        assert report.added == 5
        assert _dump(tmp_path / f"tx{jobs}") == _dump(seed_store_path)
    again = build([seeds_copy], tmp_path / "bulk1", bulk=True)
    assert again.unchanged == 5


def test_pipeline_bulk_build_replaces_changed_articles_in_transactions(seeds_copy, tmp_path, monkeypatch):
    """New articles go through the bulk loader; a changed one is replaced in one transaction (never absent
    from the store), and the batches around it keep the input order."""
    from kg import pipeline

    store = tmp_path / "store"
    build([seeds_copy], store, bulk_batch=3000)
    files = sorted(seeds_copy.glob("*.txt"))
    files[2].write_text(files[2].read_text(encoding="utf-8") + "\nThe county added 1,234 new school places in 2023.\n",
                        encoding="utf-8")
    (seeds_copy / "zz_new.txt").write_text(files[0].read_text(encoding="utf-8").replace("2021", "2019"),
                                           encoding="utf-8")
    calls = []
    for name in ("bulk_add_articles", "replace_article"):
        real = getattr(kgstore, name)
        monkeypatch.setattr(kgstore, name, lambda st, *a, _real=real, _name=name: calls.append(_name) or _real(st, *a))
    events = []
    report = build([seeds_copy], store, on_event=events.append)
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 4)
    assert calls == ["replace_article", "bulk_add_articles"]
    assert [e.status for e in events if e.status in {"added", "replaced"}] == ["replaced", "added"]
    assert pipeline._BulkBatches(kgstore.open_store(None), 10**9).batch == kgstore.BULK_ATOMIC_MAX


def test_pipeline_bulk_batch_over_the_atomic_limit_is_refused(tmp_path):
    """A bulk batch is written whole or not at all only under Oxigraph's loader step, so bigger ones are refused."""
    from pyoxigraph import Literal, NamedNode, Quad

    st = kgstore.open_store(None)
    a = ID_NS + "article/big"
    g = NamedNode(GRAPH_NS + "article/big")
    quads = [Quad(NamedNode(a), NamedNode(EDU.value), Literal(str(i)), g) for i in range(kgstore.BULK_ATOMIC_MAX + 1)]
    with pytest.raises(ValueError, match="at most"):
        kgstore.bulk_add_articles(st, [(a, quads)])
    assert len(st) == 0


def test_pipeline_incomplete_graph_from_killed_bulk_build_is_redone(seeds_copy, seed_store_path, tmp_path):
    """What a killed bulk load leaves (an article graph without its content hash) is removed and rebuilt."""
    from pyoxigraph import NamedNode

    store = tmp_path / "store"
    build([seeds_copy], store)
    st = kgstore.open_store(store)
    victim = next(g for g in st.named_graphs() if "/graph/article/" in g.value)
    st.remove(next(iter(st.quads_for_pattern(None, NamedNode(EDU.contentHash), None, victim))))
    del st
    events = []
    report = build([seeds_copy], store, on_event=events.append)
    assert (report.added, report.unchanged) == (1, 4)
    assert any(e.status == "note" and e.source == victim.value for e in events)
    assert _dump(store) == _dump(seed_store_path)


def test_pipeline_parallel_reading_waits_for_the_writer():
    """With --jobs, articles are read at most a bounded window ahead of the writer (flat memory)."""
    import time

    from kg import pipeline
    from kg.model import Article

    pulled = 0

    def articles():
        nonlocal pulled
        for i in range(60):
            pulled += 1
            text = f"The Yuelu District Education Bureau met {i}."
            yield Article(f"a{i}", f"a{i}.txt", "en", "T", None, text, f"h{i}")

    window = pipeline.IN_FLIGHT_PER_JOB * 2
    ahead = []
    for done, mapped in enumerate(pipeline._mapped(articles(), 2), start=1):
        assert mapped.quads and mapped.article.id == f"a{done - 1}"  # in input order
        ahead.append(pulled - done)
        time.sleep(0.02)  # a slow writer
    assert max(ahead) <= window
    assert pulled == 60


def test_pipeline_writes_in_turn_and_in_the_writer_thread_give_the_same_dataset(seeds_copy, seed_store_path, tmp_path):
    """The writer thread (default) and writing in turn (`KG_WRITE_THREAD=0`) store the same data, in input order."""
    (seeds_copy / "broken.txt").write_bytes(bytes(range(256)) * 10)
    for overlap in (False, True):
        events = []
        report = build([seeds_copy], tmp_path / f"o{overlap}", overlap=overlap, on_event=events.append)
        assert (report.added, len(report.skipped)) == (5, 1)
        assert _dump(tmp_path / f"o{overlap}") == _dump(seed_store_path)
        written = [e.source.rsplit("/", 1)[-1] for e in events if e.status == "added"]
        assert written == sorted(written)


def test_pipeline_writer_thread_reports_a_failed_write_and_goes_on(tmp_path):
    """An article Oxigraph refuses is reported with the parser's message; the articles after it are stored."""
    from kg import pipeline
    from kg.model import Article
    from kg.vocab import article_iri

    store = kgstore.open_store(tmp_path / "store")

    def mapped(i: int, body: bytes | None = None) -> pipeline.Mapped:
        art = Article(f"w{i}", f"w{i}.txt", "en", "T", None, "", f"h{i}")
        graph = f"{GRAPH_NS}article/w{i}"
        good = f'<{article_iri(art.id)}> <{EDU.contentHash}> "h{i}" <{graph}> .\n'.encode()
        return pipeline.Mapped(art, body if body is not None else good, 1)

    writer = pipeline._Writer(store, None, background=True)
    done = []
    for i in range(40):
        bad = f'<{article_iri(f"w{i}")}> <{EDU.contentHash}> "unterminated <{GRAPH_NS}article/w{i}> .\n'.encode()
        done += writer.put(mapped(i, bad if i == 7 else None))
    done += writer.close()
    assert [m.article.id for m, _ in done] == [f"w{i}" for i in range(40)]
    errors = {m.article.id: e for m, e in done if e}
    assert list(errors) == ["w7"] and errors["w7"].startswith("could not store:")
    assert sorted(kgstore.article_graphs(store)) == sorted(article_iri(f"w{i}") for i in range(40) if i != 7)
    assert not writer.thread.is_alive()


def test_pipeline_idle_writer_loads_early(seeds_copy, tmp_path, monkeypatch):
    """In one process, the writer thread loads its pending articles once they reach EARLY_BATCH quads if
    nothing else is queued (so the load left after the extraction ends is small); writing in turn, and the
    writer of worker processes, fill whole batches."""
    from kg import pipeline

    sizes = []
    real = kgstore.bulk_add_articles
    monkeypatch.setattr(kgstore, "bulk_add_articles", lambda st, items: sizes.append(len(items)) or real(st, items))
    monkeypatch.setattr(pipeline, "EARLY_BATCH", 1)
    build([seeds_copy], tmp_path / "thread", bulk_batch=10**6)
    assert sum(sizes) == 5 and len(sizes) >= 2, sizes  # extraction is far slower than handing over
    sizes.clear()
    build([seeds_copy], tmp_path / "turn", bulk_batch=10**6, overlap=False)
    assert sizes == [5]
    sizes.clear()
    build([seeds_copy], tmp_path / "jobs", bulk_batch=10**6, jobs=2)  # every core busy: full batches only
    assert sizes == [5]
    assert _dump(tmp_path / "thread") == _dump(tmp_path / "turn") == _dump(tmp_path / "jobs")


def test_pipeline_compacts_after_large_bulk_loads_only(seeds_copy, tmp_path, monkeypatch):
    """A build whose bulk loads are a large share of the store compacts it (queries then read fewer
    files); a small incremental one does not, until unmerged files pile up."""
    store, extra = tmp_path / "store", tmp_path / "extra"
    extra.mkdir()
    first = sorted(seeds_copy.glob("*.txt"))[0]
    text = first.read_text(encoding="utf-8")
    first.unlink()
    notes = []

    def note(e):
        if e.status == "note":
            notes.append(e.detail)

    build([seeds_copy], store, on_event=note)
    assert any(n.startswith("compacted in ") for n in notes), notes
    monkeypatch.setattr(kgstore, "COMPACT_LOADED_SHARE", 0.5)  # one article in five is a small build
    notes.clear()
    (extra / "one.txt").write_text(text, encoding="utf-8")
    report = build([seeds_copy, extra], store, on_event=note)
    assert (report.added, report.unchanged) == (1, 4)
    assert not any("compact" in n for n in notes), notes
    monkeypatch.setattr(kgstore, "COMPACT_SMALL_FILES", 0)  # unmerged files piled up
    (extra / "two.txt").write_text(text, encoding="utf-8")
    notes.clear()
    report = build([seeds_copy, extra], store, on_event=note)
    assert report.added == 1
    assert any(n.startswith("compacted in ") for n in notes), notes
