"""`kg serve` end to end: the served graph answers like `kg query` does."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from hardening_util import start_server

KG = str(Path(sys.executable).parent / "kg")
QUERY = """SELECT ?x ?label WHERE { ?x a ?c ; rdfs:label ?label .
  VALUES ?c { edu:District edu:EducationGroup edu:Policy } } ORDER BY ?x ?label"""


@pytest.fixture(scope="module")
def served(seed_store_path):
    server = start_server(seed_store_path)
    yield server.base
    server.stop()


def _bindings(doc: dict) -> list[tuple[str, ...]]:
    names = doc["head"]["vars"]
    return [tuple(b.get(n, {}).get("value", "") for n in names) for b in doc["results"]["bindings"]]


def test_spine_kg_query_and_sparql_endpoint_agree(served, seed_store_path):
    cli = subprocess.run([KG, "query", QUERY, "--store", str(seed_store_path), "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    url = served + "/sparql?" + urllib.parse.urlencode({"query": QUERY})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        http = r.read().decode()
    assert _bindings(json.loads(cli)) == _bindings(json.loads(http))
    assert len(_bindings(json.loads(http))) > 10


def test_spine_healthz_reports_store_statistics(served):
    with urllib.request.urlopen(served + "/healthz", timeout=10) as r:
        doc = json.loads(r.read())
    text = json.dumps(doc)
    assert "articles" in text and "5" in text
