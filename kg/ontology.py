"""The edu: ontology file: loading it, listing its terms, and generating its SKOS schemes.

``ontology/edukg.ttl`` is hand-written except for one block, the policy and unit
SKOS concept schemes, which is generated from ``ontology/policies.tsv`` and
``ontology/units.tsv`` by ``python -m kg.ontology --write-schemes``.

Examples
--------
>>> names = [t.name for t in classes()]
>>> "School" in names and "EducationGroup" in names
True
>>> school = term("School")
>>> school.label("zh"), school.label("en")
('学校', 'School')
>>> "https://schema.org/School" in school.superclasses
True
>>> [t.range for t in properties() if t.name == "memberOf"]
[('https://w3id.org/edukg/ontology#EducationGroup',)]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import REPO
from .vocab import EDU_NS, ID_NS, mint_iri, unit_iri

__all__ = [
    "ONTOLOGY_IRI",
    "ONTOLOGY_PATH",
    "POLICY_SCHEME",
    "UNIT_SCHEME",
    "BEGIN_MARK",
    "END_MARK",
    "Term",
    "load_ontology",
    "classes",
    "properties",
    "term",
    "metadata",
    "read_thesaurus",
    "schemes_turtle",
    "write_schemes",
    "schemes_are_current",
    "main",
]

ONTOLOGY_IRI = "https://w3id.org/edukg/ontology"
ONTOLOGY_PATH = REPO / "ontology" / "edukg.ttl"
POLICIES_TSV = REPO / "ontology" / "policies.tsv"
UNITS_TSV = REPO / "ontology" / "units.tsv"
POLICY_SCHEME = ID_NS + "scheme/policy"
UNIT_SCHEME = ID_NS + "scheme/unit"

BEGIN_MARK = "# --- BEGIN GENERATED SKOS SCHEMES (python -m kg.ontology --write-schemes; do not edit by hand) ---"
END_MARK = "# --- END GENERATED SKOS SCHEMES ---"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SCHEMA = "https://schema.org/"
_KINDS = {
    _OWL + "Class": "class",
    _OWL + "ObjectProperty": "object property",
    _OWL + "DatatypeProperty": "data property",
}


@dataclass(frozen=True, slots=True)
class Term:
    """One edu: class or property as the ontology file describes it.

    ``superclasses`` holds the ``rdfs:subClassOf`` targets of a class or the
    ``rdfs:subPropertyOf`` targets of a property. ``domain`` / ``range`` list the
    exact classes (``schema:domainIncludes`` / ``rangeIncludes`` where given,
    else ``rdfs:domain`` / ``rdfs:range``); they are empty for classes.
    """

    iri: str
    name: str
    kind: str  # "class" | "object property" | "data property"
    label_en: str
    label_zh: str
    comment_en: str
    comment_zh: str
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    superclasses: tuple[str, ...] = ()
    equivalents: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` ("en" or "zh"), falling back to the other one."""
        first, second = (self.label_zh, self.label_en) if lang == "zh" else (self.label_en, self.label_zh)
        return first or second or self.name

    def comment(self, lang: str = "en") -> str:
        """The comment in ``lang`` ("en" or "zh"), falling back to the other one."""
        first, second = (self.comment_zh, self.comment_en) if lang == "zh" else (self.comment_en, self.comment_zh)
        return first or second


def load_ontology(path: str | Path | None = None):
    """Parse ``ontology/edukg.ttl`` (or ``path``) into a fresh ``rdflib.Graph``.

    >>> g = load_ontology()
    >>> len(g) > 100
    True
    """
    from rdflib import Graph

    graph = Graph()
    graph.parse(str(path or ONTOLOGY_PATH), format="turtle")
    for prefix, ns in (("edu", EDU_NS), ("id", ID_NS)):
        graph.bind(prefix, ns, override=True)
    return graph


def _texts(graph, subject, predicate: str) -> dict[str, str]:
    from rdflib import Literal, URIRef

    out: dict[str, str] = {}
    for obj in sorted(graph.objects(subject, URIRef(predicate))):
        if isinstance(obj, Literal):
            out.setdefault((obj.language or "").split("-")[0], str(obj))
    return out


