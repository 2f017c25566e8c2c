"""Synthetic corpora of education-reform news in English and Chinese, for benchmarks.

Places come from the admin-division table that ``cpca`` ships (every county-level unit of
China with its prefecture-level city); policies from ``ontology/policies.tsv``; schools,
groups, officials and figures are composed from general patterns.  Article ``i`` of a seed
is the same whatever the corpus size, so a 10^4 corpus contains the 10^3 one.

Examples
--------
>>> a = make_article(7, seed=1)
>>> a == make_article(7, seed=1), a["language"] in {"en", "zh"}
(True, True)
>>> len(a["text"]) > 500
True
"""

from __future__ import annotations

import csv
import functools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Place", "places", "policies", "make_article", "write_corpus", "iter_corpus"]

REPO = Path(__file__).resolve().parent.parent
PER_FILE = 1000

_SUFFIX_EN = {"区": "District", "县": "County", "市": "City", "旗": "Banner"}
_ROADS = "建设 人民 解放 文化 和平 中山 长江 黄河 光明 青年 胜利 新华 育才 东风".split()
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "建国华明伟芳娜秀英敏静丽强磊军洋勇艳杰涛超平刚桂红春玲志宏新文辉斌"
_CN_DIGITS = "零一二三四五六七八九十"
_TYPES = [("中学", "Middle School"), ("小学", "Primary School"), ("实验学校", "Experimental School"),
          ("高级中学", "Senior High School"), ("幼儿园", "Kindergarten")]
_FILLER_EN = [
    "The reform aims to narrow the gap between urban and rural schools and to give every child a fair chance.",
    "Teachers said the new arrangements reduce homework pressure and leave more time for sports and reading.",
    "Parents welcomed the changes, saying that good schools are now closer to home.",
    "The bureau will continue to optimise the allocation of education resources across the region.",
    "Officials stressed quality, balance and fairness as the guiding principles of the next stage.",
    "Exchanges of principals and backbone teachers between member schools will become routine.",
]
_FILLER_ZH = [
    "改革旨在缩小城乡学校差距，让每个孩子都能享有公平而有质量的教育。",
    "教师们表示，新的安排减轻了作业负担，学生有了更多时间参加体育锻炼和阅读。",
    "家长们普遍认为，家门口的好学校越来越多了。",
    "教育局将继续优化区域教育资源配置，推动义务教育优质均衡发展。",
    "有关负责人强调，下一阶段要坚持质量、均衡和公平。",
    "成员校之间的校长和骨干教师交流将实现常态化。",
]


@dataclass(frozen=True, slots=True)
class Place:
    """A county-level unit and its city, in both languages."""

    code: str
    zh: str
    en: str
    city_zh: str
    city_en: str


def _romanize(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).capitalize()


def _english(zh: str, *, city: bool = False) -> str:
    stem, suffix = (zh[:-1], zh[-1]) if zh[-1] in _SUFFIX_EN and len(zh) > 2 else (zh, "")
    if city:
        return _romanize(stem)
    return f"{_romanize(stem)} {_SUFFIX_EN.get(suffix, 'District')}".strip()


@functools.cache
def places() -> tuple[Place, ...]:
    """Every county-level unit in ``cpca``'s adcodes table whose city is known.

    >>> all(p.code[4:6] != "00" for p in places()[:50])
    True
    """
    import cpca

    path = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as f:
        names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(f)}
    out = []
    for code, name in sorted(names.items()):
        city = names.get(code[:4] + "00")
        if city in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}:
            city = names.get(code[:2] + "0000")
        if code[4:6] == "00" or not city or len(name) < 2 or name == "市辖区":
            continue
        out.append(Place(code, name, _english(name), city, _english(city, city=True)))
    return tuple(out)


@functools.cache
def policies() -> tuple[tuple[str, str], ...]:
    """(English, Chinese) names from ``ontology/policies.tsv``."""
    with (REPO / "ontology" / "policies.tsv").open(encoding="utf-8") as f:
        return tuple((r["en"].strip('"'), r["zh"]) for r in csv.DictReader(f, delimiter="\t") if r.get("zh"))


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")


def _school(rng: random.Random, place: Place) -> tuple[str, str]:
    kind_zh, kind_en = rng.choice(_TYPES)
    style = rng.randrange(3)
    if style == 0:
        n = rng.randint(1, 60)
        return f"{place.zh}第{_cn_number(n)}{kind_zh}", f"{place.en} No. {n} {kind_en}"
    if style == 1:
        road = rng.choice(_ROADS)
        return f"{place.city_zh}{road}路{kind_zh}", f"{place.city_en} {_romanize(road)} Road {kind_en}"
    return f"{place.zh}实验{kind_zh}", f"{place.en} Experimental {kind_en}"


def _person(rng: random.Random) -> tuple[str, str]:
    sur, given = rng.choice(_SURNAMES), "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return sur + given, f"{_romanize(given)} {_romanize(sur)}"


