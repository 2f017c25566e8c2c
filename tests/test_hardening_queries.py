"""Hardening 3: hostile queries against a real ``kg serve``.

A property-based fuzz run over ``/sparql``, ``/queries/*``, ``/id/*`` and ``/export/*`` finds no
server error; malformed percent-encoding, huge requests, unknown formats and methods get 4xx; a
cartesian-product query is stopped at the time limit while another client's queries keep
succeeding; ``SERVICE`` is refused (and no connection is made); updates without the token are
refused and change nothing.
"""

from __future__ import annotations

import hashlib
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardening_util import REPO, SHARED_TIMEOUT, free_port, shared_server, shared_store, soak_factor  # noqa: E402

ID = "https://w3id.org/edukg/id/"
Q = urllib.parse.quote
FUZZ_EXAMPLES = 200 * soak_factor()
NAMED = sorted(p.stem for p in (REPO / "queries").glob("*.rq"))
SLOW_EXPORTS = {"png", "svg", "graphml", "d3"}  # render the whole graph: checked once, not fuzzed
CHEAP_EXPORTS = ["csv", "csv-nodes", "csv-edges", "cytoscape", "gexf", "dot"]
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SIMPLE = "SELECT ?g WHERE { ?g a edu:EducationGroup } LIMIT 3"

VALID_QUERIES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 5",
    "ASK { ?s a edu:School }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s a edu:District ; ?p ?o } LIMIT 20",
    f"DESCRIBE <{ID}district/changsha-yuelu>",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    'SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER(CONTAINS(?l, "<script>")) }',
    "SELECT ?s WHERE { GRAPH ?g { ?s a edu:Article } } ORDER BY ?s LIMIT 3",
]
TOKENS = [
    "SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", "FILTER", "(", ")", "REGEX", '"x"', "<http://x/>",
    ".", ";", ",", "LIMIT", "10", "OPTIONAL", "UNION", "GRAPH", "BIND", "AS", "COUNT", "GROUP BY", "VALUES",
    "ORDER BY", "LOAD", "INSERT", "DATA", "DELETE", "a", "edu:School", "rdfs:label", "PREFIX", "x:", "#",
    "\n", "'''", "\\u0053ERVICE", "FROM", "NAMED", "DISTINCT", "REDUCED", "OFFSET", "-1", "1e999", "STR",
]  # fmt: skip
MEDIA = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
    "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "text/html",
    "application/json", "application/xml", "*/*", "", "text/*;q=0.5, */*;q=0.1", "foo/bar", "a/b;q=abc",
    "application/sparql-results+json;q=0", "text/html;q=0.1, application/ld+json;q=0.9", ";;;,,,", "*/*;q=nan",
]  # fmt: skip
PRINTABLE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
ANY_TEXT = st.text(max_size=120)


def _query_text():
    soup = st.lists(st.one_of(st.sampled_from(TOKENS), ANY_TEXT), max_size=25).map(" ".join)
    mutated = st.tuples(st.sampled_from(VALID_QUERIES), st.integers(0, 200), ANY_TEXT).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    )
    return st.one_of(st.sampled_from(VALID_QUERIES), soup, mutated, ANY_TEXT)


def _raw_junk():
    """Printable target text with random (often malformed) percent-escapes."""
    return st.lists(
        st.one_of(st.from_regex(r"%[0-9A-Fa-fzZ]{0,2}", fullmatch=True), st.sampled_from(list("az09?=&/#.;+%"))),
        max_size=30,
    ).map("".join)


