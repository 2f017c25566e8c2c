"""Hardening 5: a bounded load test on loopback.

Several concurrent clients send a mix of named queries, entity pages (HTML and RDF), searches
and SPARQL for a fixed time. Every request must succeed; throughput and p50/p99 latency are
printed (no speed assertion); the resident memory of the server (gunicorn master and workers)
must stay flat: after a warm-up, the median of the last third of the samples is within 1.5× the
median of the first third. ``KG_SOAK=1`` runs ten times longer.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardening_util import REPO, shared_server, shared_store, soak_factor  # noqa: E402

SECONDS = 10.0 * soak_factor()
CLIENTS = 4
ID = "https://w3id.org/edukg/id/"
EDU = "https://w3id.org/edukg/ontology#"
Q = urllib.parse.quote


def _targets() -> list[tuple[str, dict[str, str]]]:
    """(request target, headers) for the mix: named queries, entity pages, search, SPARQL."""
    from kg.queries import load_queries
    from kg.store import open_store, rows

    st = open_store(shared_store(), read_only=True)
    entities = [r["e"] for r in rows(st, f"""SELECT DISTINCT ?e WHERE {{ ?a <{EDU}mentions> ?e }} ORDER BY ?e""")]
    groups = [e for e in entities if "/educationgroup/" in e]
    districts = [e for e in entities if "/district/" in e]
    del st
    html, js = {"Accept": "text/html"}, {"Accept": "application/json"}
    values = {
        "group": groups[0],
        "district": districts[0],
        "entity": districts[0],
        "measure": "schools",
        "s": districts[0],
        "p": EDU + "locatedIn",
        "o": districts[-1],
    }
    out = []
    for name, query in load_queries(REPO / "queries").items():
        args = "&".join(f"{p}={Q(values.get(p, ''))}" for p in query.params)
        target = f"/queries/{name}" + (f"?{args}" if args else "")
        out += [(target, html), (target, js)]
    for iri in entities[::3][:40]:
        out.append(("/id/" + Q(iri[len(ID) :], safe="/"), html))
        out.append(("/id/" + Q(iri[len(ID) :], safe="/") + "?format=turtle", {}))
    out += [("/search?q=" + Q(q), js) for q in ("Yuelu", "教育", "school", "集团")]
    sparql = "SELECT ?s ?l WHERE { ?s a edu:School ; rdfs:label ?l } LIMIT 50"
    out.append(("/sparql?query=" + Q(sparql), {"Accept": "application/sparql-results+json"}))
    out.append(("/healthz", {}))
    return out


@pytest.fixture(scope="module")
def server():
    return shared_server()


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def test_hardening_load_mixed_clients_zero_errors_flat_memory(server):
    targets = _targets()
    for target, headers in targets:  # warm-up: every page once (caches, search index, imports)
        reply = server.get(target, headers=headers)
        assert reply.status == 200, (target, reply.status, reply.text[:300])
    latencies: list[float] = []
    errors: list[str] = []
    rss: list[int] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(seed: int) -> None:
        rnd = random.Random(seed)
        while not stop.is_set():
            target, headers = rnd.choice(targets)
            try:
                reply = server.get(target, headers=headers, timeout=30)
                ok = reply.status == 200 and reply.body
                with lock:
                    latencies.append(reply.seconds)
                    if not ok:
                        errors.append(f"{target}: {reply.status} {reply.text[:200]}")
            except OSError as exc:
                with lock:
                    errors.append(f"{target}: {exc!r}")

    def sampler() -> None:
        while not stop.is_set():
            rss.append(server.rss())
            stop.wait(0.25)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    threads.append(threading.Thread(target=sampler))
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.monotonic() - started
    n = len(latencies)
    third = max(1, len(rss) // 3)
    first, last = statistics.median(rss[:third]), statistics.median(rss[-third:])
    print(
        f"load: {CLIENTS} clients, {elapsed:.1f} s, {n} requests ({n / elapsed:.1f}/s), "
        f"p50 {_percentile(latencies, 50) * 1000:.0f} ms, p99 {_percentile(latencies, 99) * 1000:.0f} ms, "
        f"errors {len(errors)}; server RSS first third {first / 1e6:.0f} MB, last third {last / 1e6:.0f} MB "
        f"({len(rss)} samples)"
    )
    assert not errors, errors[:5]
    assert n >= 20
    assert len(rss) >= 9
    assert last <= 1.5 * first, f"server memory grew from {first / 1e6:.0f} MB to {last / 1e6:.0f} MB"
