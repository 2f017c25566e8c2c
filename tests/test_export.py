"""kg.export: every exporter's output is read back by an independent reader with the same nodes and edges."""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import subprocess
import warnings
import zipfile
from xml.etree import ElementTree

import networkx as nx
import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat

from kg.analysis import Filters, load_graph
from kg.errors import NotFoundError
from kg.export import EXPORTERS, TYPE_COLOURS, export, get_exporter
from kg.store import open_store

from .conftest import DATA


@pytest.fixture(scope="module")
def mini_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "store"
    st = open_store(path)
    st.load(path=str(DATA / "analysis_mini.trig"), format=RdfFormat.TRIG)
    st.flush()
    return path


@pytest.fixture(scope="module")
def G(mini_path):
    return load_graph(open_store(mini_path, read_only=True))


def _edges(G: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    return {(u, v, k) for u, v, k in G.edges(keys=True)}


def _written(G, fmt: str) -> bytes:
    buf = io.BytesIO()
    export(G, fmt, buf, seed=0)
    return buf.getvalue()


def test_export_registry_sweep(G, tmp_path):
    for name, exporter in EXPORTERS.items():
        data = _written(G, name)
        assert data, name
        path = tmp_path / f"g{exporter.suffix}"
        exporter.write(G, path)  # a path works as well as a stream
        assert path.read_bytes()[:64] == data[:64] or name in {"svg"}, name
        assert "/" in exporter.media_type


def test_export_leaves_source_graph_alone(G):
    before = dict(G.nodes[next(iter(G))])
    _written(G, "gexf")
    assert dict(G.nodes[next(iter(G))]) == before


def test_export_graphml_reads_back_typed(G):
    H = nx.read_graphml(io.BytesIO(_written(G, "graphml")))
    assert set(H) == set(G)
    assert {(u, v, d["relation"]) for u, v, d in H.edges(data=True)} == _edges(G)
    n = "https://w3id.org/edukg/id/district/hexi"
    assert H.nodes[n]["label_zh"] == "河西区"
    assert isinstance(H.nodes[n]["pagerank"], float)
    assert isinstance(H.nodes[n]["community"], int)


def test_export_gexf_reads_back_with_colours(G):
    H = nx.read_gexf(io.BytesIO(_written(G, "gexf")))
    assert set(H) == set(G)
    assert {(u, v, d["label"]) for u, v, d in H.edges(data=True)} == _edges(G)
    school = "https://w3id.org/edukg/id/school/hexi-no-1-middle-school"
    assert H.nodes[school]["label"] == "Hexi No. 1 Middle School"
    c = H.nodes[school]["viz"]["color"]
    assert f"#{c['r']:02x}{c['g']:02x}{c['b']:02x}" == TYPE_COLOURS["School"]


def test_export_cytoscape_reads_back(G):
    data = json.loads(_written(G, "cytoscape"))
    H = nx.cytoscape_graph(data, name="label", ident="id")
    assert set(H) == set(G)
    assert {(u, v, k) for u, v, k in H.edges(keys=True)} == _edges(G)
    assert {el["data"]["colour"] for el in data["elements"]["nodes"]} <= set(TYPE_COLOURS.values())


def test_export_d3_node_link(G):
    data = json.loads(_written(G, "d3"))
    assert {n["id"] for n in data["nodes"]} == set(G)
    assert {(e["source"], e["target"], e["key"]) for e in data["links"]} == _edges(G)
    H = nx.node_link_graph(data, edges="links")
    assert H.number_of_edges() == G.number_of_edges()


def test_export_dot_parses(G):
    import pydot

    text = _written(G, "dot").decode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydot's parser uses deprecated pyparsing names
        (P,) = pydot.graph_from_dot_data(text)
    unq = lambda s: s.strip('"')  # noqa: E731
    nodes = {unq(n.get_name()) for n in P.get_nodes()} - {"node", "edge", "graph"}
    assert nodes == set(G)
    edges = {(unq(e.get_source()), unq(e.get_destination()), unq(e.get("relation"))) for e in P.get_edges()}
    assert edges == _edges(G)
    assert any(unq(n.get("label") or "") == "东城区" for n in P.get_nodes())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed (Debian: graphviz)")
def test_export_dot_graphviz_accepts(G):
    out = subprocess.run(["dot", "-Tjson"], input=_written(G, "dot"), capture_output=True, check=True, timeout=60)
    data = json.loads(out.stdout)
    assert {o["name"] for o in data["objects"]} == set(G)
    assert len(data["edges"]) == G.number_of_edges()


def test_export_csv_tables(G):
    with zipfile.ZipFile(io.BytesIO(_written(G, "csv"))) as zf:
        assert sorted(zf.namelist()) == ["edges.csv", "nodes.csv"]
        nodes = list(csv.DictReader(io.StringIO(zf.read("nodes.csv").decode("utf-8"))))
        edges = list(csv.DictReader(io.StringIO(zf.read("edges.csv").decode("utf-8"))))
    assert {r["id"] for r in nodes} == set(G)
    assert {(r["source"], r["target"], r["relation"]) for r in edges} == _edges(G)
    assert _written(G, "csv-nodes").decode("utf-8").splitlines()[0].startswith("id,label,")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_export_png_real_image_of_expected_size(G):
    buf = io.BytesIO()
    EXPORTERS["png"].write(G, buf, width=640, height=480)
    assert _png_size(buf.getvalue()) == (640, 480)
    assert _png_size(_written(G, "png")) == (1200, 900)
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(buf.getvalue()))
    assert pixels.shape[:2] == (480, 640)
    assert pixels.std() > 0.01  # something is drawn, not a blank page


def test_export_svg_is_svg(G):
    root = ElementTree.fromstring(_written(G, "svg"))
    assert root.tag.endswith("svg")
    assert root.get("width") == "864pt"  # 1200 px at 100 dpi = 12 in = 864 pt


def test_export_unknown_format():
    with pytest.raises(NotFoundError):
        get_exporter("xlsx")


def test_export_cli_filtered(mini_path, tmp_path):
    from kg.cli import main

    out = tmp_path / "schools.graphml"
    result = CliRunner().invoke(main, ["export", "--store", str(mini_path), "--format", "graphml", "-o", str(out),
                                       "--district", "hexi", "--type", "School", "--type", "EducationGroup"])
    assert result.exit_code == 0, result.output
    H = nx.read_graphml(out)
    expected = load_graph(open_store(mini_path, read_only=True),
                          Filters(districts=("hexi",), types=("School", "EducationGroup")))
    assert set(H) == set(expected) and len(H) == 5
    assert H.number_of_edges() == expected.number_of_edges()
    stdout = CliRunner().invoke(main, ["export", "--store", str(mini_path), "--format", "d3"])
    assert stdout.exit_code == 0 and len(json.loads(stdout.stdout_bytes)["nodes"]) == 15
