from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.vocab import EDU, ID_NS, article_iri, entity_iri, graph_iri, mint_iri, slugify

IRI_SAFE = re.compile(r"^https://w3id\.org/edukg/id/[a-z]+/[a-z0-9\-]+$")


def test_vocab_closed_namespace_rejects_typos():
    assert EDU.School.endswith("#School")
    with pytest.raises(AttributeError):
        EDU.Shcool  # noqa: B018


def test_vocab_graph_of_article_follows_contract():
    a = article_iri("000_abc")
    assert a == ID_NS + "article/000_abc"
    assert graph_iri(a) == "https://w3id.org/edukg/graph/article/000_abc"


@settings(deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_vocab_mint_iri_is_deterministic_and_safe(name):
    iri = mint_iri("School", name)
    assert iri == mint_iri("School", name)
    assert IRI_SAFE.match(iri), iri


def test_vocab_slug_hash_keeps_long_keys_apart():
    a, b = "x" * 200 + "a", "x" * 200 + "b"
    assert slugify(a) != slugify(b) and len(slugify(a)) < 100


def test_vocab_entity_iri_from_key():
    assert entity_iri("District/luoyang laocheng") == ID_NS + "district/luoyang-laocheng"


@pytest.mark.parametrize("hostile", ['a<b>"c{d}|e\\f^g`h', "x\ny", "\u200b\u202e", "名" * 500, "\u9fee"])
def test_vocab_hostile_names_give_valid_iris(hostile):
    assert IRI_SAFE.match(mint_iri("School", hostile))
