"""Hardening 4: crashes.

- ``kg build`` killed with SIGKILL at random moments, many times: after each kill the store
  opens and every article graph in it equals the reference build's graph or is absent; a
  re-run finishes the job and the final dump equals the reference dump.
- A server worker killed (SIGKILL) mid-request is replaced and the server keeps answering.
- ``kg backup`` / ``kg restore`` copy a consistent store while ``kg serve`` serves (and writes) it.

``KG_SOAK=1`` multiplies the number of kills by ten. ``KG_HARDENING_SEED`` fixes the random kill
times (the seed in use is printed).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardening_util import SEEDS, Zygote, graph_quads, run_kg, soak_factor, start_server  # noqa: E402

KILLS = 20 * soak_factor()
WORKER_KILLS = 3 * soak_factor()
TOKEN = "crash-test-token"
BATCH = 50
ONTOLOGY_END = b" <https://w3id.org/edukg/graph/ontology> .\n"


def _store_state(path: Path) -> dict[str, frozenset[str]]:
    """graph IRI -> its quads, for every named graph of the store (opened read-write, as a build would)."""
    from kg.store import open_store

    st = open_store(path)
    try:
        return {g.value: graph_quads(st, g.value) for g in st.named_graphs()}
    finally:
        del st


def _dump(path: Path) -> bytes:
    import io

    from kg.store import dump, open_store

    st = open_store(path)
    out = io.BytesIO()
    dump(st, out)
    del st
    # the ontology graph follows ontology/edukg.ttl, which may be edited while the tests run
    return b"".join(line for line in out.getvalue().splitlines(keepends=True) if not line.endswith(ONTOLOGY_END))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two copies of every seed under distinct names (ten articles)."""
    folder = tmp_path_factory.mktemp("crash-corpus")
    for seed in sorted(SEEDS.glob("*.txt")):
        for prefix in ("a", "b"):
            shutil.copy(seed, folder / f"{prefix}_{seed.name}")
    return folder


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


@pytest.fixture(scope="module")
def reference(corpus, zygote, tmp_path_factory):
    """(store, graphs, sorted N-Quads dump, seconds) of an uninterrupted build of the corpus."""
    root = tmp_path_factory.mktemp("crash-reference")
    store = root / "store"
    started = time.monotonic()
    pid = zygote.start(["build", "--quiet", "--store", str(store), str(corpus)], root / "log")
    assert zygote.wait(pid) == 0, (root / "log").read_text()
    seconds = time.monotonic() - started
    return store, _store_state(store), _dump(store), seconds


def _diff(store: Path, ref: dict[str, frozenset[str]]) -> dict[str, tuple[int, int]]:
    """graph -> (quads stored, quads in the reference) for the graphs that differ."""
    state = _store_state(store)
    return {
        g: (len(state.get(g, ())), len(ref.get(g, ())))
        for g in set(state) | set(ref)
        if state.get(g) != ref.get(g) and not g.endswith("/graph/ontology")
    }


def _check_complete_or_absent(state: dict[str, frozenset[str]], ref: dict[str, frozenset[str]]) -> int:
    """Every article / ontology graph present equals the reference; returns how many articles are stored."""
    articles = 0
    for graph, quads in state.items():
        if graph.endswith("/graph/analysis"):
            continue  # derived data, rebuilt by the next build
        if graph.endswith("/graph/ontology"):  # follows the (editable) ontology file: whole, with its marker
            marker = f"<{graph}> <https://w3id.org/edukg/ontology#contentHash> "
            assert sum(q.startswith(marker) for q in quads) == 1 and len(quads) > 100, graph
            continue
        assert graph in ref, f"unexpected graph {graph}"
        assert quads == ref[graph], f"graph {graph} is half written ({len(quads)} of {len(ref[graph])} quads)"
        articles += "/graph/article/" in graph
    return articles


#: ``kg build`` write modes under the kill loop: bulk batches (the default; small ones here, so a
#: kill can land between batches of the ten articles) and one transaction per article.
WRITE_MODES = {"bulk-batches": ([], {"KG_BULK_BATCH": "1500"}), "transactions": (["--transactions"], {})}


