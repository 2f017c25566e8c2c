"""ontology/edukg.ttl: registry sweep against kg.vocab, bilingual labels, alignment, SKOS schemes."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg import ontology, vocab
from kg.ontology import ONTOLOGY_PATH, POLICIES_TSV, UNITS_TSV

EDU_TERMS = sorted(vocab.EDU)
KIND_OF = {
    **{name: OWL.Class for name in vocab.CLASSES},
    **{name: OWL.ObjectProperty for name in vocab.OBJECT_PROPERTIES},
    **{name: OWL.DatatypeProperty for name in vocab.DATA_PROPERTIES},
}
ALIGNED_NAMESPACES = {
    "schema.org": "https://schema.org/",
    "W3C ORG": "http://www.w3.org/ns/org#",
    "PROV-O": "http://www.w3.org/ns/prov#",
    "SKOS": "http://www.w3.org/2004/02/skos/core#",
    "Dublin Core": "http://purl.org/dc/terms/",
    "Data Cube": "http://purl.org/linked-data/cube#",
}


@pytest.fixture(scope="session")
def onto():
    return ontology.load_ontology()


def _texts(graph, subject, predicate) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for obj in graph.objects(subject, predicate):
        assert isinstance(obj, Literal), f"{subject} {predicate} {obj!r} is not a literal"
        out.setdefault(obj.language or "", []).append(str(obj))
    return out


def test_ontology_has_no_blank_nodes_and_parses_in_oxigraph(onto):
    # the file goes into the store; blank nodes would make dumps differ between builds
    assert not [t for t in onto if any(isinstance(x, BNode) for x in t)]
    triples = list(ox.parse(path=str(ONTOLOGY_PATH), format=ox.RdfFormat.TURTLE))
    assert len(triples) == len(onto)


def test_ontology_header_declares_version_and_metadata(onto):
    node = URIRef(ontology.ONTOLOGY_IRI)
    assert (node, RDF.type, OWL.Ontology) in onto
    for predicate in (OWL.versionInfo, OWL.versionIRI, DCTERMS.created, DCTERMS.license):
        assert onto.value(node, predicate) is not None, predicate
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert set(_texts(onto, node, predicate)) >= {"en", "zh"}, predicate
    meta = ontology.metadata(onto)
    assert meta["version_iri"].endswith(meta["version"])


@pytest.mark.parametrize("name", EDU_TERMS)
def test_ontology_declares_every_vocab_term(onto, name):
    iri = URIRef(vocab.EDU[name])
    assert (iri, RDF.type, KIND_OF[name]) in onto, f"edu:{name} is not declared as {KIND_OF[name]}"
    assert (iri, RDFS.isDefinedBy, URIRef(ontology.ONTOLOGY_IRI)) in onto


def test_ontology_declares_nothing_outside_vocab(onto):
    used = {str(x) for t in onto for x in t if isinstance(x, URIRef) and str(x).startswith(vocab.EDU_NS)}
    unknown = sorted(iri for iri in used if iri[len(vocab.EDU_NS) :] not in vocab.EDU)
    assert not unknown, f"edu: terms in edukg.ttl but not in kg.vocab: {unknown}"


@pytest.mark.parametrize("name", EDU_TERMS)
def test_ontology_term_has_one_label_and_comment_per_language(onto, name):
    iri = URIRef(vocab.EDU[name])
    for predicate in (RDFS.label, RDFS.comment):
        texts = _texts(onto, iri, predicate)
        assert set(texts) == {"en", "zh"}, f"edu:{name} {predicate}: languages {sorted(texts)}"
        assert all(len(v) == 1 and v[0].strip() for v in texts.values()), (name, texts)
    zh_label = _texts(onto, iri, RDFS.label)["zh"][0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh_label), f"edu:{name} zh label {zh_label!r} has no Chinese"


@pytest.mark.parametrize("name", vocab.OBJECT_PROPERTIES + vocab.DATA_PROPERTIES)
def test_ontology_property_has_domain_and_range(onto, name):
    iri = URIRef(vocab.EDU[name])
    assert onto.value(iri, RDFS.domain) is not None, f"edu:{name} has no rdfs:domain"
    assert onto.value(iri, RDFS.range) is not None, f"edu:{name} has no rdfs:range"


@pytest.mark.parametrize("name", vocab.CLASSES)
def test_ontology_class_is_aligned_outside_edu(onto, name):
    parents = [str(o) for o in onto.objects(URIRef(vocab.EDU[name]), RDFS.subClassOf)]
    parents += [str(o) for o in onto.objects(URIRef(vocab.EDU[name]), OWL.equivalentClass)]
    assert any(not p.startswith(vocab.EDU_NS) for p in parents), f"edu:{name} is not aligned to any vocabulary"


@pytest.mark.parametrize("vocabulary", sorted(ALIGNED_NAMESPACES))
def test_ontology_aligns_with_each_required_vocabulary(onto, vocabulary):
    ns = ALIGNED_NAMESPACES[vocabulary]
    links = (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty, RDF.type)
    hits = [
        (s, o)
        for p in links
        for s, o in onto.subject_objects(p)
        if str(s).startswith(vocab.EDU_NS) and str(o).startswith(ns)
    ]
    assert hits, f"no edu: term is aligned with {vocabulary}"


def test_ontology_contract_ranges(onto):
    edu = vocab.EDU
    by_name = {t.name: t for t in ontology.properties(onto)}
    assert by_name["memberOf"].domain == (edu.School,) and by_name["memberOf"].range == (edu.EducationGroup,)
    assert by_name["leadSchool"].range == (edu.School,)
    assert set(by_name["locatedIn"].range) >= {edu.District, edu.City}
    assert set(by_name["implements"].domain) == {edu.City, edu.District, edu.EducationGroup, edu.School}
    assert by_name["year"].range == ("http://www.w3.org/2001/XMLSchema#gYear",)


def test_ontology_api_lists_every_term_with_labels(onto):
    cls, props = ontology.classes(onto), ontology.properties(onto)
    assert [t.name for t in cls] == sorted(vocab.CLASSES)
    assert sorted(t.name for t in props) == sorted(vocab.OBJECT_PROPERTIES + vocab.DATA_PROPERTIES)
    assert all(t.label_en and t.label_zh and t.comment_en and t.comment_zh for t in cls + props)
    assert {t.kind for t in props} == {"object property", "data property"}
    school = ontology.term("School", onto)
    assert school.label("zh") == "学校" and "https://schema.org/School" in school.superclasses
    with pytest.raises(KeyError):
        ontology.term("NoSuchTerm", onto)


def test_ontology_scheme_block_is_current():
    assert ontology.schemes_are_current(), "run: python -m kg.ontology --write-schemes"


@pytest.mark.parametrize(
    ("tsv", "mint", "cls", "scheme"),
    [
        (POLICIES_TSV, lambda i: vocab.mint_iri("Policy", i), "Policy", ontology.POLICY_SCHEME),
        (UNITS_TSV, vocab.unit_iri, "Unit", ontology.UNIT_SCHEME),
    ],
    ids=["policies", "units"],
)
def test_ontology_scheme_has_one_concept_per_row(onto, tsv, mint, cls, scheme):
    rows = ontology.read_thesaurus(tsv)
    assert rows
    assert (URIRef(scheme), RDF.type, SKOS.ConceptScheme) in onto
    members = set(onto.subjects(SKOS.inScheme, URIRef(scheme)))
    assert members == {URIRef(mint(r["id"])) for r in rows}
    for row in rows:
        node = URIRef(mint(row["id"]))
        assert (node, RDF.type, SKOS.Concept) in onto and (node, RDF.type, URIRef(vocab.EDU[cls])) in onto
        pref = _texts(onto, node, SKOS.prefLabel)
        assert pref == {"en": [row["en"]], "zh": [row["zh"]]}
        alts = {a for v in _texts(onto, node, SKOS.altLabel).values() for a in v}
        assert not alts & {row["en"], row["zh"]}, "prefLabel repeated as altLabel"


def test_ontology_write_schemes_picks_up_a_new_policy(tmp_path):
    ttl, policies = tmp_path / "edukg.ttl", tmp_path / "policies.tsv"
    shutil.copy(ONTOLOGY_PATH, ttl)
    shutil.copy(POLICIES_TSV, policies)
    with policies.open("a", encoding="utf-8") as fh:
        fh.write("test-new-policy\tTest new policy\t测试新政策\ttest policy\t测试政策\n")
    assert not ontology.schemes_are_current(ttl, policies=policies)
    assert ontology.write_schemes(ttl, policies=policies) is True
    assert ontology.schemes_are_current(ttl, policies=policies)
    assert ontology.write_schemes(ttl, policies=policies) is False
    graph = ontology.load_ontology(ttl)
    node = URIRef(vocab.mint_iri("Policy", "test-new-policy"))
    assert (node, SKOS.prefLabel, Literal("测试新政策", lang="zh")) in graph
    assert len(ontology.classes(graph)) == len(vocab.CLASSES)  # hand-written part kept


def test_ontology_cli_check_reports_stale_block(tmp_path, capsys):
    assert ontology.main(["--check"]) == 0
    stale = tmp_path / "edukg.ttl"
    text = ONTOLOGY_PATH.read_text(encoding="utf-8")
    stale.write_text(text.replace('skos:notation "yuan"', 'skos:notation "yuan-old"'), encoding="utf-8")
    assert ontology.main(["--check", "--path", str(stale)]) == 1
    assert "--write-schemes" in capsys.readouterr().err
    assert ontology.main(["--write-schemes", "--path", str(stale)]) == 0
    assert ontology.schemes_are_current(stale)
