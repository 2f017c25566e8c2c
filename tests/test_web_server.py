"""A real `kg serve` (gunicorn, two workers) on a free loopback port, driven by real clients:
SPARQLWrapper for every result format, rdflib through content negotiation, plain HTTP for
status codes and the time limit, and headless Chromium for the query page.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import RdfFormat

from kg.store import open_store

DATA = Path(__file__).resolve().parent / "data"
ID = "https://w3id.org/edukg/id/"
GROUP = ID + "educationgroup/beijing-no-4-group"
SCHOOL = ID + "school/beijing-no-4-high-school"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a running `kg serve` over tests/data/web_mini.trig."""
    store_path = tmp_path_factory.mktemp("served") / "store"
    store = open_store(store_path)
    store.load(path=str(DATA / "web_mini.trig"), format=RdfFormat.TRIG)
    store.flush()
    del store
    port = _free_port()
    env = {**os.environ, "KG_QUERY_TIMEOUT": "2", "KG_MAX_REQUEST_BYTES": "20000"}
    kg = Path(sys.executable).with_name("kg")
    proc = subprocess.Popen(
        [str(kg), "serve", "--store", str(store_path), "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("kg serve did not start: " + proc.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()  # an email.message.Message: names are case-insensitive
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# --- SPARQLWrapper, every format -------------------------------------------------------------

SELECT = f"SELECT DISTINCT ?l WHERE {{ <{SCHOOL}> rdfs:label ?l }} ORDER BY ?l"
CONSTRUCT = f"CONSTRUCT {{ <{GROUP}> ?p ?o }} WHERE {{ <{GROUP}> ?p ?o }}"


def _wrapper(server, query, fmt, method="GET"):
    from SPARQLWrapper import POST, SPARQLWrapper

    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if method == "POST":
        sw.setMethod(POST)
    return sw.query()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_web_server_sparqlwrapper_json(server, method):
    from SPARQLWrapper import JSON

    res = _wrapper(server, SELECT, JSON, method).convert()
    assert [b["l"]["value"] for b in res["results"]["bindings"]] == ["Beijing No. 4 High School", "北京市第四中学"]


def test_web_server_sparqlwrapper_xml(server):
    from SPARQLWrapper import XML

    doc = _wrapper(server, SELECT, XML).convert()  # xml.dom.minidom document
    literals = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert "北京市第四中学" in literals


@pytest.mark.parametrize(("fmt_name", "sep"), [("CSV", ","), ("TSV", "\t")])
def test_web_server_sparqlwrapper_csv_tsv(server, fmt_name, sep):
    import SPARQLWrapper

    text = _wrapper(server, SELECT, getattr(SPARQLWrapper, fmt_name)).convert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].strip() in ("l", "?l") and len(lines) == 3
    assert any("北京市第四中学" in line for line in lines)


def test_web_server_sparqlwrapper_ask(server):
    from SPARQLWrapper import JSON

    assert _wrapper(server, f"ASK {{ <{GROUP}> edu:leadSchool <{SCHOOL}> }}", JSON).convert()["boolean"] is True


@pytest.mark.parametrize("fmt_name", ["TURTLE", "N3", "JSONLD", "RDFXML", "XML"])
def test_web_server_sparqlwrapper_construct(server, fmt_name):
    import SPARQLWrapper

    result = _wrapper(server, CONSTRUCT, getattr(SPARQLWrapper, fmt_name))
    graph = result.convert()
    if not isinstance(graph, rdflib.Graph):  # SPARQLWrapper hands some formats back as bytes
        rdf_format = {"TURTLE": "turtle", "N3": "turtle", "JSONLD": "json-ld"}[fmt_name]
        graph = rdflib.Graph().parse(data=graph, format=rdf_format)
    lead = rdflib.URIRef("https://w3id.org/edukg/ontology#leadSchool")
    assert (rdflib.URIRef(GROUP), lead, rdflib.URIRef(SCHOOL)) in graph


@pytest.mark.parametrize(("accept", "rdf_format"), [
    ("application/n-triples", "nt"), ("application/n-quads", "nquads"), ("application/trig", "trig"),
])
def test_web_server_construct_line_formats(server, accept, rdf_format):
    url = server + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT})
    status, headers, body = _http(url, headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith(accept)
    graph = rdflib.Dataset().parse(data=body, format=rdf_format) if rdf_format != "nt" else \
        rdflib.Graph().parse(data=body, format="nt")
    assert len(graph) >= 1


def test_web_server_accept_q_values(server):
    url = server + "/sparql?" + urllib.parse.urlencode({"query": SELECT})
    status, headers, _ = _http(url, headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")


def test_web_server_jsonld_compacted(server):
    url = server + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT})
    _, headers, body = _http(url, headers={"Accept": "application/ld+json"})
    doc = json.loads(body)
    assert "@context" in doc
    assert "edu:leadSchool" in body.decode()