def _iris(graph, subject, *predicates: str) -> tuple[str, ...]:
    """Sorted IRIs reached through the first predicate that has any."""
    from rdflib import URIRef

    for predicate in predicates:
        found = sorted(str(o) for o in graph.objects(subject, URIRef(predicate)) if isinstance(o, URIRef))
        if found:
            return tuple(found)
    return ()


def _term(graph, subject, kind: str) -> Term:
    labels = _texts(graph, subject, _RDFS + "label")
    comments = _texts(graph, subject, _RDFS + "comment")
    is_class = kind == "class"
    return Term(
        iri=str(subject),
        name=str(subject)[len(EDU_NS) :],
        kind=kind,
        label_en=labels.get("en", ""),
        label_zh=labels.get("zh", ""),
        comment_en=comments.get("en", ""),
        comment_zh=comments.get("zh", ""),
        domain=() if is_class else _iris(graph, subject, _SCHEMA + "domainIncludes", _RDFS + "domain"),
        range=() if is_class else _iris(graph, subject, _SCHEMA + "rangeIncludes", _RDFS + "range"),
        superclasses=_iris(graph, subject, _RDFS + ("subClassOf" if is_class else "subPropertyOf")),
        equivalents=_iris(graph, subject, _OWL + ("equivalentClass" if is_class else "equivalentProperty")),
    )


def _terms(graph, kinds: Iterable[str]) -> list[Term]:
    from rdflib import RDF, URIRef

    graph = graph if graph is not None else load_ontology()
    found: dict[str, Term] = {}
    for kind_iri in kinds:
        for subject in graph.subjects(RDF.type, URIRef(kind_iri)):
            if isinstance(subject, URIRef) and str(subject).startswith(EDU_NS):
                found.setdefault(str(subject), _term(graph, subject, _KINDS[kind_iri]))
    return sorted(found.values(), key=lambda t: t.name)


def classes(graph=None) -> list[Term]:
    """Every edu: class of the ontology (``graph`` defaults to :func:`load_ontology`), by name."""
    return _terms(graph, [_OWL + "Class"])


def properties(graph=None) -> list[Term]:
    """Every edu: object and data property of the ontology, by name."""
    return _terms(graph, [_OWL + "ObjectProperty", _OWL + "DatatypeProperty"])


def term(name: str, graph=None) -> Term:
    """The class or property ``edu:<name>``; ``KeyError`` if the ontology lacks it."""
    graph = graph if graph is not None else load_ontology()
    for item in classes(graph) + properties(graph):
        if item.name == name:
            return item
    raise KeyError(name)


def metadata(graph=None) -> dict[str, str]:
    """Title, description, version, version IRI, created date and license of the ontology.

    >>> metadata()["version"]
    '0.1.0'
    """
    from rdflib import URIRef

    graph = graph if graph is not None else load_ontology()
    node = URIRef(ONTOLOGY_IRI)
    dct = "http://purl.org/dc/terms/"

    def one(predicate: str) -> str:
        value = graph.value(node, URIRef(predicate))
        return "" if value is None else str(value)

    titles = _texts(graph, node, dct + "title")
    descriptions = _texts(graph, node, dct + "description")
    return {
        "iri": ONTOLOGY_IRI,
        "title": titles.get("en", ""),
        "title_zh": titles.get("zh", ""),
        "description": descriptions.get("en", ""),
        "description_zh": descriptions.get("zh", ""),
        "version": one(_OWL + "versionInfo"),
        "version_iri": one(_OWL + "versionIRI"),
        "created": one(dct + "created"),
        "license": one(dct + "license"),
    }


# ---------------------------------------------------------------------------------------------
# SKOS schemes generated from the thesauri
# ---------------------------------------------------------------------------------------------


def read_thesaurus(path: str | Path) -> list[dict[str, str]]:
    """Rows of a thesaurus TSV (columns id, en, zh, en_aliases, zh_aliases), blank ids skipped.

    >>> read_thesaurus(UNITS_TSV)[0]["id"]
    'yuan'
    """
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows_ = ({k: (v or "").strip() for k, v in row.items() if isinstance(k, str)} for row in rows)
        return [row for row in rows_ if row.get("id")]


def _lit(text: str, lang: str | None = None) -> str:
    from rdflib import Literal

    return Literal(text, lang=lang).n3()


