"""Numbers in English and Chinese text: parse one, or find them all with exact offsets.

``parse_number`` turns one written number into a fully expanded ``Decimal``;
``find_numbers`` scans a text and yields every number it holds as a
``NumberMatch`` with exact character offsets into that text, flagging
approximations (nearly / 近 / 余), ordinals (第五十, fiftieth, No. 50) and
percentages.  Years (2021年, "in 2021") and calendar dates (5月6日, May 6) are
not quantities: years are reported only on request (``include_years=True``)
and flagged ``is_year``; dates are never reported.

Chinese numerals are read by ``cn2an``, English number words by
``number_parser``; this module only finds the spans and glues the pieces
(multipliers 万/亿, scales million/billion, markers) together.

Examples
--------
>>> parse_number("2.3万")
Decimal('23000')
>>> [(m.text, m.value, m.approximate) for m in find_numbers("新增学位2.3万个，2万余名师生", "zh")]
[('2.3万', Decimal('23000'), False), ('2万余', Decimal('20000'), True)]
>>> [(m.text, m.value) for m in find_numbers("Nearly 200 million yuan in 2021", "en")]
[('Nearly 200 million', Decimal('200000000'))]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

__all__ = ["NumberMatch", "parse_number", "find_numbers", "find_years", "format_number", "is_year_value"]


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """One number found in a text; ``text == source[start:end]``.

    The span includes approximation markers ("nearly 200", "2万余") and
    ordinal / percent markers ("第五十", "No. 50", "80.9%").
    """

    start: int
    end: int
    value: Decimal
    approximate: bool
    is_ordinal: bool
    is_percent: bool
    text: str
    is_year: bool = False


# --------------------------------------------------------------------------- vocabulary

_ZH_DIGITS = "零〇一二两三四五六七八九"
_ZH_NUMERAL_CHARS = _ZH_DIGITS + "十百千万亿"
_ZH_MULT = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_EN_SCALE = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}

_EN_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_ORD_UNITS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_EN_ORD_TENS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()

_ZH_APPROX_PRE = ("将近", "接近", "大约", "约有", "超过", "多达", "近", "约", "逾", "超")
_ZH_APPROX_POST = ("余", "多", "左右", "以上", "上下", "有余")
_EN_APPROX_PRE = (
    "more than",
    "less than",
    "fewer than",
    "close to",
    "up to",
    "at least",
    "upwards of",
    "in excess of",
    "nearly",
    "almost",
    "about",
    "around",
    "approximately",
    "roughly",
    "over",
    "some",
    "exceeding",
)
_EN_APPROX_POST = ("or so", "or more", "odd", "plus", "+")  # "+" only when no digit follows

# --------------------------------------------------------------------------- patterns

_D = r"[0-9０-９]"
_DIGITS = rf"{_D}+(?:,{_D}{{3}})*(?!{_D})(?:[.．]{_D}+)?"  # 4,560 / 80.9 / full-width digits
_CN = rf"[{_ZH_NUMERAL_CHARS}]*[{_ZH_DIGITS}十][{_ZH_NUMERAL_CHARS}]*"
_ZH_CORE = rf"(?:{_DIGITS}(?:[多余几]?[十百千万亿]+)?|{_CN})"

_ZH_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("percent", re.compile(rf"百分之(?:{_DIGITS}|{_CN})|{_ZH_CORE}\s*[%％]")),
    ("ordinal", re.compile(rf"第\s*{_ZH_CORE}")),
    ("cardinal", re.compile(_ZH_CORE)),
)

_EN_WORD = "|".join(_EN_UNITS + _EN_TENS + list(_EN_SCALE))
_EN_WORDS = (
    rf"\b(?:(?:a|one)\s+(?=hundred|thousand|million|billion))?(?:{_EN_WORD})"
    rf"(?:(?:[\s-]+|\s+and\s+|,\s+)(?:{_EN_WORD}))*\b"
)
_EN_ORD_WORD = (
    rf"\b(?:(?:{'|'.join(_EN_TENS)})[\s-])?(?:{'|'.join(_EN_ORD_UNITS)})\b"
    rf"|\b(?:{'|'.join(_EN_ORD_TENS)}|hundredth|thousandth)\b"
)
_EN_SCALED = rf"{_DIGITS}(?:\s*(?:hundred|thousand|million|billion|trillion)\b)?"

_EN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("percent", re.compile(rf"(?:{_DIGITS}|{_EN_WORDS})\s*(?:%|％|\bper\s?cent\b)", re.I)),
    ("ordinal", re.compile(rf"\b[Nn][Oo]\.\s*{_D}+\b|\bNo\s+{_D}+\b|\b{_D}+(?:st|nd|rd|th)\b|{_EN_ORD_WORD}", re.I)),
    ("cardinal", re.compile(rf"{_EN_SCALED}|{_EN_WORDS}", re.I)),
)

_EN_YEAR_CUE_BEFORE = re.compile(
    r"(?:\b(?:in|since|by|from|to|until|till|through|of|during|before|after|year|early|end|mid|late|"
    + "|".join(_MONTHS)
    + r")|[-–—~])\s*$",
    re.I,
)
_EN_YEAR_CUE_AFTER = re.compile(r"^(?:\s*(?:[,.;:)\]–—~-]|to\b|and\b|school year|academic year|\n)|\s*$)")
_ZH_YEAR_AFTER = re.compile(r"^\s*(?:学?年(?!级)|[-—–~至到]\s*(?:[0-9０-９]{4}|[零〇一二三四五六七八九]{4})\s*学?年)")
_TIME = re.compile(rf"{_D}{{1,2}}[:：]{_D}{{2}}")
_DATE_OR_TIME = re.compile(
    rf"{_D}{{4}}[-/.年]{_D}{{1,2}}[-/.月]{_D}{{1,2}}日?|{_D}{{1,2}}[:：]{_D}{{2}}(?:[:：]{_D}{{2}})?"
)
_EN_NOT_YEAR_AFTER = re.compile(
    r"^\s+(?:new\s+|more\s+|additional\s+|other\s+)?(?:[a-z]*[a-rt-z]s|yuan|mu|people|children|staff|rmb|km|m2)\b",
    re.I,
)


# --------------------------------------------------------------------------- parsing


def parse_number(text: str) -> Decimal:
    """Parse one written number, fully expanded; raise ``ValueError`` if it is none.

    Accepts digits (with thousands commas and decimals), digits with a Chinese
    multiplier (万, 亿, 千万) or English scale (million), Chinese numerals,
    English number words, percentages (the value in percent), ordinals
    (第五十, fiftieth, No. 50, 50th) and approximation markers (which are
    dropped: 2万余 -> 20000).

    Examples
    --------
    >>> [str(parse_number(s)) for s in ["2.3万", "1.5亿", "百分之九十", "4,560", "200 million"]]
    ['23000', '150000000', '90', '4560', '200000000']
    >>> [str(parse_number(s)) for s in ["twenty-six", "三", "80.9%", "第五十", "fiftieth"]]
    ['26', '3', '80.9', '50', '50']
    >>> parse_number("school")
    Traceback (most recent call last):
    ...
    ValueError: not a number: 'school'
    """
    s = _strip_markers(unicodedata.normalize("NFKC", text).strip())
    for reader in (_read_digits, _read_zh, _read_en):
        value = reader(s)
        if value is not None:
            return _tidy(value)
    raise ValueError(f"not a number: {text!r}")


def _strip_markers(s: str) -> str:
    """Drop percent, ordinal and approximation markers around the number itself."""
    prev = None
    while prev != s:
        prev = s
        low = s.lower()
        for pre in ("百分之", "第", *_ZH_APPROX_PRE):
            if s.startswith(pre) and len(s) > len(pre):
                s = s[len(pre) :].strip()
        for pre in _EN_APPROX_PRE:
            if low.startswith(pre + " "):
                s = s[len(pre) :].strip()
        s = re.sub(r"^no\.?\s*(?=\d)", "", s, flags=re.I)
        s = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", s)
        s = re.sub(r"\s*(?:%|\bper\s?cent)$", "", s, flags=re.I)
        for post in (*_ZH_APPROX_POST, *(" " + p for p in _EN_APPROX_POST), "+"):
            if s.endswith(post) and len(s) > len(post):
                s = s[: -len(post)].strip()
    return s


def _read_digits(s: str) -> Decimal | None:
    """Digits, optionally followed by a Chinese multiplier or an English scale."""
    m = re.fullmatch(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*[多余几]?\s*([十百千万亿]*|[a-zA-Z ]*)", s)
    if not m:
        return None
    value = Decimal(m.group(1).replace(",", ""))
    suffix = m.group(2).strip().lower()
    if not suffix:
        return value
    if all(ch in _ZH_MULT for ch in suffix):
        for ch in suffix:
            value *= _ZH_MULT[ch]
        return value
    if suffix in _EN_SCALE:
        return value * _EN_SCALE[suffix]
    return None


def _read_zh(s: str) -> Decimal | None:
    if not s or any(ch not in _ZH_NUMERAL_CHARS for ch in s):
        return None
    import cn2an

    try:
        value = cn2an.cn2an(s, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return Decimal(str(value))


def _read_en(s: str) -> Decimal | None:
    words = re.sub(r"[\s,-]+", " ", s.lower()).strip()
    if not words or not re.fullmatch(r"[a-z ]+", words):
        return None
    words = re.sub(r"^a (?=hundred|thousand|million|billion)", "one ", words)
    from number_parser import parse_number as np_parse
    from number_parser import parse_ordinal

    value = np_parse(words)
    if value is None and re.search(r"(?:st|nd|rd|th)$", words):
        value = parse_ordinal(words)
    if value is None:
        return None
    return Decimal(value)


def _tidy(value: Decimal) -> Decimal:
    """Whole numbers as plain integers, other values without trailing zeros."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


