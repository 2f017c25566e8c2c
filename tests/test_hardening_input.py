"""Hardening 1: bad articles through the real ``kg build``.

Each input is either read correctly or reported with its file (and line) and a reason; the
rest is built; the run ends with a summary and a non-zero exit code; no article is half stored.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardening_util import SEEDS, run_kg  # noqa: E402

ID = "https://w3id.org/edukg/id/"
EDU = "https://w3id.org/edukg/ontology#"
ZH_SEED = next(p for p in sorted(SEEDS.glob("*.txt")) if "\u6559" in p.read_text(encoding="utf-8")[:400])
HUGE_BYTES = 50 * 1024 * 1024

ZH_TEXT = (
    "岳麓区教育局召开集团化办学推进会\n\n2023年3月1日\n\n"
    "长沙市岳麓区教育局表示,岳麓区新建学校12所,岳麓区实验小学加入教育集团。\n"
)
EN_TEXT = (
    "Café owners welcome the new Yuelu schools\n\n2023-03-01\n\n"
    "The Yuelu District Education Bureau said 12 new schools opened in 2022 – “a record”.\n"
)


def _write_inputs(folder: Path) -> dict[str, dict]:
    """The bad and odd inputs; value: what must happen ('read' with title, or 'skip' with reason words)."""
    folder.mkdir()
    rnd = random.Random(6)
    cases: dict[str, dict] = {}

    def put(name: str, data: bytes, **expect) -> None:
        (folder / name).write_bytes(data)
        cases[name] = expect

    put("empty.txt", b"", skip=("empty",))
    put("blank.txt", b" \n\t\r\n  \n", skip=("empty",))
    put("binary.txt", bytes(rnd.randrange(256) for _ in range(4096)) + b"\x00\x00", skip=("binary",))
    put("png_named.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, skip=("binary",))
    put("title_only.txt", b"Only a title here\n", skip=("body",))
    put("gb18030.txt", ZH_TEXT.encode("gb18030"), title=ZH_TEXT.split("\n")[0])
    put("gbk.txt", ZH_TEXT.replace("岳麓", "雨花").encode("gbk"), title=ZH_TEXT.split("\n")[0].replace("岳麓", "雨花"))
    put("utf16le_bom.txt", EN_TEXT.encode("utf-16"), title=EN_TEXT.split("\n")[0])
    put(
        "utf16be_bom.txt",
        b"\xfe\xff" + ZH_TEXT.replace("岳麓", "天心").encode("utf-16-be"),
        title=ZH_TEXT.split("\n")[0].replace("岳麓", "天心"),
    )
    put(
        "utf8_bom.txt",
        b"\xef\xbb\xbf" + EN_TEXT.replace("Yuelu", "Kaifu").encode("utf-8"),
        title=EN_TEXT.split("\n")[0].replace("Yuelu", "Kaifu"),
    )
    put(
        "crlf_cp1252.txt",
        EN_TEXT.replace("Yuelu", "Furong").replace("\n", "\r\n").encode("cp1252"),
        title=EN_TEXT.split("\n")[0].replace("Yuelu", "Furong"),
    )
    put(
        "french.txt",
        (
            "La rentrée scolaire à Paris\n\nLe ministère de l'Éducation nationale a annoncé "
            "l'ouverture de douze nouvelles écoles primaires dans la capitale cette année, "
            "selon le rectorat de l'académie.\n"
        ).encode(),
        skip=("language",),
    )
    put(
        "russian.txt",
        (
            "Новые школы в Москве\n\nДепартамент образования Москвы сообщил об открытии "
            "двенадцати новых школ в этом году.\n"
        ).encode("cp1251"),
        skip=("language",),
    )
    put(
        "page.html",
        (
            b"<!doctype html><html><head><meta charset='utf-8'><title>Kaifu District opens schools</title>"
            b"<style>body { color: red } .SECRET-STYLE { }</style><script>var SECRET_SCRIPT = 1;</script></head>"
            b"<body><nav>Home | News</nav><article><h1>Kaifu District opens schools</h1>"
            b"<p>The Kaifu District Education Bureau said 5 new schools opened in 2022.</p>"
            b"<script>document.write('SECRET_INLINE')</script></article></body></html>"
        ),
        title="Kaifu District opens schools",
        absent=("SECRET_SCRIPT", "SECRET-STYLE", "SECRET_INLINE"),
    )
    lines = [
        json.dumps(
            {"title": "Line one about Yuhua", "text": "The Yuhua District Education Bureau met.", "date": "2023-01-02"}
        ),
        '{"title": "broken", "text": "unterminated',
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "no text at all"}),
        "",
        json.dumps({"title": "第五行", "text": "雨花区教育局召开会议,雨花区新建学校3所。", "lang": "zh"}),
        json.dumps({"title": 5, "text": {"nested": True}}),
        "\x00\x01 garbage",
    ]
    put(
        "feed.jsonl",
        "\n".join(lines).encode("utf-8"),
        jsonl={"1": "Line one about Yuhua", "6": "第五行"},
        bad_lines=(2, 3, 4, 7, 8),
    )
    with (folder / "huge.txt").open("wb") as out:
        chunk = ("Huge file\n\n" + "The Yuelu District Education Bureau met again. " * 2000 + "\n").encode()
        while out.tell() < HUGE_BYTES:
            out.write(chunk)
    cases["huge.txt"] = {"skip": ("large",)}
    put("notes.pdf", b"%PDF-1.4 not an article", skip=("unsupported",))
    return cases


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    """(cases, inputs folder, store, completed `kg build`) for seeds + bad inputs in one run."""
    root = tmp_path_factory.mktemp("hardening-input")
    folder = root / "inputs"
    cases = _write_inputs(folder)
    store = root / "store"
    # the .pdf is named directly (a folder scan ignores unknown suffixes); one seed shows the rest is built
    proc = run_kg("build", "--store", store, folder, folder / "notes.pdf", ZH_SEED)
    yield cases, folder, store, proc
    (folder / "huge.txt").unlink(missing_ok=True)


def _titles(store: Path) -> dict[str, str]:
    """source file name -> dcterms:title of every stored article."""
    from kg.store import open_store, rows

    q = f"""SELECT ?f ?t WHERE {{ ?a a <{EDU}Article> ; <{EDU}sourceFile> ?f ;
            <http://purl.org/dc/terms/title> ?t }}"""
    return {r["f"]: r["t"] for r in rows(open_store(store, read_only=True), q)}


def test_hardening_input_exit_code_and_summary(bad_build):
    _, _, _, proc = bad_build
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "articles read" in proc.stderr and "skipped" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_hardening_input_every_bad_file_reported_with_reason(bad_build):
    cases, _, _, proc = bad_build
    skipped = [line for line in proc.stderr.splitlines() if line.lstrip().startswith("skipped ")]
    for name, expect in cases.items():
        if "skip" not in expect:
            continue
        hits = [line for line in skipped if name in line]
        assert hits, f"{name} not reported:\n{proc.stderr[-3000:]}"
        assert any(all(word in line.lower() for word in expect["skip"]) for line in hits), (name, hits)


def test_hardening_input_jsonl_lines_reported_with_line_numbers(bad_build):
    cases, _, _, proc = bad_build
    for number in cases["feed.jsonl"]["bad_lines"]:
        assert f"feed.jsonl:{number}: " in proc.stderr, (number, proc.stderr[-3000:])
    assert "feed.jsonl:1: " not in proc.stderr and "feed.jsonl:6: " not in proc.stderr


def test_hardening_input_good_files_read_with_the_right_text(bad_build):
    cases, _, store, _ = bad_build
    titles = _titles(store)
    for name, expect in cases.items():
        if "title" in expect:
            assert titles.get(name) == expect["title"], (name, titles.get(name))
        if "skip" in expect:
            assert name not in titles
    assert ZH_SEED.name in titles


def test_hardening_input_jsonl_good_lines_built(bad_build):
    from kg.store import open_store, rows

    cases, _, store, _ = bad_build
    q = f"""SELECT ?a ?t WHERE {{ ?a <{EDU}sourceFile> "feed.jsonl" ; <http://purl.org/dc/terms/title> ?t }}"""
    got = {r["a"].rsplit("-L", 1)[-1]: r["t"] for r in rows(open_store(store, read_only=True), q)}
    assert got == cases["feed.jsonl"]["jsonl"]


def test_hardening_input_html_scripts_and_styles_not_in_text(bad_build):
    from kg.store import open_store, rows

    cases, _, store, _ = bad_build
    q = f"""SELECT ?x WHERE {{ ?a <{EDU}sourceFile> "page.html" ; <{EDU}text> ?x }}"""
    (text,) = [r["x"] for r in rows(open_store(store, read_only=True), q)]
    assert "Kaifu District Education Bureau" in text
    for secret in cases["page.html"]["absent"]:
        assert secret not in text


def test_hardening_input_no_half_article(bad_build):
    """Every article graph holds its completion marker, its Article node, title and text, and
    skipped inputs have no graph at all."""
    from kg.store import open_store, rows

    cases, _, store, _ = bad_build
    st = open_store(store, read_only=True)
    graphs = [r["g"] for r in rows(st, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]
    article_graphs = [g for g in graphs if "/graph/article/" in g]
    articles = rows(st, f"SELECT DISTINCT ?a WHERE {{ ?a a <{EDU}Article> }}")
    assert len(article_graphs) == len(articles) == 10  # 7 files + 2 JSONL lines + 1 seed
    for g in article_graphs:
        q = f"""SELECT (COUNT(?h) AS ?n) (SAMPLE(?t) AS ?title) (SAMPLE(?x) AS ?text) WHERE {{ GRAPH <{g}> {{
                ?a <{EDU}contentHash> ?h ; a <{EDU}Article> ;
                   <http://purl.org/dc/terms/title> ?t ; <{EDU}text> ?x }} }}"""
        (row,) = rows(st, q)
        assert row["n"] == "1" and row.get("title") and row.get("text"), g
    skipped_stems = {Path(n).stem for n, e in cases.items() if "skip" in e}
    assert not [g for g in article_graphs if g.rsplit("/", 1)[-1] in skipped_stems]


def test_hardening_input_rerun_is_stable(bad_build, tmp_path):
    """A second run reports the same problems, changes nothing and still exits non-zero."""
    cases, folder, store, first = bad_build
    from kg.store import dump, open_store

    before = tmp_path / "before.nq"
    dump(open_store(store, read_only=True), before)
    again = run_kg("build", "--store", store, folder, folder / "notes.pdf", ZH_SEED)
    assert again.returncode == 1
    assert "0 added, 0 replaced" in again.stderr
    after = tmp_path / "after.nq"
    dump(open_store(store, read_only=True), after)
    assert before.read_bytes() == after.read_bytes()
    skipped = lambda text: sorted(line.strip() for line in text.splitlines() if line.startswith("  skipped "))  # noqa: E731
    assert skipped(again.stderr) == skipped(first.stderr)


def test_hardening_input_missing_path_is_a_clean_error(tmp_path):
    proc = run_kg("build", "--store", tmp_path / "store", tmp_path / "no-such-folder")
    assert proc.returncode != 0
    assert "no-such-folder" in proc.stderr and "Traceback" not in proc.stderr