def _sparql_request():
    params = st.fixed_dictionaries(
        {"query": _query_text()},
        optional={
            "format": st.one_of(st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "jsonld"]), PRINTABLE),
            "default-graph-uri": st.one_of(st.just(ID + "x"), ANY_TEXT),
            "named-graph-uri": ANY_TEXT,
            "output": PRINTABLE,
        },
    )
    ctype = st.sampled_from([
        "application/sparql-query", "application/x-www-form-urlencoded", "application/sparql-update",
        "multipart/form-data; boundary=x", "text/plain", "", "application/sparql-query; charset=latin-1",
    ])  # fmt: skip

    def build(method, ps, accept, content_type, raw_body):
        query_string = urllib.parse.urlencode(ps)
        if method == "GET":
            return "GET", f"/sparql?{query_string}", None, {"Accept": accept}
        if content_type.startswith("application/sparql"):
            body = ps["query"].encode("utf-8", "surrogatepass")
        elif content_type.startswith("application/x-www"):
            body = query_string.encode()
        else:
            body = raw_body
        return "POST", "/sparql", body, {"Accept": accept, "Content-Type": content_type}

    return st.builds(
        build,
        st.sampled_from(["GET", "POST"]),
        params,
        st.one_of(st.sampled_from(MEDIA), PRINTABLE),
        ctype,
        st.binary(max_size=200),
    )


def _named_request():
    name = st.one_of(st.sampled_from(NAMED), ANY_TEXT, _raw_junk())
    suffix = st.sampled_from(["", ".json", ".csv", ".tsv", ".xml", ".", ".json.csv"])
    keys = st.one_of(
        st.sampled_from(["s", "p", "o", "entity", "district", "group", "measure", "format", "limit"]), PRINTABLE
    )
    values = st.one_of(ANY_TEXT, st.sampled_from([
        ID + "district/changsha-yuelu", f"<{ID}x>", "<a b>", "<>", "edu:School", "edu:%zz", "http://a b",
        "2021", "-1", "1e999", "html", "json", "csv", "tsv", "x" * 3000,
    ]))  # fmt: skip
    args = st.dictionaries(keys, values, max_size=4)

    def build(n, sfx, a, accept):
        target = f"/queries/{Q(n, safe='') if '%' not in n else n}{sfx}"
        return "GET", target + ("?" + urllib.parse.urlencode(a) if a else ""), None, {"Accept": accept}

    return st.builds(build, name, suffix, args, st.sampled_from(MEDIA))


def _id_request():
    path = st.one_of(
        st.sampled_from(["district/changsha-yuelu", "article/evil_en", "school/", "", "../../etc/passwd", "%2e%2e/"]),
        ANY_TEXT.map(lambda t: Q(t, safe="/")),
        _raw_junk(),
    )
    fmt = st.one_of(st.none(), st.sampled_from(["turtle", "jsonld", "ntriples", "rdfxml", "html"]), PRINTABLE)

    def build(p, f, accept):
        return "GET", f"/id/{p}" + (f"?format={Q(f)}" if f is not None else ""), None, {"Accept": accept}

    return st.builds(build, path, fmt, st.sampled_from(MEDIA))


def _export_request():
    fmt = st.one_of(st.sampled_from(CHEAP_EXPORTS), PRINTABLE.filter(lambda f: f.strip().lower() not in SLOW_EXPORTS))
    args = st.dictionaries(
        st.sampled_from(["type", "district", "policy", "article", "seed", "download"]),
        st.one_of(ANY_TEXT, st.sampled_from(["School", ID + "district/changsha-yuelu", "-1"])),
        max_size=3,
    )

    def build(f, a):
        return "GET", f"/export/{Q(f, safe='')}" + ("?" + urllib.parse.urlencode(a) if a else ""), None, {}

    return st.builds(build, fmt, args)


REQUESTS = st.one_of(_sparql_request(), _named_request(), _id_request(), _export_request())


@pytest.fixture(scope="module")
def server():
    return shared_server()


def _is_time_limit(reply) -> bool:
    return reply.status == 503 and b"time limit" in reply.body


SEEN: dict[str, int] = {}


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=REQUESTS)
def test_hardening_queries_fuzz_finds_no_server_error(server, request):
    method, target, body, headers = request
    headers = {k: v for k, v in headers.items() if v}
    reply = server.get(target, method=method, body=body, headers=headers)
    SEEN[f"{reply.status // 100}xx"] = SEEN.get(f"{reply.status // 100}xx", 0) + 1
    assert reply.status < 500 or _is_time_limit(reply), (method, target, body, headers, reply.status, reply.text[:800])
    if reply.status >= 400 and "json" in reply.headers.get("content-type", ""):
        assert reply.json()["ok"] is False


