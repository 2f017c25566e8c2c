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


def test_lexicon_disk_cache_reuses_rebuilds_and_prunes(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return {"n": len(builds)}

    assert lexicon.disk_cached("t", ["v1"], build) == {"n": 1}
    assert lexicon.disk_cached("t", ["v1"], build) == {"n": 1}  # read back, not rebuilt
    assert lexicon.disk_cached("t", ["v2"], build) == {"n": 2}  # sources changed: rebuilt
    assert len(list(tmp_path.glob("t-*.pickle"))) == 1  # the stale table is gone
    next(tmp_path.glob("t-*.pickle")).write_bytes(b"not a pickle")
    assert lexicon.disk_cached("t", ["v2"], build) == {"n": 3}  # unreadable: rebuilt


def test_lexicon_disk_cache_without_a_writable_directory(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KG_CACHE_DIR", str(blocker / "sub"))  # a directory inside a file cannot exist
    assert lexicon.disk_cached("t", ["v"], lambda: [1]) == [1]


def test_lexicon_cached_division_tables_equal_fresh_ones():
    assert lexicon._division_tables() == lexicon._build_division_tables()
