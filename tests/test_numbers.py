"""Numbers: parsing tables, span finding, round-trip properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.numbers import find_numbers, find_years, format_number, parse_number

# fmt: off
PARSE_TABLE = [
    ("2.3万", 23000), ("1.5亿", 150000000), ("百分之九十", 90), ("4,560", 4560),
    ("200 million", 200000000), ("twenty-six", 26), ("三", 3), ("80.9%", Decimal("80.9")),
    ("二十六", 26), ("两千", 2000), ("一百二十万", 1200000), ("3000多万", 30000000),
    ("2万余", 20000), ("500余", 500), ("第五十", 50), ("第50", 50), ("fiftieth", 50),
    ("No. 50", 50), ("no.2", 2), ("50th", 50), ("twenty-first", 21), ("1.5 billion", 1500000000),
    ("Nearly 200 million", 200000000), ("more than 50", 50), ("a hundred", 100),
    ("one hundred and twenty-three", 123), ("Three", 3), ("１２３", 123), ("80.9％", Decimal("80.9")),
    ("十", 10), ("两", 2), ("近3000", 3000), ("30多", 30), ("10,748", 10748), ("0.5", Decimal("0.5")),
    ("1千万", 10000000), ("百分之80", 80), ("ninety percent", 90),
]
NOT_NUMBERS = ["school", "", "万", "abc123", "one and two", "学校", "%"]
FIND_ZH = [
    # text, [(surface, value, approximate, ordinal, percent)]
    ("新建学校66所,撤并教学点533个", [("66", 66, False, False, False), ("533", 533, False, False, False)]),
    ("2万余名师生喜迁新校区", [("2万余", 20000, True, False, False)]),
    ("投入资金1.5亿元,占比达到百分之九十", [("1.5亿", 150000000, False, False, False),
                                            ("百分之九十", 90, False, False, True)]),
    ("近3000名学生,入学率约98.5%", [("近3000", 3000, True, False, False),
                                  ("约98.5%", Decimal("98.5"), True, False, True)]),
    ("洛阳市第五十中学有二十六个班", [("第五十", 50, False, True, False), ("二十六", 26, False, False, False)]),
    ("共有30多所学校,10所左右", [("30多", 30, True, False, False), ("10", 10, False, False, False)]),
    ("2023年9月1日开学,新增学位1200个", [("1200", 1200, False, False, False)]),
    ("8:30-17:30上班,周一至周五", []),
    ("最近3年建成幼儿园", [("3", 3, False, False, False)]),
    ("“5+2”课后服务", [("5", 5, False, False, False), ("2", 2, False, False, False)]),
]
FIND_EN = [
    ("Three new public kindergartens", [("Three", 3, False, False, False)]),
    ("Nearly 200 million yuan has been invested", [("Nearly 200 million", 200000000, True, False, False)]),
    ("increase the degrees by 4,560. In 2021, 26 schools", [("4,560", 4560, False, False, False),
                                                           ("26", 26, False, False, False)]),
    ("accounting for 80.9% of students", [("80.9%", Decimal("80.9"), False, False, True)]),
    ("luoyang fiftieth middle school and No. 50 Middle School, the 47th school",
     [("fiftieth", 50, False, True, False), ("No. 50", 50, False, True, False), ("47th", 47, False, True, False)]),
    ("more than 50 times of lectures", [("more than 50", 50, True, False, False)]),
    ("Six education groups with twenty-six schools", [("Six", 6, False, False, False),
                                                      ("twenty-six", 26, False, False, False)]),
    ("On February 19, 2022-05-15 at 8:30", []),
    ("the 5+2 model and 2000 students", [("5", 5, False, False, False), ("2", 2, False, False, False),
                                        ("2000", 2000, False, False, False)]),
]
YEARS = [
    ("zh", "2021年至2023年,共3所", [2021, 2023]),
    ("zh", "2021-2022学年", [2021, 2022]),
    ("zh", "二〇二一年", [2021]),
    ("zh", "新增学位2000个", []),
    ("en", "Since 2021, the district", [2021]),
    ("en", "about 2022 education reform", [2022]),
    ("en", "2000 students enrolled", []),
    ("en", "in autumn 2021.", [2021]),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), PARSE_TABLE)
def test_numbers_parse_table(text: str, expected: int | Decimal) -> None:
    value = parse_number(text)
    assert value == expected
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_numbers_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_numbers_parse_whole_values_have_no_exponent() -> None:
    assert str(parse_number("2.3万")) == "23000"
    assert str(parse_number("100")) == "100"
    assert str(parse_number("80.90%")) == "80.9"


def _summary(text: str, lang: str) -> list[tuple]:
    out = []
    for m in find_numbers(text, lang):
        assert text[m.start : m.end] == m.text
        out.append((m.text, m.value, m.approximate, m.is_ordinal, m.is_percent))
    return out


@pytest.mark.parametrize(("text", "expected"), FIND_ZH)
def test_numbers_find_zh(text: str, expected: list[tuple]) -> None:
    assert _summary(text, "zh") == expected


@pytest.mark.parametrize(("text", "expected"), FIND_EN)
def test_numbers_find_en(text: str, expected: list[tuple]) -> None:
    assert _summary(text, "en") == expected


@pytest.mark.parametrize(("lang", "text", "expected"), YEARS)
def test_numbers_find_years(lang: str, text: str, expected: list[int]) -> None:
    assert [int(m.value) for m in find_years(text, lang)] == expected
    years = {m.start for m in find_years(text, lang)}
    assert all(m.start not in years for m in find_numbers(text, lang))


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["digits", "comma", "zh", "wan"]))
def test_numbers_roundtrip_integers(n: int, style: str) -> None:
    assert parse_number(format_number(n, style)) == n


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_numbers_roundtrip_decimals(d: Decimal) -> None:
    assert parse_number(format_number(d, "digits")) == d
    assert parse_number(format_number(d, "percent")) == d
    assert parse_number(format_number(d, "wan")) == d


@given(st.integers(min_value=0, max_value=999_999_999))
def test_numbers_roundtrip_english_words(n: int) -> None:
    num2words = pytest.importorskip("num2words").num2words
    assert parse_number(num2words(n)) == n
    if n:
        assert parse_number(num2words(n, to="ordinal")) == n


@given(st.text(alphabet="0123456789,.%万亿千百十一二三四五六七八九两第余多近约 abcyuanmillion年月日", max_size=30))
def test_numbers_find_spans_are_exact(text: str) -> None:
    for lang in ("zh", "en"):
        last = -1
        for m in find_numbers(text, lang):
            assert text[m.start : m.end] == m.text
            assert m.start >= last
            last = m.end
