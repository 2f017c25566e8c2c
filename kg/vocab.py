"""Namespaces, the closed set of edu: terms, and the one place IRIs are minted.

Examples
--------
>>> EDU.School
'https://w3id.org/edukg/ontology#School'
>>> mint_iri("School", "luoyang-no-50-middle-school")
'https://w3id.org/edukg/id/school/luoyang-no-50-middle-school'
>>> graph_iri(article_iri("000_abc"))
'https://w3id.org/edukg/graph/article/000_abc'
>>> EDU.Shcool
Traceback (most recent call last):
...
AttributeError: 'Shcool' is not a term of the edu: ontology
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = [
    "EDU_NS",
    "ID_NS",
    "GRAPH_NS",
    "EDU",
    "PREFIXES",
    "CLASSES",
    "OBJECT_PROPERTIES",
    "DATA_PROPERTIES",
    "slugify",
    "mint_iri",
    "article_iri",
    "graph_iri",
    "unit_iri",
    "entity_iri",
]

EDU_NS = "https://w3id.org/edukg/ontology#"
ID_NS = "https://w3id.org/edukg/id/"
GRAPH_NS = "https://w3id.org/edukg/graph/"
ANALYSIS_GRAPH = GRAPH_NS + "analysis"

PREFIXES: dict[str, str] = {
    "edu": EDU_NS,
    "id": ID_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "qb": "http://purl.org/linked-data/cube#",
}

#: Core (contract) classes plus extensions.
CLASSES = (
    "City",
    "District",
    "Province",
    "School",
    "EducationGroup",
    "Policy",
    "GovernmentBody",
    "Person",
    "Observation",
    "Article",
    "Evidence",
    "Unit",
)

#: Properties whose object is an IRI.
OBJECT_PROPERTIES = (
    "locatedIn",
    "memberOf",
    "leadSchool",
    "implements",
    "governs",
    "heads",
    "mentions",
    "about",
    "unit",
    "evidence",
)

#: Properties whose object is a literal.
DATA_PROPERTIES = (
    "value",
    "measure",
    "year",
    "quote",
    "sourceFile",
    "contentHash",
    "approximate",
    "startOffset",
    "endOffset",
    "sentence",
    "adminCode",
    "sourceUrl",
    "text",
    "bodyEnd",
    "role",
    # analysis graph (kg.analysis.write_analysis_graph)
    "degreeCentrality",
    "betweenness",
    "pageRank",
    "community",
)

#: Entity classes that the build mints (everything a Mention may be).
ENTITY_KINDS = ("City", "District", "Province", "School", "EducationGroup", "Policy", "GovernmentBody", "Person")


class _ClosedNamespace:
    """Attribute access to a closed set of terms; unknown names raise."""

    def __init__(self, base: str, names: tuple[str, ...]) -> None:
        self._base = base
        self._names = frozenset(names)
        self._terms = {name: base + name for name in names}

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"{name!r} is not a term of the edu: ontology")
        self.__dict__[name] = self._terms[name]  # later lookups find it without calling here
        return self._terms[name]

    def __getitem__(self, name: str) -> str:
        try:
            return self._terms[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not a term of the edu: ontology") from None

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(sorted(self._names))


EDU = _ClosedNamespace(EDU_NS, CLASSES + OBJECT_PROPERTIES + DATA_PROPERTIES)

_SLUG_DROP = re.compile(r"[^a-z0-9\u4e00-\u9fff]+")
_MAX_SLUG = 80


def slugify(text: str) -> str:
    """Turn a key into an IRI-safe ASCII slug (pinyin for Chinese characters).

    Long or otherwise unsafe keys are cut and suffixed with a short hash, so the
    mapping stays injective and deterministic.

    >>> slugify("Luoyang No. 50 Middle School")
    'luoyang-no-50-middle-school'
    >>> slugify("洛阳市第五十中学")
    'luoyangshidiwushizhongxue'
    """
    norm = unicodedata.normalize("NFKC", text).lower()
    if re.search(r"[\u4e00-\u9fff]", norm):
        from pypinyin import lazy_pinyin

        pieces = [p for p in re.split(r"([\u4e00-\u9fff]+)", norm) if p]
        out = []
        for piece in pieces:
            if re.match(r"[\u4e00-\u9fff]", piece):
                out.append("".join(lazy_pinyin(piece, errors="replace")))  # no reading: hex code
            else:
                out.append(piece)
        norm = "-".join(out)
    slug = _SLUG_DROP.sub("-", norm).strip("-")
    if not slug or len(slug) > _MAX_SLUG:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        slug = (slug[:_MAX_SLUG].strip("-") + "-" + digest).strip("-")
    return slug


def mint_iri(kind: str, key: str) -> str:
    """The IRI of an entity of ``kind`` (an edu class name) with ``key``.

    >>> mint_iri("EducationGroup", "zhengdong-first-middle-school-group")
    'https://w3id.org/edukg/id/educationgroup/zhengdong-first-middle-school-group'
    """
    if kind not in EDU:
        raise ValueError(f"unknown kind {kind!r}")
    return f"{ID_NS}{kind.lower()}/{slugify(key)}"


def entity_iri(entity_key: str) -> str:
    """IRI for a resolved entity key of the form ``Kind/slug``.

    >>> entity_iri("District/laocheng")
    'https://w3id.org/edukg/id/district/laocheng'
    """
    kind, _, rest = entity_key.partition("/")
    return mint_iri(kind, rest)


def article_iri(article_id: str) -> str:
    return f"{ID_NS}article/{slugify(article_id) if not _is_safe(article_id) else article_id}"


def graph_iri(article: str) -> str:
    """Named graph of an article IRI: ``…/id/X`` -> ``…/graph/X`` (contract)."""
    if not article.startswith(ID_NS):
        raise ValueError(f"not an edukg id: {article}")
    return GRAPH_NS + article[len(ID_NS) :]


def unit_iri(unit: str) -> str:
    return f"{ID_NS}unit/{slugify(unit)}"


def _is_safe(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_.\-]{1,120}", text))