# --------------------------------------------------------------------------- finding


def find_numbers(text: str, lang: str, *, include_years: bool = False) -> Iterator[NumberMatch]:
    """Yield every number in ``text`` with exact offsets, in reading order.

    ``lang`` is "zh" or "en" (anything else is read as English).  Calendar
    dates and clock times are skipped; years are skipped unless
    ``include_years`` (then they carry ``is_year=True``).

    Examples
    --------
    >>> [(m.text, str(m.value)) for m in find_numbers("建成二十六所学校,占80.9%", "zh")]
    [('二十六', '26'), ('80.9%', '80.9')]
    >>> [(m.text, m.is_ordinal) for m in find_numbers("the fiftieth school and No. 50", "en")]
    [('fiftieth', True), ('No. 50', True)]
    >>> [m.value for m in find_numbers("2021年5月6日", "zh", include_years=True)]
    [Decimal('2021')]
    """
    zh = lang == "zh"
    blocked = [m.span() for m in _DATE_OR_TIME.finditer(text)]
    for kind, start, end in _core_spans(text, zh):
        core = text[start:end]
        value = _parse_core(core)
        if value is None:
            continue
        year = _looks_like_year(text, start, end, value, kind, zh)
        if year and not include_years:
            continue
        if not year and (_is_date_or_time(text, start, end, value, zh) or _overlaps(start, end, blocked)):
            continue
        s, e, approx = _attach_markers(text, start, end, zh) if not year else (start, end, False)
        approx = approx or bool(_DIGIT_APPROX.search(core))
        yield NumberMatch(s, e, value, approx, kind == "ordinal", kind == "percent", text[s:e], is_year=year)


