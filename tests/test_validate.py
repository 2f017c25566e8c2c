"""SHACL validation (kg.validate + ontology/shapes.ttl) on tests/data/mini.trig, a broken copy and the seeds."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH

from kg import vocab
from kg.errors import OntologyError
from kg.validate import SHAPES_PATH, union_graph, validate_graph, validate_store

from .conftest import DATA

MINI = DATA / "mini.trig"
EDU = vocab.EDU
ID = vocab.ID_NS


def _u(iri: str) -> URIRef:
    return URIRef(iri)


XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")


@pytest.fixture(scope="session")
def mini_oxstore() -> ox.Store:
    store = ox.Store()
    store.load(path=str(MINI), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="session")
def mini_union(mini_oxstore) -> Graph:
    return union_graph(mini_oxstore)


def _graph(store: ox.Store, name: ox.NamedNode) -> Graph:
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
    return Graph().parse(data=data, format="nt")


# --- the fixture itself --------------------------------------------------------------------------


def test_validate_mini_fixture_has_every_core_class(mini_union):
    core = (
        "City",
        "District",
        "School",
        "EducationGroup",
        "Policy",
        "GovernmentBody",
        "Person",
        "Observation",
        "Article",
        "Evidence",
    )
    counts = {name: len(set(mini_union.subjects(RDF.type, _u(EDU[name])))) for name in core}
    assert counts["School"] >= 3 and all(counts.values()), counts
    group = next(mini_union.subjects(RDF.type, _u(EDU.EducationGroup)))
    assert mini_union.value(group, _u(EDU.leadSchool)) is not None
    assert len(set(mini_union.subjects(_u(EDU.memberOf), group))) >= 3


def test_validate_mini_fixture_is_bilingual_and_shares_entities(mini_oxstore):
    names = [g for g in mini_oxstore.named_graphs() if g.value.startswith(vocab.GRAPH_NS + "article/")]
    graphs = [_graph(mini_oxstore, name) for name in names]
    assert len(graphs) == 2
    langs = [{str(o) for o in g.objects(None, DCTERMS.language)} for g in graphs]
    assert sorted(map(tuple, langs)) == [("en",), ("zh",)]
    mentioned = [set(g.objects(None, _u(EDU.mentions))) for g in graphs]
    assert mentioned[0] & mentioned[1], "no entity is shared by the two articles"
    labels = {o.language for g in graphs for o in g.objects(None, RDFS.label)}
    assert labels == {"en", "zh"}


def test_validate_mini_fixture_quotes_are_exact_substrings(mini_union):
    checked = 0
    for node, quote in mini_union.subject_objects(_u(EDU.quote)):
        article = mini_union.value(node, _u("http://www.w3.org/ns/prov#wasDerivedFrom"))
        text = str(mini_union.value(article, _u(EDU.text)))
        start = int(mini_union.value(node, _u(EDU.startOffset)))
        end = int(mini_union.value(node, _u(EDU.endOffset)))
        assert text[start:end] == str(quote)
        checked += 1
    assert checked >= 30


# --- shapes file ----------------------------------------------------------------------------------


def test_validate_shapes_target_every_vocab_class_and_only_vocab_terms():
    shapes = Graph().parse(SHAPES_PATH, format="turtle")
    targets = {str(o) for o in shapes.objects(None, SH.targetClass)}
    assert targets == {EDU[name] for name in vocab.CLASSES}
    used = {str(x) for t in shapes for x in t if isinstance(x, URIRef) and str(x).startswith(vocab.EDU_NS)}
    assert all(iri[len(vocab.EDU_NS) :] in vocab.EDU for iri in used), sorted(used)


# --- conforming data ------------------------------------------------------------------------------


def test_validate_mini_conforms(mini_union):
    report = validate_graph(mini_union)
    assert report.conforms, report.text
    assert report.results == [] and bool(report)


def test_validate_store_on_disk_and_in_memory(tmp_path):
    disk = ox.Store(str(tmp_path / "store"))
    disk.load(path=str(MINI), format=ox.RdfFormat.TRIG)
    disk.flush()
    n_quads = len(disk)
    del disk
    memory = ox.Store()
    memory.load(path=str(MINI), format=ox.RdfFormat.TRIG)
    assert len(union_graph(memory)) == len({(q.subject, q.predicate, q.object) for q in memory})
    assert validate_store(memory).conforms
    report = validate_store(tmp_path / "store")
    assert report.conforms, report.text
    assert n_quads > 400


# --- a broken copy --------------------------------------------------------------------------------

CITY = ID + "city/lanshan"
QIAOBEI = ID + "school/qiaobei-primary-school"
SONGYUAN_EXP = ID + "school/songyuan-experimental-primary-school"
LEAD = ID + "school/lanshan-no-7-middle-school"
GROUP = ID + "educationgroup/lanshan-no-7-middle-school-education-group"
PERSON = ID + "person/fang-mingyuan"
ARTICLE_ZH = ID + "article/mini-zh-L1"
DISTRICT = ID + "district/lanshan-songyuan"


def _observation(g: Graph, value: str) -> URIRef:
    return next(s for s, o in g.subject_objects(_u(EDU.value)) if str(o) == value)


def _break(g: Graph) -> dict[str, tuple[str, str]]:
    """Apply one defect per focus node; returns {defect: (focus IRI, expected message fragment)}."""
    g.remove((_u(QIAOBEI), RDFS.label, None))  # missing label
    g.remove((_u(SONGYUAN_EXP), _u(EDU.memberOf), None))
    g.add((_u(SONGYUAN_EXP), _u(EDU.memberOf), _u(DISTRICT)))  # wrong range
    g.add((_u(CITY), RDFS.label, Literal("Lanshan Municipality", lang="en")))  # duplicate @en label
    g.remove((_u(PERSON), RDFS.label, None))
    g.add((_u(PERSON), RDFS.label, Literal("Fang Mingyuan")))  # label without language tag
    g.remove((_u(LEAD), _u(EDU.memberOf), _u(GROUP)))  # lead school no longer a member
    kg_obs, pct_obs, yuan_obs = _observation(g, "3"), _observation(g, "92.5"), _observation(g, "120000000")
    g.set((kg_obs, _u(EDU.value), Literal("three")))  # value not a number
    g.set((pct_obs, _u(EDU.year), Literal(2021, datatype=XSD_INTEGER)))  # year not a gYear
    g.set((yuan_obs, _u(EDU.quote), Literal("invested 120 million")))  # quote does not match offsets
    g.remove((_u(ARTICLE_ZH), DCTERMS.language, None))  # article without language
    return {  # defect: (focus node, expected line fragment)
        "missing label": (QIAOBEI, "rdfs:label: has no rdfs:label"),
        "wrong range": (SONGYUAN_EXP, "edu:memberOf: edu:memberOf must point to an edu:EducationGroup"),
        "duplicate @en label": (CITY, "rdfs:label: has more than one rdfs:label in the same language"),
        "untagged label": (PERSON, 'rdfs:label must be a non-empty string tagged @en or @zh (value "Fang Mingyuan")'),
        "lead school not member": (GROUP, "edu:leadSchool: the lead school is not edu:memberOf its group"),
        "value not a number": (str(kg_obs), "edu:value: needs exactly one edu:value typed xsd:integer or xsd:decimal"),
        "year not a gYear": (str(pct_obs), "edu:year: edu:year must be a single xsd:gYear"),
        "quote off its offsets": (str(yuan_obs), "edu:quote is not the article text between edu:startOffset"),
        "article without language": (ARTICLE_ZH, "dcterms:language: needs exactly one dcterms:language"),
    }


@pytest.fixture(scope="session")
def broken(mini_union):
    g = Graph()
    g += mini_union
    expected = _break(g)
    return validate_graph(g), expected


def test_validate_broken_copy_does_not_conform(broken):
    report, _ = broken
    assert not report.conforms and not report
    assert "Conforms: False" in report.text


DEFECTS = [
    "missing label",
    "wrong range",
    "duplicate @en label",
    "untagged label",
    "lead school not member",
    "value not a number",
    "year not a gYear",
    "quote off its offsets",
    "article without language",
]


@pytest.mark.parametrize("defect", DEFECTS)
def test_validate_broken_copy_names_each_defect(broken, defect):
    report, expected = broken
    focus, fragment = expected[defect]
    lines = [line for line in report.results if line.startswith(f"Violation: <{focus}> ")]
    assert any(fragment in line for line in lines), (fragment, lines or report.results)


def test_validate_broken_copy_reports_nothing_else(broken, mini_union):
    report, expected = broken
    # removing two memberOf facts orphans their evidence records (one per article each)
    orphaned = {
        str(ev)
        for school in (LEAD, SONGYUAN_EXP)
        for ev in mini_union.subjects(RDF.subject, _u(school))
        if mini_union.value(ev, RDF.predicate) == _u(EDU.memberOf)
    }
    assert len(orphaned) == 4
    stray = {r.split(" ", 2)[1].strip("<>"): r for r in report.results}
    focused = {focus for focus, _ in expected.values()}
    stray = {f: r for f, r in stray.items() if f not in focused}
    assert set(stray) == orphaned, stray
    assert all("the statement this evidence supports" in r for r in stray.values())


def test_validate_raise_for_violations_summarises(broken):
    report, _ = broken
    with pytest.raises(OntologyError, match=r"\d+ SHACL result\(s\)"):
        report.raise_for_violations(limit=3)


# --- the seeds ------------------------------------------------------------------------------------


def test_validate_seed_graph_conforms(seed_store_path):
    started = time.perf_counter()
    report = validate_store(seed_store_path)
    elapsed = time.perf_counter() - started
    assert report.conforms, "\n".join(report.results[:40])
    assert elapsed < 60
