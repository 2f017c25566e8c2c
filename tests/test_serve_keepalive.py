"""``kg serve`` (granian) under keep-alive load while queries run past the time limit.

Real servers on loopback, real keep-alive ``http.client`` connections in threads. A runaway
query makes its worker retire (graceful stop, then a fresh worker); a burst of them used to
leave workers stuck "stopping" for good: granian's worker signal handler blocks, holding the
GIL, from the third stop signal on (each runaway query signals its worker once).
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hardening_util import start_server
from test_web_app import make_store

CHEAP = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?s ?l LIMIT 3"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
JSON = {"Accept": "application/sparql-results+json"}
TIMEOUT = 1.0  # KG_QUERY_TIMEOUT of these servers
CLIENT_TIMEOUT = 8.0  # a request waiting longer than this counts as lost


def _url(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


@dataclass
class Client:
    """One keep-alive client repeating a cheap query; on a connection error it retries once
    on a new connection (as HTTP clients do with a connection the server closed)."""

    port: int
    oks: list[float] = field(default_factory=list)
    resets: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)

    def _once(self, conn: http.client.HTTPConnection) -> int:
        conn.request("GET", _url(CHEAP), headers=JSON)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 200 and b'"bindings"' not in body:
            return -1
        if (resp.getheader("Connection") or "").lower() == "close":
            conn.close()
        return resp.status

    def run(self) -> None:
        conn = self._connect()
        while not self.stop.is_set():
            try:
                status = self._once(conn)
            except (OSError, http.client.HTTPException) as exc:
                self.resets.append(repr(exc))
                conn.close()
                conn = self._connect()
                try:
                    status = self._once(conn)
                except (OSError, http.client.HTTPException) as again:
                    if self.stop.is_set():
                        break
                    self.failures.append(f"retry failed: {again!r}")
                    conn.close()
                    conn = self._connect()
                    continue
            if status == 200:
                self.oks.append(time.monotonic())
            else:
                self.failures.append(f"status {status}")
        conn.close()


def _start_clients(port: int, n: int) -> tuple[list[Client], list[threading.Thread]]:
    clients = [Client(port) for _ in range(n)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    for t in threads:
        t.start()
    return clients, threads


def _runaway(server) -> tuple[int, bytes]:
    reply = server.get(_url(RUNAWAY), headers=JSON, timeout=60)
    return reply.status, reply.body


def _wait_workers(server, count: int, unlike: set[int], timeout: float) -> list[int]:
    """Wait until the server has ``count`` workers, at least one not in ``unlike``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = server.workers()
        if len(now) == count and set(now) - unlike:
            return now
        time.sleep(0.1)
    return server.workers()


@pytest.fixture()
def granian(tmp_path):
    env = {"KG_SERVER": "granian", "KG_QUERY_TIMEOUT": str(TIMEOUT)}
    server = start_server(Path(make_store(tmp_path / "store")), workers=2, env=env)
    yield server
    server.stop()


def test_serve_runaway_burst_under_keep_alive_load_keeps_serving(granian):
    """8 runaway queries at once (at least one worker gets several) while 4 keep-alive clients
    hammer a cheap query: every cheap request succeeds (at most one retry on a new connection),
    retired workers are replaced, and SIGTERM then stops the server cleanly."""
    server = granian
    before = set(server.workers())
    clients, threads = _start_clients(server.port, 4)
    time.sleep(1.0)

    burst: list[tuple[int, bytes]] = []
    runners = [threading.Thread(target=lambda: burst.append(_runaway(server))) for _ in range(8)]
    for t in runners:
        t.start()
    for t in runners:
        t.join(timeout=90)
    assert len(burst) == 8 and all(s == 503 and b"time limit" in b for s, b in burst), burst

    observed = time.monotonic()
    time.sleep(8.0)  # the retired workers stop and are replaced meanwhile
    now = _wait_workers(server, 2, before, timeout=15)
    assert len(now) == 2 and set(now) != before, (before, now, server.tail())
    recent = time.monotonic() - 2.0
    for c in clients:
        assert not c.failures, (c.failures[:5], server.tail())
        assert any(t > observed + 4 for t in c.oks), "a client made no progress after the burst"
        assert any(t > recent for t in c.oks), "a client stalled at the end"
        assert len(c.resets) <= 4, c.resets  # one per retirement of the worker it was on, at most
    log = server.tail(100_000)
    assert server.proc.poll() is None and "crash loop" not in log.lower(), log

    # SIGTERM while the keep-alive clients are still sending: a clean stop within the grace
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(timeout=TIMEOUT + 5 + 10)
    elapsed = time.monotonic() - started
    for c in clients:
        c.stop.set()
    for t in threads:
        t.join(timeout=CLIENT_TIMEOUT * 2 + 5)
    assert code == 0, server.tail()
    assert elapsed < TIMEOUT + 5 + 5, elapsed
    assert not [pid for pid in now if _alive(pid)], now