_PLAIN_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGIT_APPROX = re.compile(r"\d[多余几]")


@lru_cache(maxsize=1 << 14)
def _parse_core(core: str) -> Decimal | None:
    """``parse_number`` of a core span, None when it is none; plain ASCII digits skip the general readers.

    >>> _parse_core("2021"), _parse_core("80.50"), _parse_core("二十六"), _parse_core("第")
    (Decimal('2021'), Decimal('80.5'), Decimal('26'), None)
    """
    if _PLAIN_DIGITS.fullmatch(core):
        return _tidy(Decimal(core))
    try:
        return parse_number(core)
    except ValueError:
        return None


def find_years(text: str, lang: str) -> Iterator[NumberMatch]:
    """Yield only the years stated in ``text``.

    >>> [int(m.value) for m in find_years("2021年至2023年,共3所", "zh")]
    [2021, 2023]
    >>> [int(m.value) for m in find_years("In 2021, 2000 students", "en")]
    [2021]
    """
    return (m for m in find_numbers(text, lang, include_years=True) if m.is_year)


def _core_spans(text: str, zh: bool) -> list[tuple[str, int, int]]:
    """Non-overlapping core number spans, preferring earlier, then longer, then higher-priority."""
    patterns = _ZH_PATTERNS if zh else _EN_PATTERNS
    found = []
    for prio, (kind, pattern) in enumerate(patterns):
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            while end > start and text[end - 1] in ", ":  # trailing separators of a word run
                end -= 1
            if end > start:
                found.append((start, -(end - start), prio, kind, end))
    found.sort()
    spans, last_end = [], -1
    for start, _neg, _prio, kind, end in found:
        if start >= last_end:
            spans.append((kind, start, end))
            last_end = end
    return spans


