"""The installed ``kg`` console script, run as a user would run it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KG = shutil.which("kg", path=str(Path(sys.executable).parent)) or "kg"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def kg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([KG, *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"kg {' '.join(args)} exited {proc.returncode}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> str:
    store = str(tmp_path_factory.mktemp("cli") / "store")
    proc = kg("build", str(SEEDS), "--store", store)
    assert "articles read 5" in proc.stderr and "skipped 0" in proc.stderr
    return store


def test_cli_build_shows_progress_and_summary(cli_store):
    proc = kg("build", str(SEEDS), "--store", cli_store)
    assert proc.stderr.count("unchanged") >= 5
    assert "quads" in proc.stderr.splitlines()[-1]


def test_cli_build_reports_skips_with_nonzero_exit(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    proc = kg("build", str(tmp_path), "--store", str(tmp_path / "s"), check=False)
    assert proc.returncode == 1
    assert "empty.txt" in proc.stderr


def test_cli_dump_nquads_lists_core_things_per_article_graph(cli_store):
    out = kg("dump", "--store", cli_store, "--format", "nquads").stdout
    for cls in ("District", "School", "EducationGroup", "Policy", "Observation"):
        assert f"<https://w3id.org/edukg/ontology#{cls}> <https://w3id.org/edukg/graph/article/" in out
    graphs = {line.rsplit(" ", 2)[-2] for line in out.splitlines() if "/graph/article/" in line}
    assert len(graphs) == 5


@pytest.mark.parametrize("fmt", ["trig", "turtle", "jsonld"])
def test_cli_dump_other_formats_parse(cli_store, fmt):
    import rdflib

    out = kg("dump", "--store", cli_store, "--format", fmt).stdout
    g = rdflib.Dataset() if fmt in ("trig", "jsonld") else rdflib.Graph()
    g.parse(data=out, format={"trig": "trig", "turtle": "turtle", "jsonld": "json-ld"}[fmt])
    assert sum(1 for _ in (g.quads() if isinstance(g, rdflib.Dataset) else g)) > 1000
    if fmt == "jsonld":
        assert '"@context"' in out


def test_cli_query_formats_agree(cli_store):
    q = "SELECT ?d ?label WHERE { ?d a edu:District ; rdfs:label ?label } ORDER BY ?d ?label"
    table = kg("query", q, "--store", cli_store).stdout
    js = json.loads(kg("query", q, "--store", cli_store, "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(kg("query", q, "--store", cli_store, "--format", "csv").stdout)))
    labels = [b["label"]["value"] for b in js["results"]["bindings"]]
    assert labels and labels == [r["label"] for r in rows]
    for label in labels:
        assert label in table


def test_cli_query_from_file_and_bad_query(cli_store, tmp_path):
    rq = tmp_path / "n.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a a edu:Article }")
    assert "5" in kg("query", str(rq), "--store", cli_store).stdout
    bad = kg("query", "SELEC nonsense", "--store", cli_store, check=False)
    assert bad.returncode != 0 and "Error" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_missing_store_is_a_clear_error(tmp_path):
    proc = kg("query", "ASK {}", "--store", str(tmp_path / "nope"), check=False)
    assert proc.returncode != 0 and "kg build" in proc.stderr


def test_cli_validate_seed_store_conforms(cli_store):
    proc = kg("validate", "--store", cli_store)
    assert "conforms: 0 violations" in proc.stderr


def test_cli_build_bulk(tmp_path, monkeypatch):
    """`kg build` loads through the bulk loader (`--bulk`, the default) or one transaction per article
    (`--transactions`, or KG_BULK=0); `--bulk` with a remote store is a usage error."""
    from click.testing import CliRunner

    from kg import store as kgstore
    from kg.cli import main

    used = []
    for name in ("bulk_add_articles", "replace_article"):
        real = getattr(kgstore, name)
        monkeypatch.setattr(kgstore, name, lambda st, *a, _real=real, _name=name: used.append(_name) or _real(st, *a))
    runner = CliRunner()
    for args, env, way in ([], {}, "bulk_add_articles"), (["--bulk"], {}, "bulk_add_articles"), \
            (["--transactions"], {}, "replace_article"), ([], {"KG_BULK": "0"}, "replace_article"), \
            (["--bulk"], {"KG_BULK": "0"}, "bulk_add_articles"):
        used.clear()
        store = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        res = runner.invoke(main, ["build", *args, "--store", str(store), str(SEEDS)], env=env)
        assert res.exit_code == 0, res.output
        assert "5 added" in res.output
        assert set(used) == {way}, (args, env, used)
    res = runner.invoke(main, ["build", "--bulk", "--store", "http://127.0.0.1:9", str(SEEDS)])
    assert res.exit_code == 2 and "--bulk is for the embedded store" in res.output
