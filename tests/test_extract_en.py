from __future__ import annotations

from decimal import Decimal

import pytest

from kg.extract import extract
from kg.model import Article

TEXT = (
    "Since 2021, Yuelu District has built three schools.Nearly 200 million yuan has been invested. "
    "Wang Yan, director of the Education Bureau of Yuelu District, spoke on the “double reduction”. "
    "The Yuelu Experimental School Education Group, with Yuelu Experimental School as the leading school, "
    "Yuelu Meixi Primary School and Yuelu No. 2 Middle School as member schools."
)


@pytest.fixture(scope="module")
def extraction():
    art = Article(id="t", source_file="t.txt", lang="en", title="", date=None, text=TEXT, content_hash="h")
    return extract(art)


def test_extract_en_entities(extraction):
    kinds = {(m.kind, m.surface) for m in extraction.mentions}
    assert ("Person", "Wang Yan") in kinds
    assert ("School", "Yuelu Meixi Primary School") in kinds
    assert any(k == "GovernmentBody" and "Education Bureau" in s for k, s in kinds)
    assert any(k == "Policy" for k, _ in kinds)


def test_extract_en_relations(extraction):
    facts = {(f.subject.surface, f.predicate, f.object.surface) for f in extraction.facts}
    assert ("Yuelu Meixi Primary School", "memberOf", "Yuelu Experimental School Education Group") in facts
    assert any(p == "leadSchool" and o == "Yuelu Experimental School" for _, p, o in facts)
    assert any(p == "heads" and s == "Wang Yan" for s, p, _ in facts)
    assert any(p == "governs" for _, p, _ in facts)


def test_extract_en_figures(extraction):
    figs = {(o.value, o.unit, o.approximate) for o in extraction.observations}
    assert (Decimal(200000000), "yuan", True) in figs
    assert all(TEXT[o.evidence.start : o.evidence.end] for o in extraction.observations)


# Held-out English sets, each with hand gold.  Sets 2-4 were written before their author read the
# extractor; their blind baselines (entities / relations / figures F1) were 0.893/0.782/0.892,
# 0.923/0.705/0.975 and 0.916/0.867/0.789.  The floors are ratchets: scores may only go up.
# fmt: off
HELD_OUT = [
    # folder,       articles, entity, relation, figure floors
    ("unseen_en",   4, 0.90,  0.80,  0.90),   # targets of issue 3 (set written after the first rules)
    ("unseen_en2",  6, 0.995, 0.995, 1.0),    # Shandong, Guangdong, Hubei new district, Zhejiang, Gansu, Beijing
    ("unseen_en3",  6, 0.995, 0.995, 1.0),    # Yunnan, Fujian, Jiangxi, Shanxi, Guizhou new area, Anhui
    ("unseen_en4",  6, 1.0,   1.0,   0.956),  # Hainan, Inner Mongolia banner, Guangxi, Shaanxi, Liaoning, Hebei
]
# fmt: on


@pytest.mark.parametrize(("folder", "articles", "entities", "relations", "figures"), HELD_OUT)
def test_held_out_sets_keep_their_scores(folder, articles, entities, relations, figures):
    from pathlib import Path

    from kg import store as kgstore
    from kg.evaluate import evaluate, format_report
    from kg.pipeline import build

    data = Path(__file__).parent / "data" / folder
    st = kgstore.open_store(None)
    build([data], st, ontology=None)
    result = evaluate(st, data)
    report = format_report(result)
    assert len(result["articles"]) == articles, report
    assert result["entities"]["f1"] >= entities, report
    assert result["relations"]["f1"] >= relations, report
    assert result["figures"]["f1"] >= figures, report


def test_banner_and_conventional_place_names():
    res = _ex(
        "Ordos No. 1 Middle School set up the Jungar branch campus of Ordos No. 1 Middle School in Jungar Banner. "
        "The Jungar Banner Education and Sports Bureau implements the banner management and school employment reform."
    )
    keys = {e.key for e in res.entities}
    assert "City/eerduosi" in keys and "District/eerduosi-zhungeer" in keys, keys
    facts = {(f.subject, f.predicate, f.object) for f in res.facts}
    assert any(p == "governs" and o == "District/eerduosi-zhungeer" for s, p, o in facts), facts
    assert any(p == "implements" and o == "Policy/county-management-school-employment" for s, p, o in facts), facts


def test_area_the_ordinal_school_and_campus_of_school():
    res = _ex(
        "The new schools include bobai county the fifth middle school and the Qujiang campus of Dayan Pagoda "
        "primary school. Wafangdian city No. 3 senior high school as the leading school forms the wafangdian "
        "No. 3 high school education group with Lidian town junior middle school."
    )
    alts = {s for e in res.entities for _, s in e.alt_labels} | {s for e in res.entities for _, s in e.labels}
    assert "bobai county the fifth middle school" in alts, alts
    assert "Qujiang campus of Dayan Pagoda primary school" in alts, alts
    lead = [f for f in res.facts if f.predicate == "leadSchool"]
    assert [f.object for f in lead] == ["School/dalian-wafangdian-no-3-senior-middle-school"], lead


