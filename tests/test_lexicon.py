from __future__ import annotations

from kg import lexicon


def test_lexicon_divisions_have_levels_and_parents():
    d = lexicon.division_by_code("410302")
    assert (d.name, d.level, d.parent, d.pinyin) == ("老城区", "county", "410300", "laocheng")
    assert lexicon.division_by_code("500000").level == "city"  # municipality


def test_lexicon_pinyin_lookup():
    assert [d.name for d in lexicon.divisions_by_pinyin("Zheng Zhou")] == ["郑州市"]


def test_lexicon_ordinals():
    assert [lexicon.ordinal_value(w) for w in ("first", "fiftieth", "47th", "forty-seventh", "school")] == [
        1,
        50,
        47,
        47,
        None,
    ]


def test_lexicon_user_dictionary_lines():
    lines = lexicon.zh_user_dictionary()
    assert all(len(line.split()) == 3 for line in lines)
    assert "双减 3000 nz" in lines


def test_lexicon_no_seed_names():
    """General knowledge only: the lexicon holds no seed school names."""
    text = (lexicon.ONTOLOGY / "lexicon.tsv").read_text(encoding="utf-8").lower()
    for name in ("wenyuan", "longxiang", "qinglong", "yingzhuang", "红狮"):
        assert name not in text
