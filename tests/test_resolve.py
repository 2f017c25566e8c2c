from __future__ import annotations

import pytest

from kg.model import Article, Extraction, Mention, Span
from kg.resolve import Area, area_of, name_key, resolve

# fmt: off
SAME = [
    [("School", "洛阳市第五十中学", "zh"), ("School", "luoyang fiftieth middle school", "en"),
     ("School", "Luoyang No. 50 Middle School", "en"), ("School", "The No. 50 Middle School in Luoyang city", "en")],
    [("District", "老城区", "zh"), ("District", "Old City District", "en"), ("District", "old city", "en")],
    [("District", "郑东新区", "zh"), ("District", "Zheng Dong New District", "en"),
     ("District", "Zhengdong New District", "en")],
    [("Policy", "双减", "zh"), ("Policy", "ShuangJian", "en"), ("Policy", "double reduction", "en")],
    [("GovernmentBody", "岳麓区教育局", "zh"), ("GovernmentBody", "Education Bureau of Yuelu District", "en")],
]
# fmt: on


@pytest.mark.parametrize("group", SAME)
def test_resolve_same_entity_same_key(group):
    keys = {name_key(kind, text, lang) for kind, text, lang in group}
    assert len(keys) == 1, keys


def test_resolve_distinct_districts_stay_distinct():
    a = name_key("School", "Yuelu District Experimental Primary School", "en")
    b = name_key("School", "Old City Experimental Primary School", "en")
    assert a != b


def _article(text: str) -> Article:
    return Article(id="t", source_file="t.txt", lang="en", title="", date=None, text=text, content_hash="h")


def test_resolve_order_independent_and_labels():
    text = "Luoyang Old City and the old city district."
    m1 = Mention(Span(0, 16), "Luoyang Old City", "District")
    m2 = Mention(Span(25, 42), "old city district", "District")
    r1 = resolve(Extraction(_article(text), mentions=(m1, m2)))
    r2 = resolve(Extraction(_article(text), mentions=(m2, m1)))
    assert r1.entities == r2.entities
    (ent,) = r1.entities
    assert ent.extra == (("adminCode", "410302"),)
    assert dict(ent.labels)["zh"] == "老城区"
    assert ("en", "old city district") in ent.alt_labels


def test_area_first_name_keeps_its_key_over_a_trailing_district():
    assert name_key("School", "Luoyang No. 50 Middle School in Laocheng District", "en") == name_key(
        "School", "洛阳市第五十中学", "zh"
    )
    assert name_key("School", "The No. 50 Middle School in Luoyang city", "en") == "School/luoyang-no-50-middle-school"


def test_new_area_apostrophes_and_towns():
    assert name_key("District", "Guian new area", "en") == name_key("District", "贵安新区", "zh")
    assert name_key("District", "guiyang guian new area", "en") == name_key("District", "贵安新区", "zh")
    assert area_of("Lu'an city", "en").part == area_of("luan city", "en").part == "luan"
    assert name_key("School", "Huayuan town primary school", "en") == "School/huayuan-town-primary-school"


def test_sub_area_must_lie_in_the_city_before_it():
    """新店区 is in 新北市, so "Fuzhou Xindian middle school" is not keyed under it."""
    assert "xindian" not in (area_of("fuzhou xindian", "en") or Area("", "")).part


def test_mentions_made_by_facts_join_the_area_prefixed_name():
    """A lead school implied by its group's name ("Longxiang Primary School Education Group") is the same
    school as the area-prefixed one named in the article."""
    from kg.model import Fact

    text = "Zhengdong New District Longxiang Primary School. Longxiang Primary School Education Group."
    school = Mention(Span(0, 47), text[0:47], "School")
    group = Mention(Span(49, 89), text[49:89], "EducationGroup")
    lead = Mention(Span(49, 73), text[49:73], "School")
    ex = Extraction(_article(text), mentions=(school, group), facts=(Fact(group, "leadSchool", lead, Span(49, 90)),))
    (fact,) = resolve(ex).facts
    assert fact.object == "School/zhengdong-new-district-longxiang-primary-school"


def test_banner_autonomous_county_and_exonyms_key_like_the_chinese_name():
    """旗 is "Banner"; an autonomous county is named with or without its nationality; Mongolian names
    (Ordos, Jungar) are not pinyin but are the names English uses."""
    pairs = [
        ("Jungar Banner", "准格尔旗"),
        ("Ordos", "鄂尔多斯市"),
        ("Changyang Tujia Autonomous County", "长阳土家族自治县"),
        ("Gongcheng County", "恭城瑶族自治县"),
    ]
    for en, zh in pairs:
        kind = "City" if zh.endswith("市") else "District"
        assert name_key(kind, en, "en") == name_key(kind, zh, "zh"), (en, zh)
    assert area_of("Dayan Pagoda", "en") is None  # a polyphone reading of 大厂 is no place name


def test_no_3_high_school_joins_the_senior_high_school_of_the_article():
    text = "Wafangdian city No. 3 senior high school. The wafangdian No. 3 high school education group."
    senior = Mention(Span(0, 40), text[0:40], "School")
    short = Mention(Span(46, 74), text[46:74], "School")
    res = resolve(Extraction(_article(text), mentions=(senior, short)))
    assert [e.key for e in res.entities] == ["School/dalian-wafangdian-no-3-senior-middle-school"]


def test_resolve_road_named_like_a_district_keeps_the_city():
    """光明路 in 运城市光明路高级中学 is a road, not Shenzhen's 光明区: schools of two cities stay apart."""
    from kg.resolve import parse_name

    a, b = parse_name("运城市光明路高级中学", "zh"), parse_name("开封市光明路高级中学", "zh")
    assert (a.area.kind, b.area.kind) == ("City", "City")
    assert a.area.part != b.area.part and a.parts == b.parts == ("guangming", "road", "senior-middle-school")
    # a district named after its own city's division is still read as that district
    assert parse_name("深圳市光明区实验学校", "zh").area.part == "shenzhen-guangming"
    # and a city's "district" prefix that lies in another city is not taken
    assert parse_name("岳阳市解放路中学", "zh").area.part == parse_name("岳阳市第一中学", "zh").area.part