def _fresh_connections(port: int, stop: threading.Event, tally: dict[str, list[str]]) -> None:
    """Send a cheap query on a new connection each time, with no retry (as curl does). The
    request follows the connection after 30 ms, as over a slow link (or from a loaded client)."""
    while not stop.is_set():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
        try:
            conn.connect()
            time.sleep(0.03)
            conn.request("GET", _url(CHEAP), headers=JSON)
            resp = conn.getresponse()
            resp.read()
            tally["ok" if resp.status == 200 else "status"].append(str(resp.status))
        except (OSError, http.client.HTTPException) as exc:
            tally["dropped"].append(repr(exc))
        finally:
            conn.close()


def test_serve_retiring_worker_drops_no_new_connection(granian):
    """Runaway queries retire one worker after another while 4 clients open a new connection
    for every cheap request: every request is answered, none is dropped. (granian's graceful
    stop closes, unanswered, every connection whose request it has not read yet: a connection
    the worker had just accepted was dropped; now a retiring worker first stops taking
    connections, see ``kg.serve.stop_accepting``.) Retired workers stop on their own."""
    server = granian
    before = set(server.workers())
    stop = threading.Event()
    tally: dict[str, list[str]] = {"ok": [], "status": [], "dropped": []}
    threads = [threading.Thread(target=_fresh_connections, args=(server.port, stop, tally)) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(8):
            status, body = _runaway(server)
            assert status == 503 and b"time limit" in body, (status, body[:200])
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=CLIENT_TIMEOUT + 5)
    assert not tally["dropped"], (len(tally["dropped"]), tally["dropped"][:3], server.tail())
    assert not tally["status"], tally["status"][:5]
    assert len(tally["ok"]) > 50
    now = _wait_workers(server, 2, before, timeout=15)
    assert len(now) == 2 and set(now) != before, ("retired workers were not replaced", before, now)
    log = server.tail(100_000)
    assert log.count("ran past the time limit") >= 8, log
    assert "still stopping" not in log, log  # every retirement ended by itself, none was killed


def test_serve_worker_stops_after_repeated_stop_signals(tmp_path):
    """Five SIGTERMs in a row to a worker with a query in flight (what a burst of runaway
    queries sends it): it finishes its graceful stop well within the grace and is replaced;
    keep-alive clients waiting meanwhile are served by the new worker."""
    env = {"KG_SERVER": "granian", "KG_QUERY_TIMEOUT": str(TIMEOUT)}
    server = start_server(Path(make_store(tmp_path / "store")), workers=1, env=env)
    try:
        victim = server.workers()[0]
        clients, threads = _start_clients(server.port, 2)
        runaway = threading.Thread(target=lambda: _swallow(_runaway, server), daemon=True)
        runaway.start()
        time.sleep(0.3)  # the query runs: the graceful stop waits for its answer
        started = time.monotonic()
        for _ in range(5):
            try:
                os.kill(victim, signal.SIGTERM)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        while _alive(victim) and time.monotonic() - started < TIMEOUT + 5 + 10:
            time.sleep(0.05)
        stopped = time.monotonic() - started
        now = _wait_workers(server, 1, {victim}, timeout=20)
        time.sleep(1.0)
        for c in clients:
            c.stop.set()
        for t in threads:
            t.join(timeout=CLIENT_TIMEOUT * 2 + 5)
        assert stopped < TIMEOUT + 3, f"the worker took {stopped:.1f} s to stop (hung, then killed?)"
        assert now and victim not in now, now
        for c in clients:
            assert not c.failures and c.oks, (c.failures[:5], len(c.oks))
        assert "crash loop" not in server.tail(50_000).lower()
    finally:
        server.stop()