def is_year_value(value: Decimal) -> bool:
    """Whether ``value`` could be a calendar year of a modern news report.

    >>> is_year_value(Decimal(2021)), is_year_value(Decimal("2021.5")), is_year_value(Decimal(750))
    (True, False, False)
    """
    return value == value.to_integral_value() and 1900 <= value <= 2100


def _looks_like_year(text: str, start: int, end: int, value: Decimal, kind: str, zh: bool) -> bool:
    core = text[start:end]
    if kind != "cardinal" or not is_year_value(value) or not re.fullmatch(r"[0-9０-９零〇一二三四五六七八九]{4}", core):
        return False
    after = text[end : end + 12]
    if zh:
        return bool(_ZH_YEAR_AFTER.match(after)) or bool(re.search(r"[0-9]{4}\s*[-—–~至到]\s*$", text[:start][-8:]))
    if not core.isdigit():
        return False
    if _EN_YEAR_CUE_BEFORE.search(text[max(0, start - 12) : start]) or _EN_YEAR_CUE_AFTER.match(after):
        return True
    return not _EN_NOT_YEAR_AFTER.match(after)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _is_date_or_time(text: str, start: int, end: int, value: Decimal, zh: bool) -> bool:
    if _TIME.match(text, start) or (start > 0 and text[start - 1] in ":：" and text[start - 2 : start - 1].isdigit()):
        return True
    if value != value.to_integral_value() or not 1 <= value <= 31:
        return False
    before, after = text[max(0, start - 10) : start], text[end : end + 10]
    if zh:
        if after.startswith("月") and value <= 12 and not before.endswith("个"):
            return True
        if after[:1] in ("日", "号") and (before.endswith("月") or after[:1] == "日"):
            return not after.startswith("日常")
        return bool(re.search(r"(?:周|星期|礼拜)$", before))
    month = "|".join(_MONTHS)
    return bool(re.search(rf"\b(?:{month})\.?\s*$", before)) or bool(re.match(rf"\s*(?:{month})\b", after))


@cache
def _marker_patterns(zh: bool) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(approximation prefix at the end of a string, suffix at its start), compiled once per language."""
    pres = _ZH_APPROX_PRE if zh else _EN_APPROX_PRE
    posts = _ZH_APPROX_POST if zh else _EN_APPROX_POST
    flags = 0 if zh else re.I
    bound = r"" if zh else r"\b"
    tail = r"" if zh else r"(?![a-z])"
    pre = re.compile(rf"{bound}(?:{'|'.join(map(re.escape, pres))})\s*$", flags)
    post = re.compile(rf"\s*(?:{'|'.join(map(re.escape, posts))}){tail}(?![0-9])", flags)
    return pre, post


def _attach_markers(text: str, start: int, end: int, zh: bool) -> tuple[int, int, bool]:
    """Widen ``[start, end)`` over approximation markers around it."""
    approx = False
    before = text[max(0, start - 16) : start]
    pre, post = _marker_patterns(zh)
    m = pre.search(before)
    if m and not (zh and re.search(r"[最附]近\s*$", before)):
        start -= len(before) - m.start()
        approx = True
    m = post.match(text[end : end + 8])
    if m and not (zh and re.match(r"多[元样种彩]", text[end : end + 2])):
        end += m.end()
        approx = True
    return start, end, approx


# --------------------------------------------------------------------------- formatting


def format_number(value: Decimal | int, style: str = "digits") -> str:
    """Write ``value`` in one of the styles ``parse_number`` reads back.

    Styles: "digits" (4560), "comma" (4,560), "zh" (四千五百六十), "wan"
    (0.456万), "percent" (4560%).

    >>> [format_number(4560, s) for s in ("digits", "comma", "zh", "wan")]
    ['4560', '4,560', '四千五百六十', '0.456万']
    """
    value = _tidy(Decimal(value))
    if style == "digits":
        return f"{value:f}"
    if style == "comma":
        return f"{value:,f}"
    if style == "zh":
        import cn2an

        return cn2an.an2cn(str(value))
    if style == "wan":
        return f"{_tidy(value / 10_000):f}万"
    if style == "percent":
        return f"{value:f}%"
    raise ValueError(f"unknown style {style!r}")