def test_hardening_queries_fuzz_summary(server):
    """Runs after the fuzz: it really exercised both answers and refusals."""
    print(f"fuzz statuses: {SEEN}")
    if SEEN:
        assert SEEN.get("2xx", 0) > 0 and SEEN.get("4xx", 0) > 0


@pytest.mark.parametrize("fmt", sorted(SLOW_EXPORTS))
def test_hardening_queries_slow_exports_once(server, fmt):
    reply = server.get(f"/export/{fmt}?type=School")
    assert reply.status == 200 and reply.body


# fmt: off
BAD_TARGETS = [
    "/sparql?query=%E4%B8", "/sparql?query=%zz", "/sparql?query=%", "/sparql?query=%00", "/sparql?query=%C0%AF",
    "/id/%zz", "/id/%E4%B8", "/id/%00", "/id/%", "/queries/%ff", "/queries/%zz%", "/export/%ff", "/export/%",
    "/sparql?query=SELECT%20*%20%7B%7D&format=foo", "/sparql?query=ASK%7B%7D&format=turtle",
    "/id/district/changsha-yuelu?format=foo", "/export/no-such-format", "/queries/no_such_query",
    "/queries/articles.xml",
]
# fmt: on


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_hardening_queries_malformed_and_unknown_get_4xx(server, target):
    reply = server.get(target, headers={"Accept": "application/sparql-results+json"})
    assert 400 <= reply.status < 500, (target, reply.status, reply.text[:300])


@pytest.mark.parametrize("target", ["/search?q=%", "/search?q=%E4", "/graph?district=%ff", "/?query=%zz"])
def test_hardening_queries_lenient_paths_never_fail(server, target):
    assert server.get(target, headers={"Accept": "text/html"}).status < 500


def test_hardening_queries_unknown_accept_is_406(server):
    reply = server.get("/sparql?query=" + Q("SELECT * {}"), headers={"Accept": "foo/bar"})
    assert reply.status == 406


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "BREW", "PROPFIND"])
def test_hardening_queries_unknown_methods_get_4xx(server, method):
    for target in ("/sparql", "/id/district/changsha-yuelu", "/queries/articles", "/export/csv"):
        reply = server.get(target, method=method)
        assert 400 <= reply.status < 500, (method, target, reply.status)