@pytest.mark.parametrize("mode", sorted(WRITE_MODES))
def test_hardening_crash_build_killed_at_random_moments(corpus, zygote, reference, tmp_path, mode):
    ref_store, ref_graphs, ref_dump, ref_seconds = reference
    extra, env = WRITE_MODES[mode]
    seed = int(os.environ.get("KG_HARDENING_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    total_articles = sum("/graph/article/" in g for g in ref_graphs)
    store = tmp_path / "store"
    kills = completions = 0
    partial_states = set()
    stored = 0
    stalled = 0  # kills in a row that found the store as the kill before (nothing written in between)
    while kills < KILLS:
        log = tmp_path / "build.log"
        # aim inside the work left: the missing articles plus the analysis; once every article is
        # stored only the analysis is left, and the window lets some runs finish (then start over).
        # A run's start-up and its last batch do not shrink with the work left: while kills keep
        # landing before anything new is written, the window grows, so the loop always moves on
        left = (total_articles - stored + 1) / (total_articles + 1) if stored < total_articles else 1.0
        window = (0.3 + ref_seconds * left) * 1.3**stalled
        pid = zygote.start(["build", "--quiet", *extra, "--store", str(store), str(corpus)], log, env)
        time.sleep(rnd.uniform(0.02, window))
        os.kill(pid, signal.SIGKILL)  # the child is not reaped yet, so the pid is still ours
        status = zygote.wait(pid)
        if status == -signal.SIGKILL:
            kills += 1
            before, stored = stored, _check_complete_or_absent(_store_state(store), ref_graphs)
            stalled = stalled + 1 if stored == before else 0
            partial_states.add(stored)
            continue
        assert status == 0, log.read_text()[-3000:]
        completions += 1
        stalled = 0
        assert _dump(store) == ref_dump, ("a completed build differs from the reference", _diff(store, ref_graphs))
        shutil.rmtree(store)
        stored = 0
    print(
        f"{mode}: build kills survived: {kills} (seed {seed}, full build {ref_seconds:.1f} s); "
        f"runs that completed first: {completions}; "
        f"articles stored after kills: {sorted(partial_states)} of {total_articles}"
    )
    final = zygote.start(["build", "--quiet", *extra, "--store", str(store), str(corpus)], tmp_path / "final.log", env)
    assert zygote.wait(final) == 0, (tmp_path / "final.log").read_text()[-3000:]
    assert _dump(store) == ref_dump, ("the re-run did not finish the job exactly", _diff(store, ref_graphs))
    assert len(partial_states) >= 2, "kills never landed while articles were being written"


def test_hardening_crash_cold_kg_build_killed(corpus, zygote, reference, tmp_path):
    """The installed ``kg`` script itself (cold start) killed mid-build, then re-run."""
    import subprocess

    from hardening_util import KG

    _, ref_graphs, ref_dump, _ = reference
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if k != "KG_STORE"}
    proc = subprocess.Popen(
        [str(KG), "build", "--store", str(store), str(corpus)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stderr:  # kill right after the second article was written
        if line.startswith("[2] "):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _check_complete_or_absent(_store_state(store), ref_graphs) >= 2
    again = zygote.start(["build", "--quiet", "--store", str(store), str(corpus)], tmp_path / "again.log")
    assert zygote.wait(again) == 0, (tmp_path / "again.log").read_text()[-2000:]
    assert _dump(store) == ref_dump


# --------------------------------------------------------------------------- kg serve


@pytest.fixture(scope="module")
def served(reference, tmp_path_factory):
    """A server (update token set) over a copy of the reference store."""
    store = tmp_path_factory.mktemp("crash-served") / "store"
    shutil.copytree(reference[0], store)
    server = start_server(store, workers=2, env={"KG_UPDATE_TOKEN": TOKEN, "KG_QUERY_TIMEOUT": "2"})
    yield server
    server.stop()


def _threads(server) -> dict[int, int]:
    import psutil

    out = {}
    for pid in server.workers():
        try:
            out[pid] = psutil.Process(pid).num_threads()
        except psutil.Error:
            continue
    return out


def _busy_worker(server, idle: dict[int, int], timeout: float = 10) -> int | None:
    """The worker currently running a query: it has a query thread (or a forked query child)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in server.workers():
            try:
                proc = psutil.Process(pid)
                if proc.children() or proc.num_threads() > idle.get(pid, 1 << 30):
                    return pid
            except psutil.Error:
                continue
        time.sleep(0.05)
    return None


def test_hardening_crash_worker_killed_mid_request_is_replaced(served):
    import psutil

    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    replaced = []
    for _ in range(WORKER_KILLS):
        before = served.workers()
        assert len(before) == 2
        outcome: dict = {}

        def request(outcome: dict = outcome) -> None:
            try:
                outcome["reply"] = served.get("/sparql?query=" + urllib.parse.quote(slow), timeout=30)
            except OSError as exc:
                outcome["error"] = exc

        idle = _threads(served)
        thread = threading.Thread(target=request)
        thread.start()
        victim = _busy_worker(served, idle)
        assert victim is not None, "no worker picked up the slow query"
        orphans = psutil.Process(victim).children()
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=30)
        assert "error" in outcome or outcome["reply"].status >= 500  # that request is lost, nothing else
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = served.workers()
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2 and victim not in now, (before, now)
        replaced.append(victim)
        for i in range(10):
            reply = served.get(
                "/sparql?query=" + urllib.parse.quote("ASK { ?s a edu:School }"),
                headers={"Accept": "application/sparql-results+json"},
            )
            assert reply.status == 200 and reply.json()["boolean"] is True, i
        assert served.get("/id/district/changsha-yuelu", headers={"Accept": "text/html"}).status == 200
        gone, alive = psutil.wait_procs(orphans, timeout=10)
        assert not alive, "the killed worker's query child outlived its time limit"
    print(f"worker kills survived: {len(replaced)}")


def _update(server, k: int) -> int:
    triples = " ".join(f"<urn:hardening:b{k}> <urn:hardening:n> {i} ." for i in range(BATCH))
    update = f"INSERT DATA {{ GRAPH <urn:hardening:batch:{k}> {{ {triples} }} }}"
    reply = server.get(
        "/sparql",
        method="POST",
        body=update.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
    )
    return reply.status


def _check_backup(path: Path, ref_graphs: dict[str, frozenset[str]]) -> int:
    """Article graphs equal the reference; every update batch is whole. Returns the batch count."""
    state = _store_state(path)
    batches = 0
    for graph, quads in state.items():
        if graph.startswith("urn:hardening:batch:"):
            assert len(quads) == BATCH, f"{graph}: {len(quads)} of {BATCH} triples"
            batches += 1
        elif graph in ref_graphs:
            assert quads == ref_graphs[graph], graph
    assert sum("/graph/article/" in g for g in state) == sum("/graph/article/" in g for g in ref_graphs)
    return batches


def test_hardening_crash_backup_and_restore_while_serving(served, reference, tmp_path):
    _, ref_graphs, _, _ = reference
    stop = threading.Event()
    statuses: list[int] = []

    def writer() -> None:
        k = 0
        while not stop.is_set():
            statuses.append(_update(served, k))
            k += 1

    readers_ok: list[bool] = []

    def reader() -> None:
        while not stop.is_set():
            reply = served.get("/healthz")
            readers_ok.append(reply.status == 200)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    backups = []
    try:
        for i in range(3):
            time.sleep(0.5)
            dest = tmp_path / f"backup-{i}"
            proc = run_kg("backup", dest, "--store", served.store)
            assert proc.returncode == 0, proc.stderr[-2000:]
            backups.append(dest)
        # restore the first backup over the live store while it is served and written
        proc = run_kg("restore", backups[0], "--store", served.store)
        assert proc.returncode == 0, proc.stderr[-2000:]
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert statuses and all(s == 204 for s in statuses), sorted(set(statuses))
    assert readers_ok and all(readers_ok)
    counts = [_check_backup(b, ref_graphs) for b in backups]
    print(f"backups while serving: {len(backups)}, update batches in them: {counts}, updates served: {len(statuses)}")
    assert counts == sorted(counts) and counts[-1] >= 1
    restored = _check_backup(served.store, ref_graphs)  # opens, whole batches, articles intact
    assert counts[0] <= restored < len(statuses) or counts[0] == len(statuses)
    assert _update(served, 10_000) == 204  # the server keeps writing into the restored store
    count = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s <urn:hardening:n> ?o } }"
    reply = served.get(
        "/sparql?query=" + urllib.parse.quote(count), headers={"Accept": "application/sparql-results+json"}
    )
    assert reply.status == 200
    assert int(reply.json()["results"]["bindings"][0]["n"]["value"]) == restored + 1
