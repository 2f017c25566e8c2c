"""Hardening 2: hostile text — markup, IRI-breaking characters, newlines, bidi and zero-width
characters, very long names — in titles, bodies, names and file names.

Every minted IRI is valid and stable; every literal round-trips through every ``kg dump``
format; every HTML page keeps an injected ``<script>`` inert (checked with real HTML parsers).
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from pathlib import Path

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardening_util import PAYLOAD, run_kg, shared_server, shared_store, write_hostile_corpus  # noqa: E402

from kg.vocab import ENTITY_KINDS, article_iri, entity_iri, graph_iri, mint_iri, slugify, unit_iri  # noqa: E402

ID = "https://w3id.org/edukg/id/"
EDU = "https://w3id.org/edukg/ontology#"
HOSTILE_CHARS = '<>"{}|\\^`\n\r\t \u202e\u202b\u200f\u200e\u200b\u2066\ufeff\u00a0\u3000%#?/:.'
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8"), st.sampled_from("岳麓区中学集团")),
    max_size=300,
)
RDFLIB_FORMATS = {
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "turtle": "turtle",
    "ntriples": "nt",
    "rdfxml": "xml",
}
DATASET_FORMATS = {"nquads", "trig", "jsonld"}


# --------------------------------------------------------------------------- IRIs


def _assert_valid_iri(iri: str) -> None:
    NamedNode(iri)  # oxiri: RFC 3987
    g = rdflib.Graph()
    g.parse(data=f"<{iri}> <urn:x:p> <urn:x:o> .\n", format="nt")  # rdflib's strict N-Triples grammar
    assert str(next(iter(g))[0]) == iri
    assert not set(iri) & set('<>"{}|\\^` \n\r\t\u202e\u200b'), iri
    assert len(iri) <= 200, iri


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=HOSTILE_TEXT, kind=st.sampled_from(ENTITY_KINDS))
def test_hardening_text_minted_iris_valid_and_deterministic(key, kind):
    minted = [mint_iri(kind, key), entity_iri(f"{kind}/{key}"), article_iri(key), unit_iri(key)]
    minted.append(graph_iri(minted[2]))
    for iri in minted:
        _assert_valid_iri(iri)
    again = [mint_iri(kind, key), entity_iri(f"{kind}/{key}"), article_iri(key), unit_iri(key)]
    assert again == minted[:4]
    assert slugify(key) == slugify(key)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> dict[str, Path]:
    """``kg dump`` of the shared store (seeds + hostile corpus) in every format."""
    store = shared_store()
    out = tmp_path_factory.mktemp("hardening-dumps")
    files = {}
    for fmt in RDFLIB_FORMATS:
        path = out / f"dump.{fmt}"
        proc = run_kg("dump", "--store", store, "--format", fmt, "-o", path)
        assert proc.returncode == 0, proc.stderr
        files[fmt] = path
    return files


def _parse(path: Path, fmt: str) -> set[tuple]:
    if fmt in DATASET_FORMATS:
        ds = rdflib.Dataset()
        ds.parse(path, format=RDFLIB_FORMATS[fmt])
        return {(s, p, o, g.identifier if hasattr(g, "identifier") else g) for s, p, o, g in ds.quads()}
    g = rdflib.Graph()
    g.parse(path, format=RDFLIB_FORMATS[fmt])
    return set(g)


@pytest.fixture(scope="module")
def reference(dumps) -> set[tuple]:
    return _parse(dumps["nquads"], "nquads")


def test_hardening_text_every_iri_in_the_store_is_valid(reference):
    iris = {str(t) for quad in reference for t in quad if isinstance(t, rdflib.URIRef)}
    assert len(iris) > 100
    for iri in iris:
        NamedNode(iri)
        assert not set(iri) & set('<>"{}|\\^` \n\r\t\u202e\u200b'), iri


def test_hardening_text_hostile_strings_reach_the_literals(reference):
    """The corpus really put hostile characters into literals (or the round trip proves nothing)."""
    literals = [str(q[2]) for q in reference if isinstance(q[2], rdflib.Literal)]
    joined = "\n".join(literals)
    for ch in '<>"{}|\\^`\u202e\u200f\u200b\ufeff\U0001f600':
        assert ch in joined, repr(ch)
    assert any("\n" in lit and "<script>" in lit for lit in literals)
    assert any(len(lit) > 400 and "Looooo" in lit for lit in literals)
    assert "<script>alert(" in joined and PAYLOAD in joined
    assert not set(joined) & set("\x0c\x1b\x07\uffff"), "control characters must not reach the graph"


@pytest.mark.parametrize("fmt", [f for f in RDFLIB_FORMATS if f != "nquads"])
def test_hardening_text_every_serialisation_round_trips(dumps, reference, fmt):
    got = _parse(dumps[fmt], fmt)
    expected = reference if fmt in DATASET_FORMATS else {(s, p, o) for s, p, o, _ in reference}
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (fmt, sorted(map(str, missing))[:3], sorted(map(str, extra))[:3])


def test_hardening_text_graphs_stable_across_rebuilds(tmp_path):
    """The hostile articles alone, built into a fresh store, give the same article graphs
    (same IRIs, same quads) as in the shared build with the seeds."""
    from hardening_util import graph_quads

    from kg.store import open_store

    files = write_hostile_corpus(tmp_path / "hostile")
    store = tmp_path / "store"
    proc = run_kg("build", "--quiet", "--store", store, *reversed(files))
    assert proc.returncode == 0, proc.stderr
    alone = open_store(store, read_only=True)
    shared = open_store(shared_store(), read_only=True)
    graphs = sorted(g.value for g in alone.named_graphs() if "/graph/article/" in g.value)
    assert len(graphs) == len(files)
    for g in graphs:
        assert graph_quads(alone, g) == graph_quads(shared, g), g


# --------------------------------------------------------------------------- HTML pages


_JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'")


def _check_js(code: str, where: str) -> None:
    """In script code the payload may only be data: inside a string literal (Jinja's ``|tojson``
    output) that is not itself the argument of the injected ``alert(``."""
    spans = [m.span() for m in _JS_STRING.finditer(code)]
    start = code.find(PAYLOAD)
    while start != -1:
        inside = next(((a, b) for a, b in spans if a < start < b), None)
        assert inside is not None, (where, "payload outside a string literal", code[max(0, start - 80) : start + 40])
        assert not code[: inside[0]].rstrip().endswith("alert("), (
            where,
            "payload is live code",
            code[max(0, start - 80) : start + 40],
        )
        start = code.find(PAYLOAD, start + 1)


def _check_inert(html: str, where: str) -> None:
    """No script element, event handler or javascript: URL carries the payload."""
    import json

    from bs4 import BeautifulSoup

    for parser in ("html.parser", "lxml"):
        soup = BeautifulSoup(html, parser)
        for script in soup.find_all("script"):
            body = script.string or script.get_text() or ""
            if PAYLOAD not in body and PAYLOAD not in str(script.get("src", "")):
                continue
            kind = (script.get("type") or "").lower()
            if kind in ("application/json", "application/ld+json"):
                json.loads(body)  # a data block, inert: it must be valid JSON
                continue
            assert not script.get("src"), (where, parser, str(script)[:300])
            _check_js(body, f"{where} ({parser})")
        for tag in soup.find_all(True):
            for name, value in tag.attrs.items():
                value = " ".join(value) if isinstance(value, list) else str(value)
                if name.lower().startswith("on"):
                    assert PAYLOAD not in value, (where, parser, str(tag)[:300])
                if name.lower() in ("href", "src", "action", "formaction", "data", "srcdoc"):
                    squashed = "".join(value.split()).lower()
                    live = squashed.startswith(("javascript:", "data:text/html"))
                    assert not (live and PAYLOAD.lower() in squashed), (where, str(tag)[:300])
            if tag.name in ("iframe", "object", "embed", "base"):
                assert PAYLOAD not in str(tag), (where, str(tag)[:300])


@pytest.fixture(scope="module")
def server():
    return shared_server()


def _hostile_nodes() -> dict[str, list[str]]:
    """IRIs the hostile articles produced: articles, mentioned entities, payload-carrying records."""
    from kg.store import open_store, rows

    st_ = open_store(shared_store(), read_only=True)
    arts = [
        r["a"]
        for r in rows(
            st_,
            f"""SELECT ?a WHERE {{ ?a a <{EDU}Article> ; <{EDU}sourceFile> ?f
                                       FILTER(STRSTARTS(?f, "evil")) }}""",
        )
    ]
    values = " ".join(f"<{a}>" for a in arts)
    ents = [r["e"] for r in rows(st_, f"SELECT DISTINCT ?e WHERE {{ VALUES ?a {{ {values} }} ?a <{EDU}mentions> ?e }}")]
    recs = [
        r["r"]
        for r in rows(
            st_,
            f"""SELECT DISTINCT ?r WHERE {{ VALUES ?a {{ {values} }}
        ?r <http://www.w3.org/ns/prov#wasDerivedFrom> ?a ; ?q ?lit
        FILTER(isLiteral(?lit) && CONTAINS(STR(?lit), "{PAYLOAD}"))
    }} LIMIT 12""",
        )
    ]
    return {"articles": arts, "entities": ents, "records": recs}


def _page(server, target: str):
    reply = server.get(target, headers={"Accept": "text/html"})
    assert reply.status < 500, (target, reply.status, reply.text[:500])
    return reply


def _targets(nodes: dict[str, list[str]]) -> list[tuple[str, bool]]:
    """(request target, must show the payload as text) for every page to check."""
    q = urllib.parse.quote
    evil = f"<script>alert('{PAYLOAD}-reflected')</script>\"'><img src=x onerror=alert('{PAYLOAD}')>"
    out: list[tuple[str, bool]] = [
        ("/", False),
        ("/?query=" + q(evil), True),
        ("/search?q=" + q(PAYLOAD), False),
        ("/search?q=" + q(evil), True),
        ("/search?q=" + q("Education Group"), False),
        ("/queries", False),
        ("/graph", False),
        ("/graph?district=" + q(evil) + "&type=" + q(evil), False),
        ("/ontology", False),
        ("/id/" + q(evil, safe=""), False),
        ("/queries/" + q(evil, safe=""), False),
        ("/no-such-page/" + q(evil), False),
    ]
    for iri in nodes["articles"]:
        out.append(("/id/" + iri[len(ID) :], True))
    for iri in nodes["entities"] + nodes["records"]:
        out.append(("/id/" + q(iri[len(ID) :], safe="/"), False))
    district = next((e for e in nodes["entities"] if "/district/" in e), ID + "district/x")
    group = next((e for e in nodes["entities"] if "/educationgroup/" in e), ID + "educationgroup/x")
    article = nodes["articles"][0]
    params = {
        "measure": evil,
        "district": district,
        "entity": district,
        "group": group,
        "s": article,
        "p": EDU + "mentions",
        "o": district,
    }
    from hardening_util import REPO

    from kg.queries import load_queries

    for name, query in load_queries(REPO / "queries").items():
        args = "&".join(f"{p}={q(params.get(p, evil))}" for p in query.params)
        out.append((f"/queries/{name}" + (f"?{args}" if args else ""), False))
        if query.params:
            out.append((f"/queries/{name}?" + "&".join(f"{p}={q(evil)}" for p in query.params), False))
    out.append(("/queries/entity_articles?entity=" + q(district), True))
    return out


def test_hardening_text_script_injection_is_inert_in_every_page(server):
    nodes = _hostile_nodes()
    assert nodes["articles"] and nodes["entities"] and nodes["records"]
    targets = _targets(nodes)
    shown = 0
    for target, must_show in targets:
        reply = _page(server, target)
        if "html" not in reply.headers.get("content-type", ""):
            continue
        _check_inert(reply.text, target)
        if must_show:
            from bs4 import BeautifulSoup

            text = BeautifulSoup(reply.text, "html.parser").get_text()
            assert PAYLOAD in text, (target, "the payload should be shown as text")
            shown += 1
    assert shown >= len(nodes["articles"]) + 2
    assert len(targets) > 40


def test_hardening_text_page_scripts_never_write_html_from_data():
    """The page scripts build the DOM with textContent, never innerHTML & co."""
    from hardening_util import REPO

    web = REPO / "kg" / "web"
    sources = [*web.glob("static/*.js"), *web.glob("templates/*.html")]
    assert sources
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write(", "eval("):
            assert sink not in text, (path.name, sink)


@pytest.mark.parametrize(
    "html",
    [
        f"<p>x</p><script>alert('{PAYLOAD}')</script>",
        f"<img src=x onerror=\"alert('{PAYLOAD}')\">",
        f"<a href=' javascript:alert(\"{PAYLOAD}\")'>x</a>",
        f"<script>var t = \"a\"; alert('x') + {PAYLOAD};</script>",
        f"<script type='application/json'>{{\"a\": 1}} {PAYLOAD}</script>",
        f'<iframe srcdoc="{PAYLOAD}"></iframe>',
    ],
)
def test_hardening_text_checker_catches_live_payloads(html):
    """The page checker itself fails on live payloads (so a pass means something)."""
    with pytest.raises((AssertionError, ValueError)):
        _check_inert(f"<html><body>{html}</body></html>", "sample")


def test_hardening_text_checker_accepts_escaped_payloads():
    from markupsafe import escape

    evil = f"<script>alert('{PAYLOAD}')</script>"
    as_js = json.dumps(evil).replace("<", "\\u003c")
    _check_inert(
        f'<p>{escape(evil)}</p><a href="/x?q={escape(evil)}" title="{escape(evil)}">x</a>'
        f"<script>const q = {as_js};</script>",
        "escaped",
    )
