"""Snapshots over ``serve_memory_quads`` are read on disk: same answers as in memory, updates still reach workers."""

from __future__ import annotations

import json
import shutil
import urllib.parse

import pytest
from hardening_util import start_server

from kg.config import Settings
from kg.store import open_store
from kg.web import create_app

TOKEN = "snap-token"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
JSON = {"Accept": "application/sparql-results+json"}


def _count(server) -> int:
    reply = server.get("/sparql?query=" + urllib.parse.quote(COUNT), headers=JSON)
    assert reply.status == 200, reply.text
    return int(reply.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def store(seed_store_path, tmp_path):
    dest = tmp_path / "store"
    shutil.copytree(seed_store_path, dest)
    return dest


@pytest.mark.parametrize("memory_quads", ["0", "100000000"])
def test_web_snapshot_on_disk_or_in_memory_answers_the_same(store, memory_quads):
    quads = len(open_store(store, read_only=True))
    server = start_server(store, env={"KG_SERVE_MEMORY_QUADS": memory_quads, "KG_UPDATE_TOKEN": TOKEN})
    try:
        health = server.get("/healthz").json()
        assert health["in_memory"] is (memory_quads != "0")
        assert health["quads"] == quads == _count(server)
        named = server.get("/queries/entities_per_class.json")
        assert named.status == 200 and json.loads(named.body)["rows"]
        # an authorised update becomes a new snapshot, which every worker opens (on disk or in memory)
        update = "INSERT DATA { GRAPH <https://w3id.org/edukg/graph/extra> { <http://x/a> <http://x/b> 1 } }"
        reply = server.get("/sparql", method="POST", body=update.encode(), headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert reply.status in (200, 204), reply.text
        for _ in range(6):  # both workers, whichever answers
            assert _count(server) == quads + 1
    finally:
        server.stop()


def test_web_snapshot_on_disk_with_forked_queries(store):
    """Outside ``kg serve`` queries run in a forked child; it reads the on-disk snapshot too."""
    app = create_app(Settings(store=str(store), serve_memory_quads=0, query_isolation="fork"))
    client = app.test_client()
    for _ in range(3):
        reply = client.get("/sparql", query_string={"query": COUNT}, headers=JSON)
        assert reply.status_code == 200
        assert int(reply.json["results"]["bindings"][0]["n"]["value"]) == len(open_store(store, read_only=True))
    assert client.get("/healthz").json["in_memory"] is False
