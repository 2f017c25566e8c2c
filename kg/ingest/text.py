"""Language detection, dates and titles of article text (no IO).

>>> detect_language("郑东新区深化集团化办学,让更多优质学校开到家门口。")
'zh'
>>> parse_date("Author:Mengye News Time:2022.07.14")
'2022-07-14'
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

__all__ = [
    "CJK",
    "detect_language",
    "normalize_lang",
    "parse_date",
    "header_date",
    "find_title",
    "clean_title",
    "title_key",
]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LETTER = re.compile(r"[^\W\d_]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")


def detect_language(text: str) -> str:
    """``"en"``, ``"zh"``, another ISO 639-1 code, or ``"unknown"``; deterministic.

    >>> detect_language("The district education bureau opened three new schools this year.")
    'en'
    >>> detect_language("洛阳市教育局")
    'zh'
    >>> detect_language("Le bureau de l'éducation a ouvert trois nouvelles écoles cette année.")
    'fr'
    >>> detect_language("12345 ...")
    'unknown'
    """
    sample = text[:20_000]
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return "unknown"
    cjk = len(CJK.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if kana > 0.05 * letters:
        return "ja"
    if hangul > 0.2 * letters:
        return "ko"
    if cjk >= 0.25 * letters:
        return "zh"
    if _english_share(sample) >= 0.2:
        return "en"  # fast path: langdetect costs tens of milliseconds per article
    return _langdetect(sample[:3000])


_EN_FUNCTION_WORDS = frozenset(
    "the of and to in is are was were for on with that this by as at from it be has have will its their".split()
)


def _english_share(sample: str) -> float:
    """Share of English function words among the Latin-script words (0 for fewer than 20 words)."""
    words = re.findall(r"[a-z]+", sample[:5000].lower())
    if len(words) < 20:
        return 0.0
    return sum(word in _EN_FUNCTION_WORDS for word in words) / len(words)


def _langdetect(sample: str) -> str:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        code = detect(sample)
    except LangDetectException:
        return "unknown"
    return "zh" if code.startswith("zh") else code


_LANG_NAMES = {"english": "en", "chinese": "zh", "中文": "zh", "汉语": "zh", "英文": "en", "英语": "en"}


def normalize_lang(value: str) -> str:
    """``"zh-CN"`` -> ``"zh"``, ``"English"`` -> ``"en"``."""
    value = value.strip().lower()
    return _LANG_NAMES.get(value, re.split(r"[-_]", value)[0] or "unknown")


# --------------------------------------------------------------------------- dates

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_NUMERIC = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})(?!\d)")
_DATE_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+((?:19|20)\d\d)\b", re.I)


def parse_date(text: str) -> str | None:
    """The first full calendar date in ``text`` as ``YYYY-MM-DD``, or None.

    >>> [parse_date(s) for s in ("2022-05-15 0 By", "2023年1月3日 来源:洛阳日报", "May 3, 2022",
    ...                          "3rd March 2023", "2022-05-15T08:00:00+08:00", "２０２３年１２月１日", "2022-02-30")]
    ['2022-05-15', '2023-01-03', '2022-05-03', '2023-03-03', '2022-05-15', '2023-12-01', None]
    """
    norm = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str]] = []
    for match in _DATE_NUMERIC.finditer(norm):
        found.append((match.start(), _iso(match[1], match[2], match[3])))
    for match in _DATE_MDY.finditer(norm):
        found.append((match.start(), _iso(match[3], _MONTHS[match[1].lower()], match[2])))
    for match in _DATE_DMY.finditer(norm):
        found.append((match.start(), _iso(match[3], _MONTHS[match[2].lower()], match[1])))
    valid = sorted((pos, iso) for pos, iso in found if iso)
    return valid[0][1] if valid else None


def _iso(year: str | int, month: str | int, day: str | int) -> str:
    try:
        return _dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def header_date(lines: list[str], start: int, *, window: int = 6) -> tuple[str | None, int | None]:
    """(date, line index) from a short header line among the first ``window`` non-empty lines."""
    seen = 0
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if not line:
            continue
        seen += 1
        if seen > window:
            break
        if len(line) <= 80 and not re.search(r"[。.!?！？]$", line):
            date = parse_date(line)
            if date:
                return date, index
    return None, None


# --------------------------------------------------------------------------- titles

_KICKERS = {
    "breaking",
    "breaking news",
    "exclusive",
    "news",
    "top news",
    "headline",
    "headlines",
    "update",
    "live",
    "latest",
    "latest news",
    "快讯",
    "独家",
    "头条",
    "要闻",
    "新闻",
    "热点",
    "重磅",
    "最新",
    "最新消息",
    "原创",
    "图文",
    "视频",
}


def find_title(lines: list[str]) -> tuple[str, int | None]:
    """(title, line index): the first non-empty line, skipping a short kicker like "Breaking news".

    A first line counts as a kicker when it is a known label, or when it is
    short and the next non-empty line is repeated nearby (a repeated headline).

    >>> find_title(["", "Breaking news", "", "Yunyang builds schools–", "Yunyang builds schools–", "Body."])
    ('Yunyang builds schools', 3)
    >>> find_title(["", "  "])
    ('', None)
    """
    heads = [i for i, line in enumerate(lines) if line.strip()][:12]
    if not heads:
        return "", None
    pick = heads[0]
    if len(heads) > 1 and _is_kicker(lines[heads[0]], lines[heads[1]], [lines[i] for i in heads[2:]]):
        pick = heads[1]
    return clean_title(lines[pick]), pick


def _is_kicker(first: str, second: str, rest: list[str]) -> bool:
    first, second = first.strip(), second.strip()
    if first.lower().strip(" :：!！|-–—") in _KICKERS:
        return True
    short = len(first) <= 20 and len(first.split()) <= 3 and not re.search(r"\d", first)
    return short and len(second) > 2 * len(first) and second in (r.strip() for r in rest)


def clean_title(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip().rstrip("-–—_|:：·•").strip()


def title_key(line: str) -> str:
    return re.sub(r"\W+", "", clean_title(line)).lower()