def _ex(text: str):
    from kg.extract.en import EnExtractor
    from kg.model import Article
    from kg.resolve import resolve
    from kg.segment import split_sentences

    art = Article(id="t", source_file="t.txt", lang="en", title="", date=None, text=text, content_hash="h")
    return resolve(EnExtractor().extract(art, split_sentences(text, "en")))


def test_members_named_before_the_group_they_form():
    res = _ex(
        "In the xinjin county of chengdu city, the Huayuan town primary school and the Fangxing primary school "
        "composed the xinjin county Baihe primary school education group. The new Xinjin county fifth middle "
        "school joins the Xinjin County Middle School Education Group as a member school."
    )
    members = {(f.subject, f.object) for f in res.facts if f.predicate == "memberOf"}
    assert (
        "School/huayuan-town-primary-school",
        "EducationGroup/chengdu-xinjin-baihe-primary-school-education-group",
    ) in members
    assert (
        "School/fangxing-primary-school",
        "EducationGroup/chengdu-xinjin-baihe-primary-school-education-group",
    ) in members
    assert (
        "School/chengdu-xinjin-no-5-middle-school",
        "EducationGroup/chengdu-xinjin-middle-school-education-group",
    ) in members


def test_group_of_a_school_and_core_school_before_it():
    res = _ex(
        "In the shucheng county of Lu'an city, the group of the No. 2 Middle School in Shucheng county, as the core "
        "school the shucheng second middle school, the group includes Qianren town middle school."
    )
    facts = {(f.subject, f.predicate, f.object) for f in res.facts}
    g = "EducationGroup/luan-shucheng-no-2-middle-school-education-group"
    assert (g, "leadSchool", "School/luan-shucheng-no-2-middle-school") in facts
    assert ("School/qianren-town-middle-school", "memberOf", g) in facts
    assert ("District/luan-shucheng", "locatedIn", "City/luan") in facts


def test_heads_group_and_school_in_one_title():
    res = _ex(
        'The Dongcheng Road Primary School Education Group of Xinjin county was set up in 2021. "We share '
        'lessons," said Liu Min, president of the group and principal of Xinjin county Dongcheng road primary school.'
    )
    heads = {f.object for f in res.facts if f.predicate == "heads" and f.subject == "Person/liumin"}
    assert "School/chengdu-xinjin-dongcheng-road-primary-school" in heads
    assert any(h.startswith("EducationGroup/") for h in heads)


def test_figures_ranges_repeats_and_ages():
    res = _ex(
        "Xinjin county opened 6 new schools this autumn. The 6 new schools cost 1.2 billion yuan. The number of "
        "off-campus training institutions in the county dropped from 120 to 8. The average age of rural teachers "
        "dropped to 39 years."
    )
    figs = sorted((float(o.value), o.unit) for o in res.observations)
    assert figs.count((6.0, "school")) == 1
    assert (120.0, "other") in figs and (8.0, "other") in figs
    assert (39.0, "year") in figs


def test_unquoted_numbered_after_school_service_and_bracketed_alias():
    res = _ex(
        "In the xinjin county of chengdu city, the 5+2 after-school service covers all schools. Zhou Li, director "
        "of the xinjin county social affairs bureau (education bureau), said."
    )
    keys = {e.key for e in res.entities}
    assert "Policy/5-2-after-school-service" in keys
    assert [k for k in keys if k.startswith("GovernmentBody/")] == [
        "GovernmentBody/chengdu-xinjin-social-affairs-bureau"
    ]


def test_policy_rows_skipped_for_an_article_match_in_none_of_its_sentences():
    from pathlib import Path

    from kg.extract.en import _active_policy_regexes, _policy_regexes
    from kg.lexicon import policies
    from kg.segment import split_sentences

    data = Path(__file__).resolve().parent / "data"
    texts = [TEXT] + [p.read_text(encoding="utf-8") for p in sorted(data.glob("unseen_en*/*.txt"))]
    texts += [f"They carried out the {p.en.upper()} and {alias.lower()}." for p in policies() for alias in p.en_aliases]
    texts.append("The double reduct\u0131on policy.")  # dotless i: re.IGNORECASE reads it as an i
    skipped = 0
    for text in texts:
        active = _active_policy_regexes(text)
        for row in _policy_regexes():
            if row in active:
                continue
            skipped += 1
            for sent in split_sentences(text, "en"):
                assert next(row[0].finditer(text, sent.start, sent.end), None) is None, (row[1], text[:80])
    assert skipped  # the filter does skip rows