def _figures(rng: random.Random, place: Place, year: int) -> list[tuple[str, str]]:
    k, deg = rng.randint(2, 9), rng.randint(3, 90) * 30
    money, pct = rng.randint(12, 480) / 10, rng.randint(850, 999) / 10
    teachers = rng.randint(20, 900)
    return [
        (f"In {year}, {place.en} built {k} new public kindergartens and added {deg:,} public school places.",
         f"{year}年，{place.zh}新建公办幼儿园{k}所，新增公办学位{deg}个。"),
        (f"Nearly {money} million yuan was invested in school construction.",
         f"累计投入资金近{money}亿元用于学校建设。"),
        (f"The coverage rate of quality schools reached {pct}%.", f"优质学校覆盖率达到{pct}%。"),
        (f"A total of {teachers} teachers took part in exchanges in {year}.",
         f"{year}年共有{teachers}名教师参加交流轮岗。"),
    ]


def _sentences(rng: random.Random, place: Place, year: int) -> list[tuple[str, str]]:
    schools = [_school(rng, place) for _ in range(rng.randint(3, 6))]
    lead, members = schools[0], schools[1:]
    pol_en, pol_zh = rng.choice(policies())
    head_zh, head_en = _person(rng)
    group_en, group_zh = f"{lead[1]} Education Group", f"{lead[0]}教育集团"
    out = [
        (f"{place.en} of {place.city_en} has deepened the reform of {pol_en}.",
         f"{place.city_zh}{place.zh}持续深化{pol_zh}改革。"),
        (f"{head_en}, director of the {place.en} Education Bureau, said the district will build more good schools.",
         f"{place.zh}教育局局长{head_zh}表示，全区将建设更多优质学校。"),
        (f"{group_en} was set up with {lead[1]} as the lead school.",
         f"以{lead[0]}为龙头校，组建{group_zh}。"),
        (f"Its members include {', '.join(m[1] for m in members[:-1])} and {members[-1][1]}.",
         f"集团成员校包括{'、'.join(m[0] for m in members)}。"),
        (f"{members[0][1]} is located in {place.en}.", f"{members[0][0]}位于{place.zh}。"),
    ]
    return out + _figures(rng, place, year)


def make_article(i: int, *, seed: int = 0, zh_share: float = 0.5) -> dict[str, str]:
    """Article number ``i`` of the corpus ``seed`` as a JSONL record (title, date, url, language, text)."""
    rng = random.Random(f"{seed}:{i}")
    lang = "zh" if rng.random() < zh_share else "en"
    place = rng.choice(places())
    year = rng.randint(2018, 2024)
    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    facts = _sentences(rng, place, year)
    for _ in range(rng.randint(0, 2)):  # neighbouring districts of the same city
        near = [p for p in places()[max(0, places().index(place) - 8):][:16] if p.city_zh == place.city_zh]
        facts += _sentences(rng, rng.choice(near), year)
    pick = 1 if lang == "zh" else 0
    fillers = _FILLER_ZH if lang == "zh" else _FILLER_EN
    body = [f[pick] for f in facts] + [rng.choice(fillers) for _ in range(rng.randint(6, 14))]
    rng.shuffle(body)
    sep = "" if lang == "zh" else " "
    paragraphs = [sep.join(body[k : k + 3]) for k in range(0, len(body), 3)]
    title = f"{place.city_zh}{place.zh}：推进教育优质均衡发展" if lang == "zh" else \
        f"{place.en}, {place.city_en}: building quality education for all"
    return {"title": title, "date": date, "url": f"https://example.org/news/{seed}/{i}", "language": lang,
            "text": title + "\n\n" + "\n\n".join(paragraphs)}


def iter_corpus(n: int, *, seed: int = 0, zh_share: float = 0.5) -> Iterator[dict[str, str]]:
    """The first ``n`` articles of corpus ``seed``."""
    for i in range(n):
        yield make_article(i, seed=seed, zh_share=zh_share)


def write_corpus(dest: Path, n: int, *, seed: int = 0, zh_share: float = 0.5) -> dict[str, int]:
    """Write ``n`` articles as ``dest/{en,zh}/{en,zh}-NNNN.jsonl`` (≤1000 lines each); returns counts.

    >>> import tempfile
    >>> write_corpus(Path(tempfile.mkdtemp()), 3, seed=2)["articles"]
    3
    """
    counts = {"articles": 0, "en": 0, "zh": 0, "chars_en": 0, "chars_zh": 0}
    files: dict[str, object] = {}
    try:
        for i, rec in enumerate(iter_corpus(n, seed=seed, zh_share=zh_share)):
            lang = rec["language"]
            key = f"{lang}/{lang}-{i // PER_FILE:04d}.jsonl"
            if key not in files:
                (dest / lang).mkdir(parents=True, exist_ok=True)
                files[key] = (dest / key).open("w", encoding="utf-8")
            files[key].write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts["articles"] += 1
            counts[lang] += 1
            counts["chars_" + lang] += len(rec["text"])
    finally:
        for f in files.values():
            f.close()
    return counts