def _concept(iri: str, scheme: str, classes_: str, row: dict[str, str]) -> list[str]:
    pref = {lang: row[lang] for lang in ("en", "zh") if row.get(lang)}
    lines = [f"<{iri}> a {classes_} , skos:Concept ;", f"    skos:inScheme <{scheme}> ; skos:topConceptOf <{scheme}> ;"]
    labels = " , ".join(_lit(text, lang) for lang, text in pref.items())
    lines += [f"    skos:prefLabel {labels} ;", f"    rdfs:label {labels} ;"]
    alts = []
    for lang in ("en", "zh"):
        seen = {pref.get(lang, "")}
        for alias in row.get(f"{lang}_aliases", "").split("|"):
            alias = alias.strip()
            if alias and alias not in seen:
                seen.add(alias)
                alts.append(_lit(alias, lang))
    if alts:
        lines.append("    skos:altLabel " + " ,\n        ".join(alts) + " ;")
    lines.append(f"    skos:notation {_lit(row['id'])} .")
    return lines


def _scheme(iri: str, title_en: str, title_zh: str, source: str) -> list[str]:
    return [
        f"<{iri}> a skos:ConceptScheme ;",
        f"    skos:prefLabel {_lit(title_en, 'en')} , {_lit(title_zh, 'zh')} ;",
        f"    rdfs:label {_lit(title_en, 'en')} , {_lit(title_zh, 'zh')} ;",
        f'    dcterms:source "{source}" ;',
        f"    rdfs:isDefinedBy <{ONTOLOGY_IRI}> .",
    ]


def schemes_turtle(policies: str | Path = POLICIES_TSV, units: str | Path = UNITS_TSV) -> str:
    """The generated block (markers included): one concept per thesaurus row.

    >>> block = schemes_turtle()
    >>> "<https://w3id.org/edukg/id/policy/double-reduction> a edu:Policy , skos:Concept ;" in block
    True
    """
    out = [BEGIN_MARK, ""]
    out += _scheme(POLICY_SCHEME, "Education policies", "教育政策", "ontology/policies.tsv") + [""]
    for row in read_thesaurus(policies):
        out += _concept(mint_iri("Policy", row["id"]), POLICY_SCHEME, "edu:Policy", row) + [""]
    out += _scheme(UNIT_SCHEME, "Units of reported figures", "数据计量单位", "ontology/units.tsv") + [""]
    for row in read_thesaurus(units):
        out += _concept(unit_iri(row["id"]), UNIT_SCHEME, "edu:Unit", row) + [""]
    out.append(END_MARK)
    return "\n".join(out) + "\n"


def _split(text: str) -> tuple[str, str, str]:
    start, end = text.find(BEGIN_MARK), text.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError("edukg.ttl lacks the GENERATED SKOS SCHEMES markers")
    end += len(END_MARK)
    if text[end : end + 1] == "\n":
        end += 1
    return text[:start], text[start:end], text[end:]


def write_schemes(path: str | Path = ONTOLOGY_PATH, **tsv: str | Path) -> bool:
    """Regenerate the scheme block of ``path`` in place; True if the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    head, block, tail = _split(text)
    fresh = schemes_turtle(**tsv)
    if block == fresh:
        return False
    path.write_text(head + fresh + tail, encoding="utf-8")
    return True


def schemes_are_current(path: str | Path = ONTOLOGY_PATH, **tsv: str | Path) -> bool:
    """True if the scheme block of ``path`` matches the thesauri."""
    return _split(Path(path).read_text(encoding="utf-8"))[1] == schemes_turtle(**tsv)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kg.ontology --write-schemes | --check``."""
    parser = argparse.ArgumentParser(prog="python -m kg.ontology", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-schemes", action="store_true", help="regenerate the SKOS block of edukg.ttl")
    group.add_argument("--check", action="store_true", help="exit 1 if the SKOS block is stale")
    parser.add_argument("--path", type=Path, default=ONTOLOGY_PATH, help="ontology file (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.write_schemes:
        changed = write_schemes(args.path)
        print(f"{args.path}: {'schemes regenerated' if changed else 'schemes already current'}")
        return 0
    if schemes_are_current(args.path):
        print(f"{args.path}: schemes current")
        return 0
    print(f"{args.path}: schemes stale; run python -m kg.ontology --write-schemes", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
