"""The Flask app in process (Flask's test client): pages, errors, base URL, updates, search."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from kg.config import Settings
from kg.store import open_store
from kg.web import create_app

DATA = Path(__file__).resolve().parent / "data"
ID = "https://w3id.org/edukg/id/"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def make_store(path: Path) -> str:
    store = open_store(path)
    store.load(path=str(DATA / "web_mini.trig"), format=RdfFormat.TRIG)
    store.flush()
    del store
    return str(path)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:
    return make_store(tmp_path_factory.mktemp("webapp") / "store")


@pytest.fixture(scope="module")
def client(store_path):
    app = create_app(Settings(store=store_path, max_rows=3, query_timeout=3))
    return app.test_client()


def test_web_app_sparql_get_and_post_forms(client):
    q = "SELECT ?l WHERE { <https://w3id.org/edukg/id/city/beijing> rdfs:label ?l } ORDER BY ?l"
    got = [
        client.get("/sparql", query_string={"query": q}, headers=JSON_RESULTS),
        client.post("/sparql", data={"query": q}, headers=JSON_RESULTS),
        client.post("/sparql", data=q.encode(), content_type="application/sparql-query", headers=JSON_RESULTS),
    ]
    for r in got:
        assert r.status_code == 200
        assert [b["l"]["value"] for b in r.json["results"]["bindings"]] == ["Beijing", "北京市"]


def test_web_app_union_default_graph_and_dataset_params(client):
    q = "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a edu:Article }"
    assert client.get("/sparql", query_string={"query": q}, headers=JSON_RESULTS).json["results"]["bindings"][0][
        "n"]["value"] == "2"
    one = client.get("/sparql", query_string={"query": q, "default-graph-uri": "https://w3id.org/edukg/graph/article/z1"},
                     headers=JSON_RESULTS)
    assert one.json["results"]["bindings"][0]["n"]["value"] == "1"
    named = client.get("/sparql", headers=JSON_RESULTS, query_string={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "named-graph-uri": "https://w3id.org/edukg/graph/article/a1"})
    assert [b["g"]["value"] for b in named.json["results"]["bindings"]] == ["https://w3id.org/edukg/graph/article/a1"]


def test_web_app_row_cap_sets_header(client):
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON_RESULTS)
    assert len(r.json["results"]["bindings"]) == 3
    assert "3 rows" in r.headers["X-KG-Truncated"]


def test_web_app_bad_query_is_400_with_parser_message(client):
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert r.json["ok"] is False and r.json["status"] == 400
    assert "1:" in r.json["error"]  # line:column from the parser


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n  # comment\n  SERVICE ex:x { ?s ?p ?o } }",
    r"SELECT * WHERE { \u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",  # codepoint escape
])
def test_web_app_service_refused(client, query):
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 403
    assert "SERVICE" in r.json["error"]


def test_web_app_service_word_in_strings_is_fine(client):
    q = 'SELECT ("SERVICE LOAD" AS ?x) WHERE { } # SERVICE <http://x/>'
    assert client.get("/sparql", query_string={"query": q}, headers=JSON_RESULTS).status_code == 200


def test_web_app_unsupported_content_type_is_415(client):
    r = client.post("/sparql", data=b"{}", content_type="application/json")
    assert r.status_code == 415 and r.json["status"] == 415


def test_web_app_update_refused_without_token(client):
    r = client.post("/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert r.status_code == 403
    r = client.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update")
    assert r.status_code == 403


def test_web_app_update_with_token_reaches_the_served_snapshot(tmp_path):
    app = create_app(Settings(store=make_store(tmp_path / "store"), update_token="s3cret"))
    c = app.test_client()
    update = 'INSERT DATA { GRAPH <https://w3id.org/edukg/graph/extra> { <urn:x> rdfs:label "new"@en } }'
    assert c.post("/sparql", data={"update": update}, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert c.post("/sparql", data={"update": update}, headers={"Authorization": "Bearer s3cret"}).status_code == 204
    r = c.get("/sparql", query_string={"query": "ASK { <urn:x> rdfs:label ?l }"}, headers=JSON_RESULTS)
    assert r.json["boolean"] is True
    load = "LOAD <http://example.org/data.ttl>"
    assert c.post("/sparql", data={"update": load}, headers={"Authorization": "Bearer s3cret"}).status_code == 403
    assert len(open_store(tmp_path / "store")) == 94  # written to the live store too


def test_web_app_request_size_cap_is_413(store_path):
    c = create_app(Settings(store=store_path, max_request_bytes=2000)).test_client()
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    assert c.post("/sparql", data={"query": big}).status_code == 413
    assert c.get("/sparql", query_string={"query": big}).status_code == 413


def test_web_app_cors_on_sparql(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://other.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options("/sparql", headers={"Origin": "https://x.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 200 and "POST" in pre.headers["Access-Control-Allow-Methods"]


def test_web_app_entity_page_html(client):
    r = client.get("/id/educationgroup/beijing-no-4-group", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "北京四中教育集团" in html and "Beijing No. 4 High School Education Group" in html
    assert 'href="/id/school/xicheng-experimental-school"' in html  # member school, linked locally
    assert "led by Beijing No. 4 High School" in html  # evidence quote of the lead-school fact
    assert "3 member schools" in html and "<td>2022</td>" in html  # figures table


def test_web_app_article_page_highlights_and_escapes(client):
    html = client.get("/id/article/a1").get_data(as_text=True)
    assert '<a class="mention" href="/id/district/beijing-xicheng">Xicheng District</a>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;fast&lt;/b&gt;" in html


def test_web_app_unknown_entity_is_404(client):
    assert client.get("/id/school/no-such-school").status_code == 404
    r = client.get("/id/school/no-such-school", headers={"Accept": "text/turtle"})
    assert r.status_code == 404


def test_web_app_entity_conneg_jsonld_is_compacted(client):
    r = client.get("/id/school/beijing-no-4-high-school", headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json"
    doc = r.json
    assert "@context" in doc and doc["@context"]["edu"] == "https://w3id.org/edukg/ontology#"


def test_web_app_base_url_prefix(store_path):
    app = create_app(Settings(store=store_path, base_url="https://example.org/kg/"))
    c = app.test_client()
    html = c.get("/kg/id/school/beijing-no-4-high-school").get_data(as_text=True)
    assert 'href="/kg/id/district/beijing-xicheng"' in html
    sd = c.get("/kg/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "<https://example.org/kg/sparql> a sd:Service" in sd
    assert c.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200  # proxy that strips the prefix


def test_web_app_service_description_and_void(client):
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.mimetype == "text/turtle" and "sd:UnionDefaultGraph" in sd.get_data(as_text=True)
    assert "https://w3id.org/edukg/graph/article/a1" in sd.get_data(as_text=True)
    void = client.get("/void", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "void:triples 93" in void and "void:uriSpace" in void


def test_web_app_named_query_formats(client):
    params = {"s": "id:educationgroup/beijing-no-4-group", "p": "edu:leadSchool",
              "o": "id:school/beijing-no-4-high-school"}
    js = client.get("/queries/evidence.json", query_string=params).json
    assert js["rows"][0]["quote"] == "led by Beijing No. 4 High School"
    csv_text = client.get("/queries/evidence.csv", query_string=params).get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("s,p,o,article")
    html = client.get("/queries/evidence", query_string=params).get_data(as_text=True)
    assert "led by Beijing No. 4 High School" in html
    assert client.get("/queries/evidence.json", query_string={"s": "x"}).status_code == 400
    assert client.get("/queries/nope.json").status_code == 404
    listing = client.get("/queries", headers={"Accept": "application/json"}).json
    assert len(listing["queries"]) >= 12


@pytest.mark.parametrize(("q", "expected"), [
    ("北京四中", ID + "school/beijing-no-4-high-school"),
    ("集团", ID + "educationgroup/beijing-no-4-group"),
    ("xicheng", ID + "district/beijing-xicheng"),
    ("Beijing Fourth High School", ID + "school/beijing-no-4-high-school"),
])
def test_web_app_search_finds_labels_in_both_languages(client, q, expected):
    hits = client.get("/search", query_string={"q": q, "format": "json"}).json["hits"]
    assert expected in [h["iri"] for h in hits[:2]]


def test_web_app_search_html_escapes(client):
    html = client.get("/search", query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in html


def test_web_app_healthz_and_metrics(client):
    health = client.get("/healthz").json
    assert health["articles"] == 2 and health["classes"]["School"] == 2
    client.get("/sparql", query_string={"query": "ASK {}"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'kg_http_requests_total{endpoint="/sparql"' in text
    assert "kg_store_quads 93.0" in text


def test_web_app_ontology_page(client):
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "Classes" in r.get_data(as_text=True)
    ttl = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle"


def test_web_app_graph_store_protocol(tmp_path, client):
    graph = "https://w3id.org/edukg/graph/article/a1"
    r = client.get("/store", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.mimetype == "application/n-triples" and len(r.data.splitlines()) > 10
    assert client.get("/store", query_string={"graph": "urn:none"}).status_code == 404
    body = b"<urn:s> <urn:p> <urn:o> ."
    assert client.put("/store?graph=urn:g", data=body, content_type="text/turtle").status_code == 403

    c = create_app(Settings(store=make_store(tmp_path / "store"), update_token="t")).test_client()
    auth = {"Authorization": "Bearer t"}
    assert c.put("/store?graph=urn:g", data=body, content_type="text/turtle").status_code == 403
    assert c.put("/store?graph=urn:g", data=body, content_type="text/turtle", headers=auth).status_code == 201
    assert c.post("/store?graph=urn:g", data=b"<urn:s> <urn:p> <urn:o2> .", content_type="application/n-triples",
                  headers=auth).status_code == 204
    ask = c.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH <urn:g> { ?s ?p ?o } }"},
                headers=JSON_RESULTS)
    assert ask.json["results"]["bindings"][0]["n"]["value"] == "2"
    assert c.put("/store?graph=urn:g", data=b"{}", content_type="application/json", headers=auth).status_code == 415
    assert c.delete("/store?graph=urn:g", headers=auth).status_code == 204
    assert c.get("/store?graph=urn:g").status_code == 404


def test_web_app_only_web_iris_become_links(client):
    from pyoxigraph import NamedNode

    from kg.web.common import term_html

    with client.application.test_request_context("/"):
        assert "<a" not in term_html(NamedNode("javascript:alert(1)"))
        assert 'href="/id/school/x"' in term_html(NamedNode("https://w3id.org/edukg/id/school/x"))
        assert 'href="http://example.org/a"' in term_html(NamedNode("http://example.org/a"))