def test_serve_stuck_worker_is_killed_after_the_grace(tmp_path):
    """A worker that began to stop but cannot finish (here: frozen with SIGSTOP while a runaway
    query holds its graceful stop open) is killed by the master after ``KG_QUERY_TIMEOUT`` + 5 s
    and replaced."""
    env = {"KG_SERVER": "granian", "KG_QUERY_TIMEOUT": str(TIMEOUT)}
    server = start_server(Path(make_store(tmp_path / "store")), workers=1, env=env)
    try:
        victim = server.workers()[0]
        runaway = threading.Thread(target=lambda: _swallow(_runaway, server), daemon=True)
        runaway.start()
        time.sleep(0.3)  # the query runs: the graceful stop will wait for its answer
        os.kill(victim, signal.SIGTERM)
        deadline = time.monotonic() + 2
        while not _retiring_marks(victim) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(victim, signal.SIGSTOP)
        assert _retiring_marks(victim), "no retiring mark"
        started = time.monotonic()
        while _alive(victim) and time.monotonic() - started < TIMEOUT + 5 + 10:
            time.sleep(0.1)
        waited = time.monotonic() - started
        assert not _alive(victim), "the master did not kill the stuck worker"
        assert waited > TIMEOUT + 2, waited  # killed by the watchdog, not by its own stop
        now = _wait_workers(server, 1, {victim}, timeout=20)
        assert now and victim not in now, now
        assert server.get(_url(CHEAP), headers=JSON).status == 200
        assert "still stopping" in server.tail(20_000)
    finally:
        server.stop()


def test_serve_workers_end_with_a_killed_master(tmp_path):
    """``kill -9`` of the master (as the OOM killer does) ends its workers too, and the port is
    free for a new server."""
    import socket

    env = {"KG_SERVER": "granian", "KG_QUERY_TIMEOUT": str(TIMEOUT)}
    server = start_server(Path(make_store(tmp_path / "store")), workers=2, env=env)
    workers = server.workers()
    assert len(workers) == 2
    runaway = threading.Thread(target=lambda: _swallow(_runaway, server), daemon=True)
    runaway.start()  # a worker busy with a query when the master dies
    time.sleep(0.3)
    server.proc.kill()
    server.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = [pid for pid in workers if _alive(pid)]
    for pid in orphans:  # leave nothing running should the test fail
        os.kill(pid, signal.SIGKILL)
    assert not orphans, "workers outlived their master"
    runaway.join(timeout=30)  # its connection, closed by the dying worker, is closed here too
    listening = None
    for _ in range(50):  # a port held only by closing connections frees within moments
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", server.port))
                s.listen()
                listening = True
                break
            except OSError as exc:
                listening = exc
        time.sleep(0.1)
    assert listening is True, listening


def _swallow(fn, *args) -> None:
    try:
        fn(*args)
    except OSError:
        pass


def _retiring_marks(pid: int) -> list[Path]:
    """The ``<state>/retiring/<pid>`` marks of worker ``pid`` (the state folder is made by
    ``kg serve`` under the temporary folder, ``kg-serve-*/state``)."""
    import tempfile

    return list(Path(tempfile.gettempdir()).glob(f"kg-serve-*/state/retiring/{pid}"))


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
