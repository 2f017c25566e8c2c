"""kg.web.graph: /graph (interactive view, offline), /graph/data.json and /export/FORMAT."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import zipfile

import networkx as nx
import pytest
from pyoxigraph import RdfFormat

from kg.config import Settings
from kg.export import EXPORTERS
from kg.store import open_store

from .conftest import DATA

ID = "https://w3id.org/edukg/id/"


@pytest.fixture(scope="module")
def mini_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("webgraph") / "store"
    st = open_store(path)
    st.load(path=str(DATA / "analysis_mini.trig"), format=RdfFormat.TRIG)
    st.flush()
    del st
    return path


@pytest.fixture(scope="module")
def app(mini_path):
    from kg.web import create_app

    return create_app(Settings(store=str(mini_path)))


@pytest.fixture
def client(app):
    return app.test_client()


def test_web_graph_blueprint_registered(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/graph", "/graph/data.json", "/export/<fmt>"} <= rules


def test_web_graph_page_offline(client):
    resp = client.get("/graph")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    sources = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"([^\"]+)\"", html)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources  # no CDN: all from this server
    assert "@import" not in html and "url(http" not in html
    js = client.get("/graph/vendor/cytoscape-3.34.4.min.js")
    assert js.status_code == 200 and b"cytoscape" in js.data[:2000].lower()
    js.close()
    assert "EducationGroup" in html and "Hexi District" in html


def test_web_graph_data_links_to_id_pages(client):
    data = client.get("/graph/data.json").get_json()
    nodes = {n["data"]["iri"]: n["data"] for n in data["elements"]["nodes"]}
    assert len(nodes) == 15 and len(data["elements"]["edges"]) == 24
    school = nodes[ID + "school/hexi-no-1-middle-school"]
    assert school["href"] == "/id/school/hexi-no-1-middle-school"
    assert school["colour"].startswith("#") and school["pagerank"] > 0
    filtered = client.get("/graph/data.json?type=School&district=hexi").get_json()
    assert {n["data"]["type"] for n in filtered["elements"]["nodes"]} == {"School"}
    assert len(filtered["elements"]["nodes"]) == 3


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_web_export_each_format(client, fmt):
    resp = client.get(f"/export/{fmt}")
    assert resp.status_code == 200, resp.data[:200]
    assert resp.mimetype == EXPORTERS[fmt].media_type
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data


def test_web_export_reads_back_filtered(client):
    H = nx.read_graphml(io.BytesIO(client.get("/export/graphml?type=School&type=EducationGroup").data))
    assert {d["type"] for _, d in H.nodes(data=True)} == {"School", "EducationGroup"}
    assert H.number_of_nodes() == 8
    with zipfile.ZipFile(io.BytesIO(client.get("/export/csv?district=东城区").data)) as zf:
        nodes = list(csv.DictReader(io.StringIO(zf.read("nodes.csv").decode())))
    assert {r["district_label"] for r in nodes if r["type"] != "Policy"} == {"东城区"}
    cy = nx.cytoscape_graph(json.loads(client.get("/export/cytoscape?policy=双减").data), name="label", ident="id")
    assert ID + "policy/double-reduction" in cy


def test_web_export_unknown_format_404(client):
    resp = client.get("/export/xlsx")
    assert resp.status_code == 404


# ---------------------------------------------------------------- headless browser

CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    driver_path, chrome = shutil.which("chromedriver") or "/usr/bin/chromedriver", shutil.which("chromium")
    if not (os.path.exists(driver_path) and chrome):
        pytest.skip("Debian chromium + chromium-driver not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="kg-chrome-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1200,900")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)  # explicit driver: no selenium-manager
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the page")


@pytest.mark.browser
def test_web_graph_renders_in_browser(live_server, browser):
    browser.get(live_server + "/graph")
    rendered = _wait(browser, lambda: browser.execute_script("return document.body.dataset.rendered"))
    assert rendered == "15"
    # cytoscape drew them: nodes have positions inside the canvas and a visible canvas exists
    positions = browser.execute_script("return window.cy.nodes().map(n => n.renderedPosition())")
    assert len(positions) == 15 and len({(round(p["x"]), round(p["y"])) for p in positions}) > 1
    assert browser.execute_script("return document.querySelectorAll('#cy canvas').length") >= 1
    labels = browser.execute_script("return window.cy.nodes().map(n => n.data('label'))")
    assert "河西区" in labels or "Hexi District" in labels
    # filter by type: only schools stay visible
    browser.execute_script("""
        document.querySelectorAll('.type-filter').forEach(x => { x.checked = x.value === 'School'; });
        document.querySelector('.type-filter').dispatchEvent(new Event('change'));""")
    visible = "return window.cy.nodes().not('.hidden').map(n => n.data('type'))"
    assert _wait(browser, lambda: (lambda t: t if len(t) == 5 else None)(browser.execute_script(visible)))
    assert set(browser.execute_script(visible)) == {"School"}
    # search highlights
    box = browser.find_element("id", "search")
    box.send_keys("第三小学")
    matches = "return window.cy.nodes('.match').map(n => n.id())"
    assert _wait(browser, lambda: browser.execute_script(matches)) == [ID + "school/dongcheng-no-3-primary-school"]
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors


@pytest.mark.browser
def test_web_graph_click_opens_id_page(live_server, browser):
    browser.get(live_server + "/graph?type=School")
    _wait(browser, lambda: browser.execute_script("return document.body.dataset.rendered"))
    browser.execute_script("window.cy.getElementById(arguments[0]).emit('tap')", ID + "school/hexi-experimental-school")
    _wait(browser, lambda: "/id/school/hexi-experimental-school" in browser.current_url)
