"""Remote-store mode: build into a real ``oxigraph serve`` on loopback (PyPI ``oxigraph``)."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg import remote
from kg import store as kgstore
from kg.pipeline import build
from kg.vocab import EDU, GRAPH_NS, ID_NS

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An ``oxigraph serve`` process with its own store folder."""

    def __init__(self, location: Path) -> None:
        if not Path(OXIGRAPH).exists():
            pytest.skip("oxigraph server not installed (pip install oxigraph)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/query?query=ASK%7B%7D", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "oxi")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def seeds_remote(tmp_path_factory):
    """(server, BuildReport) of the seeds built into a remote store, once per session."""
    srv = Server(tmp_path_factory.mktemp("oxi") / "store")
    report = build([REPO / "seeds"], srv.url)
    yield srv, report
    srv.stop()


def _dump(st) -> bytes:
    out = io.BytesIO()
    (kgstore if not isinstance(st, remote.RemoteStore) else remote).dump(st, out, "nquads")
    return out.getvalue()


def _article(name: str, hash_: str, extra: int = 0) -> tuple[str, list[Quad]]:
    a = ID_NS + "article/" + name
    g = NamedNode(GRAPH_NS + "article/" + name)
    quads = [Quad(NamedNode(a), NamedNode(EDU.contentHash), Literal(hash_), g)]
    quads += [Quad(NamedNode(a), NamedNode(EDU.mentions), NamedNode(f"{ID_NS}school/s{i}"), g) for i in range(extra)]
    quads.append(Quad(NamedNode(a), NamedNode(EDU.text), Literal('line "one"\n\\ 洛阳 \t'), g))
    return a, quads


@pytest.mark.parametrize("write", ["update", "gsp"])
def test_remote_replace_article_replaces_only_that_graph(server, write):
    st = remote.RemoteStore(server.url, write=write)
    a, old = _article("a", "h1", extra=3)
    b, other = _article("b", "hb", extra=2)
    remote.replace_article(st, a, old)
    remote.replace_article(st, b, other)
    _, new = _article("a", "h2", extra=1)
    remote.replace_article(st, a, new)
    assert remote.article_graphs(st) == {a: "h2", b: "hb"}
    mem = kgstore.open_store(None)
    kgstore.replace_article(mem, b, other)
    kgstore.replace_article(mem, a, new)
    assert _dump(st) == _dump(mem)


def test_remote_rejects_quads_outside_the_article_graph(server):
    st = remote.RemoteStore(server.url)
    a, quads = _article("a", "h1")
    _, foreign = _article("b", "h1")
    with pytest.raises(ValueError, match="every quad"):
        remote.replace_article(st, a, quads + foreign)
    assert remote.article_graphs(st) == {}


def test_remote_remove_article_and_hash(server):
    st = remote.RemoteStore(server.url)
    a, quads = _article("a", "h1")
    remote.replace_article(st, a, quads)
    assert remote.article_hash(st, a) == "h1"
    remote.remove_article(st, a)
    remote.remove_article(st, a)  # absent: no error
    assert remote.article_hash(st, a) is None and len(st) == 0


def test_remote_load_ontology_only_when_changed(server, tmp_path):
    st = remote.RemoteStore(server.url)
    ttl = tmp_path / "o.ttl"
    ttl.write_text("<http://x/a> <http://x/b> <http://x/c> .\n", encoding="utf-8")
    assert remote.load_ontology(st, ttl) is True
    assert remote.load_ontology(st, ttl) is False
    ttl.write_text("<http://x/a> <http://x/b> <http://x/d> .\n", encoding="utf-8")
    assert remote.load_ontology(st, ttl) is True
    assert remote.rows(st, "SELECT ?o WHERE { <http://x/a> <http://x/b> ?o }") == [{"o": "http://x/d"}]


def test_remote_bad_query_is_a_query_error(server):
    from kg.errors import QueryError

    with pytest.raises(QueryError):
        remote.rows(remote.RemoteStore(server.url), "SELECT WHERE {")


def test_remote_unreachable_server_is_a_clean_error():
    st = remote.RemoteStore(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(remote.RemoteError, match="unreachable"):
        remote.article_graphs(st)


def test_remote_seed_build_dumps_like_the_embedded_build(seeds_remote, seed_build):
    srv, report = seeds_remote
    store_path, embedded = seed_build
    assert (report.read, report.added, report.skipped) == (embedded.read, embedded.added, embedded.skipped)
    assert (report.quads, report.entities) == (embedded.quads, embedded.entities)
    remote_lines = _dump(remote.RemoteStore(srv.url)).decode().splitlines()
    local_lines = _dump(kgstore.open_store(store_path, read_only=True)).decode().splitlines()
    only_local = sorted(set(local_lines) - set(remote_lines))[:5]
    only_remote = sorted(set(remote_lines) - set(local_lines))[:5]
    assert remote_lines == local_lines, f"only embedded: {only_local}\nonly remote: {only_remote}"


def test_remote_rebuild_is_a_noop(seeds_remote):
    srv, _ = seeds_remote
    st = remote.RemoteStore(srv.url)
    before = _dump(st)
    report = build([REPO / "seeds"], srv.url)
    assert (report.unchanged, report.added, report.replaced) == (5, 0, 0)
    assert _dump(st) == before


def _graphs(data: bytes) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in data.decode().splitlines():
        out.setdefault(line.rsplit(" ", 2)[-2], set()).add(line)
    return out


def test_remote_changed_article_replaces_its_graph_only(server, seeds_copy):
    build([seeds_copy], server.url)
    st = remote.RemoteStore(server.url)
    before = _graphs(_dump(st))
    changed = sorted(seeds_copy.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nOne more sentence.\n", encoding="utf-8")
    report = build([seeds_copy], server.url)
    assert (report.replaced, report.unchanged) == (1, 4)
    after = _graphs(_dump(st))
    differing = {g for g in before.keys() | after.keys() if before.get(g) != after.get(g)}
    article_graphs = {g for g in differing if "/graph/article/" in g}
    assert article_graphs == {f"<{GRAPH_NS}article/{changed.stem}>"}
    assert differing - article_graphs <= {f"<{GRAPH_NS}analysis>"}


def test_remote_cli_build_accepts_a_url(server, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    one = tmp_path / "in"
    one.mkdir()
    one_file = sorted((REPO / "seeds").glob("*.txt"))[0]
    shutil.copy(one_file, one)
    result = CliRunner().invoke(main, ["build", str(one), "--store", server.url, "--quiet"])
    assert result.exit_code == 0, result.output
    stored = remote.article_graphs(remote.RemoteStore(server.url))
    assert [a for a in stored if a.startswith(ID_NS + "article/")] == [ID_NS + "article/" + one_file.stem]