# --- rdflib on entity IRIs through content negotiation ----------------------------------------

@pytest.mark.parametrize("fmt", [None, "json-ld", "xml", "nt"])
def test_web_server_rdflib_parses_entity_pages(server, fmt):
    g = rdflib.Graph()
    g.parse(server + "/id/educationgroup/beijing-no-4-group", **({"format": fmt} if fmt else {}))
    assert (rdflib.URIRef(GROUP), rdflib.URIRef("https://w3id.org/edukg/ontology#leadSchool"),
            rdflib.URIRef(SCHOOL)) in g
    assert (rdflib.URIRef(SCHOOL), rdflib.URIRef("https://w3id.org/edukg/ontology#memberOf"),
            rdflib.URIRef(GROUP)) in g  # incoming links are part of the description


def test_web_server_rdflib_parses_ontology(server):
    g = rdflib.Graph().parse(server + "/ontology", format="turtle")
    assert len(g) > 0


# --- status codes and limits -------------------------------------------------------------------

def test_web_server_status_codes(server):
    bad = server + "/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p"})
    status, _, body = _http(bad)
    assert status == 400 and json.loads(body)["ok"] is False
    status, _, _ = _http(server + "/sparql", data=b"update=CLEAR+ALL",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    service = server + "/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"})
    assert _http(service)[0] == 403
    assert _http(server + "/sparql", data=b"x", headers={"Content-Type": "text/plain"})[0] == 415
    assert _http(server + "/id/school/unknown-school", headers={"Accept": "text/html"})[0] == 404
    huge = b"query=" + urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } #" + "x" * 30000).encode()
    assert _http(server + "/sparql", data=huge,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 413


def test_web_server_cors(server):
    status, headers, _ = _http(server + "/sparql?query=ASK%7B%7D", headers={"Origin": "https://elsewhere.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = _http(server + "/sparql", method="OPTIONS", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert status == 200 and "POST" in headers["Access-Control-Allow-Methods"]


def test_web_server_timeout_frees_worker_while_others_answer(server):
    slow_result: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        url = server + "/sparql?" + urllib.parse.urlencode({"query": SLOW})
        slow_result["status"], _, slow_result["body"] = _http(url)
        slow_result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    quick = server + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    status, _, body = _http(quick, headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["boolean"] is True
    assert time.monotonic() - started < 1.5  # answered by the other worker meanwhile
    thread.join(30)
    assert slow_result["status"] == 503
    assert "time limit" in json.loads(slow_result["body"])["error"]
    assert slow_result["seconds"] < 6  # the 2 s limit, not the query's natural run time
    for _ in range(4):  # both workers are free again
        assert _http(quick)[0] == 200
    _, _, metrics = _http(server + "/metrics")
    assert "kg_sparql_timeouts_total 1.0" in metrics.decode()


def test_web_server_metrics_prometheus_format(server):
    _http(server + "/healthz")
    status, headers, body = _http(server + "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'kg_http_requests_total{endpoint="/healthz",method="GET",status="200"}' in text
    assert "kg_http_request_duration_seconds_bucket" in text


def test_web_server_named_query_csv(server):
    status, headers, body = _http(server + "/queries/groups.csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert GROUP in body.decode()


# --- headless browser --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("Debian chromium / chromium-driver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(str(tmp_path_factory.getbasetemp() / "chromium"), ignore_errors=True)


@pytest.mark.browser
def test_web_server_browser_runs_query_and_sees_rows(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror")  # the vendored editor loaded offline
    browser.find_element(By.ID, "run").click()
    rows = WebDriverWait(browser, 15).until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#results table tbody tr")))
    assert any("Beijing No. 4 High School Education Group" in r.text for r in rows)
    link = rows[0].find_element(By.CSS_SELECTOR, "a")
    link.click()
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, "section#group")))
    assert "北京四中教育集团" in browser.find_element(By.TAG_NAME, "h1").text
    assert "led by Beijing No. 4 High School" in browser.page_source


@pytest.mark.browser
def test_web_server_browser_search_box(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    browser.find_element(By.ID, "entity-search").send_keys("北京四中")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-hits li a"))
    first = browser.find_elements(By.CSS_SELECTOR, "#search-hits li a")[0]
    assert first.get_attribute("href").endswith("/id/school/beijing-no-4-high-school")
