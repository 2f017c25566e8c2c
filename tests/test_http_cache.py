"""The lean path in front of Flask (``kg.web.fastpath``): recorded answers, ETag / 304, protections.

In process through Flask's test client (the middleware is part of every app), then against a
real ``kg serve`` (granian) over keep-alive ``http.client`` connections.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from pathlib import Path

import pytest
from test_web_app import make_store

from kg.config import Settings
from kg.web import create_app
from kg.web.fastpath import FastPath

Q = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?s ?l"
JSON = {"Accept": "application/sparql-results+json"}
CSV = {"Accept": "text/csv"}
TOKEN = "cache-token"


def _fast(app) -> FastPath:
    return app.wsgi_app


def _url(query: str = Q, **params: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params})


@pytest.fixture()
def app(tmp_path):
    return create_app(Settings(store=make_store(tmp_path / "store"), max_rows=3, update_token=TOKEN))


def _headers(resp) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.headers.items()}


def test_http_cache_hit_is_byte_identical_to_the_miss(app):
    client = app.test_client()
    miss = client.get(_url(), headers=JSON)
    assert miss.status_code == 200 and len(_fast(app)._entries) == 1
    hit = client.get(_url(), headers=JSON)
    assert hit.status_code == 200 and len(_fast(app)._entries) == 1
    assert hit.data == miss.data and _headers(hit) == _headers(miss)
    # the row limit and its header hold on the replay
    assert hit.headers["X-KG-Truncated"] == "results cut at 3 rows"
    assert len(hit.json["results"]["bindings"]) == 3
    assert hit.headers["Access-Control-Allow-Origin"] == "*" and "Accept" in hit.headers["Vary"]


def test_http_cache_same_bytes_as_flask_without_the_cache(tmp_path):
    store = make_store(tmp_path / "store")
    cached = create_app(Settings(store=store, max_rows=3)).test_client()
    plain = create_app(Settings(store=store, max_rows=3, response_cache_bytes=0)).test_client()
    for headers in (JSON, CSV, {"Accept": "application/sparql-results+xml"}):
        first, second, ref = (c.get(_url(), headers=headers) for c in (cached, cached, plain))
        assert first.data == second.data == ref.data
        assert first.headers["Content-Type"] == second.headers["Content-Type"] == ref.headers["Content-Type"]


def test_http_cache_respects_accept_and_format(app):
    client = app.test_client()
    as_json = client.get(_url(), headers=JSON)
    as_csv = client.get(_url(), headers=CSV)
    assert as_json.headers["Content-Type"].startswith("application/sparql-results+json")
    assert as_csv.headers["Content-Type"].startswith("text/csv") and as_csv.data.startswith(b"s,l")
    assert as_json.headers["ETag"] != as_csv.headers["ETag"]
    again = client.get(_url(), headers=CSV)
    assert again.data == as_csv.data and again.headers["Content-Type"] == as_csv.headers["Content-Type"]
    tsv = client.get(_url(format="tsv"), headers=JSON)
    assert tsv.headers["Content-Type"].startswith("text/tab-separated-values")
    assert client.get(_url(), headers={"Accept": "foo/bar"}).status_code == 406


def test_http_cache_etag_and_304(app):
    client = app.test_client()
    first = client.get(_url(), headers=JSON)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and first.headers["Cache-Control"] == "no-cache"
    for condition in (etag, f'"other", W/{etag}', "*"):
        resp = client.get(_url(), headers={**JSON, "If-None-Match": condition})
        assert resp.status_code == 304 and resp.data == b""
        assert resp.headers["ETag"] == etag and "Content-Type" not in resp.headers
        assert resp.headers["Vary"] == first.headers["Vary"]
    changed = client.get(_url(), headers={**JSON, "If-None-Match": '"stale"'})
    assert changed.status_code == 200 and changed.data == first.data
    # a 304 also answers a conditional request the worker has not cached yet (cache off)
    cfg = app.extensions["kg"]["settings"]
    plain = create_app(Settings(store=cfg.store, max_rows=cfg.max_rows, response_cache_bytes=0))
    assert plain.test_client().get(_url(), headers={**JSON, "If-None-Match": etag}).status_code == 304


def test_http_cache_post_is_served_but_carries_no_etag(app):
    client = app.test_client()
    form = client.post("/sparql", data={"query": Q}, headers=JSON)
    body = client.post("/sparql", data=Q.encode(), headers={**JSON, "Content-Type": "application/sparql-query"})
    again = client.post("/sparql", data={"query": Q}, headers=JSON)
    assert form.status_code == body.status_code == again.status_code == 200
    assert form.data == body.data == again.data and "ETag" not in again.headers
    assert len(_fast(app)._entries) == 2  # the form and the raw body are two requests


def test_http_cache_protections_still_apply_to_cached_queries(app):
    client = app.test_client()
    assert client.get(_url(), headers=JSON).status_code == 200
    padded = client.get(_url(), headers={**JSON, "X-Padding": "y" * 9000})
    assert padded.status_code == 431 and padded.json["ok"] is False
    long_target = client.get(_url(Q + " #" + "x" * 9000), headers=JSON)
    assert long_target.status_code == 414
    limited = create_app(Settings(store=str(app.extensions["kg"]["settings"].store), max_request_bytes=500))
    c = limited.test_client()
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 600
    for _ in range(2):
        assert c.post("/sparql", data=big.encode(), content_type="application/sparql-query").status_code == 413
        assert c.get(_url(big)).status_code == 413
    # refusals are never recorded
    assert client.get(_url("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")).status_code == 403
    assert client.get(_url("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")).status_code == 403


def test_http_cache_update_empties_the_cache(app):
    client = app.test_client()
    query = 'SELECT ?l WHERE { <urn:cache:x> rdfs:label ?l }'
    before = client.get(_url(query), headers=JSON)
    assert before.json["results"]["bindings"] == []
    update = 'INSERT DATA { GRAPH <urn:cache:g> { <urn:cache:x> rdfs:label "fresh" } }'
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/sparql", data={"update": update}, headers=auth).status_code == 204
    after = client.get(_url(query), headers={**JSON, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json["results"]["bindings"][0]["l"]["value"] == "fresh"
    assert after.headers["ETag"] != before.headers["ETag"]


def test_http_cache_counts_every_request_once(app):
    client = app.test_client()
    for _ in range(3):
        client.get(_url(), headers=JSON)
    etag = client.get(_url(), headers=JSON).headers["ETag"]
    client.get(_url(), headers={**JSON, "If-None-Match": etag})
    text = client.get("/metrics").data.decode()

    def count(status: str) -> float:
        m = re.search(rf'kg_http_requests_total{{endpoint="/sparql",method="GET",status="{status}"}} ([\d.]+)', text)
        return float(m.group(1)) if m else 0.0

    # the metrics registry is per process: other tests' requests are in it too, so compare deltas
    before_200, before_304 = count("200"), count("304")
    client.get(_url(), headers=JSON)
    client.get(_url(), headers={**JSON, "If-None-Match": etag})
    text = client.get("/metrics").data.decode()
    assert count("200") == before_200 + 1 and count("304") == before_304 + 1


# --------------------------------------------------------------------------- a real kg serve


@pytest.fixture(scope="module", params=["gunicorn", "granian"])
def served(tmp_path_factory, request):
    from hardening_util import start_server

    store = Path(make_store(tmp_path_factory.mktemp("cache-served") / "store"))
    server = start_server(store, workers=2, env={"KG_ACCESS_LOG": "1", "KG_MAX_ROWS": "3", "KG_SERVER": request.param})
    server.kind = request.param
    yield server
    server.stop()


def test_http_cache_real_server_keep_alive_etag_304(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        bodies, socks = [], set()
        for _ in range(5):
            conn.request("GET", _url(), headers=JSON)
            socks.add(conn.sock.getsockname()[1])  # a new connection would have a new local port
            resp = conn.getresponse()
            bodies.append((resp.status, resp.read(), resp.getheader("ETag"), resp.getheader("X-KG-Truncated")))
        keep_alive = served.kind == "granian"  # gunicorn sync workers close them
        assert (len(socks) == 1) == keep_alive, socks
        assert len(set(bodies)) == 1 and bodies[0][0] == 200 and bodies[0][2] and bodies[0][3]
        conn.request("GET", _url(), headers={**JSON, "If-None-Match": bodies[0][2]})
        resp = conn.getresponse()
        assert resp.status == 304 and resp.read() == b"" and resp.getheader("ETag") == bodies[0][2]
        conn.request("GET", _url(), headers=CSV)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/csv")
        resp.read()
    finally:
        conn.close()


def test_http_cache_real_server_access_log_and_limits(served):
    reply = served.get(_url(), headers={**JSON, "X-Padding": "y" * 9000})
    assert reply.status == 431
    assert served.get(_url(), headers=JSON).status == 200
    assert "GET /sparql" in served.tail(20_000)


# --------------------------------------------------------------------------- the worker model

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_serve_runaway_queries_retire_the_only_worker_and_requests_wait(tmp_path):
    """One worker: each runaway query ends it; the next requests wait for its replacement
    (one listening socket held by the master) instead of being refused, however often."""
    from hardening_util import start_server

    server = start_server(Path(make_store(tmp_path / "store")), workers=1, env={"KG_QUERY_TIMEOUT": "1"})
    try:
        for _ in range(3):
            before = server.workers()
            reply = server.get(_url(RUNAWAY), headers=JSON, timeout=60)
            assert reply.status == 503 and b"time limit" in reply.body
            ok = server.get(_url("ASK { ?s ?p ?o }"), headers=JSON, timeout=60)
            assert ok.status == 200 and ok.json()["boolean"] is True
            deadline = time.monotonic() + 15  # a graceful stop, well before the 30 s hard guard
            while server.workers() in ([], before) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.proc.poll() is None, server.tail()
            assert len(server.workers()) == 1 and server.workers() != before, (before, server.workers())
        assert "crash loop" not in server.tail(50_000).lower()
    finally:
        server.stop()


def test_serve_sigterm_stops_master_and_workers(tmp_path):
    import psutil
    from hardening_util import start_server

    server = start_server(Path(make_store(tmp_path / "store")), workers=2, env={"KG_SERVER": "granian"})
    workers = [psutil.Process(pid) for pid in server.workers()]
    assert len(workers) == 2
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", _url(), headers=JSON)
    assert conn.getresponse().read()  # a keep-alive connection is open while the server stops
    server.proc.terminate()
    assert server.proc.wait(timeout=30) == 0, server.tail()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    conn.close()