def test_hardening_queries_huge_requests_get_4xx(server):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_000
    assert 400 <= server.get("/sparql?query=" + Q(big)).status < 500  # request line too long
    assert 400 <= server.get("/id/" + "a" * 50_000).status < 500
    body = ("SELECT * WHERE { ?s ?p ?o } #" + "x" * 2_000_000).encode()
    reply = server.get("/sparql", method="POST", body=body, headers={"Content-Type": "application/sparql-query"})
    assert reply.status == 413
    reply = server.get("/sparql?query=ASK%7B%7D", headers={"X-Padding": "y" * 20_000})
    assert 400 <= reply.status < 500
    many = "&".join(f"p{i}={i}" for i in range(2000))
    assert server.get("/queries/articles?" + many).status < 500
    nested = "SELECT * WHERE " + "{ " * 2000 + "?s ?p ?o" + " }" * 2000
    reply = server.get(
        "/sparql", method="POST", body=nested.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert reply.status < 500 or _is_time_limit(reply), (reply.status, reply.text[:300])


def _descendants(server) -> list[int]:
    import psutil

    workers = set(server.workers())
    out = []
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        if child.pid not in workers and child.ppid() in workers:
            out.append(child.pid)
    return out


def test_hardening_queries_cartesian_product_stopped_while_others_succeed(server):
    result: dict = {}

    def heavy() -> None:
        result["reply"] = server.get(
            "/sparql", method="POST", body=CARTESIAN.encode(), headers={"Content-Type": "application/sparql-query"}
        )

    thread = threading.Thread(target=heavy)
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)
    simple, latencies = 0, []
    while thread.is_alive():
        reply = server.get("/sparql?query=" + Q(SIMPLE), headers={"Accept": "application/sparql-results+json"})
        assert reply.status == 200, reply.text[:300]
        assert len(reply.json()["results"]["bindings"]) >= 1
        simple += 1
        latencies.append(reply.seconds)
        if time.monotonic() - started > SHARED_TIMEOUT + 30:
            break
    thread.join(timeout=30)
    elapsed = time.monotonic() - started
    reply = result["reply"]
    print(
        f"cartesian stopped after {elapsed:.1f} s ({reply.status}); {simple} simple queries meanwhile, "
        f"max latency {max(latencies, default=0):.2f} s"
    )
    assert _is_time_limit(reply), (reply.status, reply.text[:300])
    assert SHARED_TIMEOUT <= elapsed < SHARED_TIMEOUT + 15
    assert simple >= 3
    deadline = time.monotonic() + 5
    while _descendants(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _descendants(server), "the stopped query's process is still running"


SERVICE_FORMS = [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ # comment\n SeRvIcE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("form", SERVICE_FORMS)
def test_hardening_queries_service_refused_and_never_called(server, form):
    port = free_port()
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.5)
    try:
        query = form.format(port=port)
        for method in ("GET", "POST"):
            if method == "GET":
                reply = server.get("/sparql?query=" + Q(query))
            else:
                reply = server.get(
                    "/sparql",
                    method="POST",
                    body=urllib.parse.urlencode({"query": query}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            assert 400 <= reply.status < 500, (query, reply.status, reply.text[:300])
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_hardening_queries_service_word_in_a_string_is_fine(server):
    query = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/>" AS ?x) } # SERVICE'
    reply = server.get("/sparql?query=" + Q(query), headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200


def _dataset_digest() -> str:
    import io

    from kg.store import dump, open_store

    out = io.BytesIO()
    dump(open_store(shared_store(), read_only=True), out)
    return hashlib.sha256(out.getvalue()).hexdigest()


UPDATES = [
    "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "DROP ALL",
    "CLEAR DEFAULT",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
]


def test_hardening_queries_updates_without_token_refused_and_change_nothing(server):
    before = _dataset_digest()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def total() -> str:
        reply = server.get("/sparql?query=" + Q(count), headers={"Accept": "application/sparql-results+json"})
        return reply.json()["results"]["bindings"][0]["n"]["value"]

    n_before = total()
    for update in UPDATES:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Basic eDp5"},
            {"Authorization": "Bearer"},
        ):
            form = urllib.parse.urlencode({"update": update}).encode()
            attempts = [
                ("POST", "/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"}),
                ("POST", "/sparql", update.encode(), {"Content-Type": "application/sparql-update"}),
                ("GET", "/sparql?update=" + Q(update), None, {}),
            ]
            for method, target, body, extra in attempts:
                reply = server.get(target, method=method, body=body, headers={**headers, **extra})
                assert reply.status in (400, 401, 403), (update, headers, method, reply.status)
    ttl = b"<urn:x:a> <urn:x:b> <urn:x:c> ."
    for method in ("PUT", "POST", "DELETE"):
        for target in ("/store?default", "/store?graph=" + Q(ID.replace("/id/", "/graph/") + "article/evil_en")):
            reply = server.get(
                target, method=method, body=None if method == "DELETE" else ttl, headers={"Content-Type": "text/turtle"}
            )
            assert reply.status in (401, 403, 404, 405), (method, target, reply.status)
    assert total() == n_before
    assert _dataset_digest() == before


def test_hardening_queries_head_is_like_get(server):
    for target in ("/sparql", "/sparql?query=" + Q("ASK {}"), "/id/district/changsha-yuelu", "/queries/articles"):
        head, get = server.get(target, method="HEAD"), server.get(target)
        assert head.status == get.status and not head.body, (target, head.status, get.status)
