"""Read article files (``.txt``, ``.html``/``.htm``, ``.jsonl``) into :class:`~kg.model.Article`.

IO happens here and nowhere else in the pipeline.  Every problem with a file
(or with one JSONL line) becomes an :class:`~kg.errors.InputError` carrying the
path and line; :func:`read_file` yields it instead of raising, so one bad input
never stops a build.

- Encodings are detected with ``charset-normalizer`` (UTF-8 with or without BOM,
  UTF-16/32 with BOM, GB18030/GBK, ...); NUL bytes or undecodable data mean
  "binary file".
- The title is the first non-empty line (a short kicker such as "Breaking news"
  is skipped); a date is read from a short header line or HTML metadata.
- Language: the share of CJK characters decides English / Chinese; other
  scripts and Latin-script text go through ``langdetect`` with a fixed seed.
- :func:`find_body_end` finds where trailing site junk (related-news lists,
  PREV/NEXT, contact and share blocks, tags, "- END -", copyright) starts, by
  general line rules.  ``Article.text`` keeps everything; ``body_end`` marks it.

Examples
--------
>>> detect_language("郑东新区深化集团化办学,让更多优质学校开到家门口。")
'zh'
>>> parse_date("Author:Mengye News Time:2022.07.14")
'2022-07-14'
>>> text = "Title\\n\\nThe district education bureau opened three new schools this year.\\n\\n- END -\\n\\nOther news"
>>> text[find_body_end(text):]
'- END -\\n\\nOther news'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from .errors import InputError
from .model import Article

__all__ = [
    "SUPPORTED_SUFFIXES",
    "MAX_BYTES",
    "iter_input_files",
    "read_file",
    "decode_bytes",
    "detect_language",
    "find_body_end",
    "parse_date",
    "find_title",
    "html_to_text",
    "content_hash",
]

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
MAX_BYTES = 20_000_000
SUPPORTED_LANGS = ("en", "zh")

# --------------------------------------------------------------------------- files


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named directly plus supported files found recursively in folders, sorted by path.

    Hidden files and folders (name starting with ".") inside a folder are skipped.
    A path that does not exist raises :class:`InputError`.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("b.txt", "a.jsonl", "notes.md", "sub/c.HTML"):
    ...     (d / name).parent.mkdir(exist_ok=True)
    ...     _ = (d / name).write_text("x")
    >>> [p.relative_to(d).as_posix() for p in iter_input_files([d])]
    ['a.jsonl', 'b.txt', 'sub/c.HTML']
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in path.rglob("*"):
                rel = child.relative_to(path).parts
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not _hidden(rel):
                    found.setdefault(child.resolve(), child)
        elif path.exists():
            found.setdefault(path.resolve(), path)
        else:
            raise InputError("no such file or directory", path=str(path))
    yield from sorted(found.values())


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


def read_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[Article | InputError]:
    """Every article in the file (JSONL: one per line); each problem yields an InputError.

    Never raises and never stops at a bad JSONL line: the other lines are read.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes("标题\\n\\n2023年1月3日\\n\\n这是正文。".encode("gb18030"))
    >>> [(a.id, a.lang, a.title, a.date) for a in read_file(p)]
    [('x', 'zh', '标题', '2023-01-03')]
    >>> _ = p.write_bytes(b"")
    >>> [str(e) for e in read_file(p)]  # doctest: +ELLIPSIS
    ['.../x.txt: empty file']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield InputError(f"unsupported file type {suffix or '(none)'!r}", path=str(path))
        return
    try:
        text = decode_bytes(_read_bytes(path, max_bytes))
        if suffix == ".jsonl":
            yield from _read_jsonl(path, text)
        elif suffix in (".html", ".htm"):
            yield _read_html(path, text)
        else:
            yield _read_txt(path, text)
    except InputError as exc:
        exc.path = exc.path or str(path)
        yield InputError(exc.reason, path=exc.path, line=exc.line)
    except OSError as exc:
        yield InputError(f"cannot read file: {exc.strerror or exc}", path=str(path))
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the build
        yield InputError(f"could not read: {type(exc).__name__}: {exc}", path=str(path))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over ``max_bytes`` before reading them."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"file too large ({size} bytes > {max_bytes})")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    if len(data) > max_bytes:
        raise InputError(f"file too large (more than {max_bytes} bytes)")
    return data


# --------------------------------------------------------------------------- decoding

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Encodings charset-normalizer may choose from: those news sites use; a narrower set guesses better.
_CANDIDATES = (
    "utf_8", "gb18030", "big5", "cp1252", "cp1251", "koi8_r", "shift_jis", "euc_jp", "euc_kr",
    "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be",
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode_bytes(data: bytes) -> str:
    """Decode file bytes to text with ``\\n`` newlines; raise InputError for empty or binary data.

    >>> decode_bytes("\\ufeffA\\r\\nB".encode("utf-8"))
    'A\\nB'
    >>> decode_bytes("中文".encode("utf-16"))
    '中文'
    >>> decode_bytes(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: binary file
    """
    if not data.strip():
        raise InputError("empty file")
    text = _decode(data)
    if text is None or _looks_binary(text):
        raise InputError("binary file")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("empty file")
    return text


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" not in data:
        text = _decode_mostly_utf8(data) or _decode_declared(data)
        if text is not None:
            return text
    from charset_normalizer import from_bytes

    wide = b"\x00" in data  # BOM-less UTF-16/32 has NUL bytes; other text never does
    candidates = [e for e in _CANDIDATES if e.startswith(("utf_16", "utf_32")) == wide]
    best = from_bytes(data, cp_isolation=candidates).best()
    return None if best is None else str(best)


def _decode_mostly_utf8(data: bytes) -> str | None:
    """UTF-8, tolerating a few broken sequences (a truncated character) as U+FFFD."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    allowed = len(data) // 1000 + (2 if multibyte >= 20 else 0)  # clearly UTF-8 around a truncated character
    return text if broken <= allowed else None


_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252", "ascii": "cp1252"}


def _decode_declared(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if the bytes decode with it."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = match[1].decode("ascii").lower()
    try:
        return data.decode(_SUPERSETS.get(name, name))
    except (LookupError, UnicodeDecodeError):
        return None


def _looks_binary(text: str) -> bool:
    """NUL characters, or more than 1% control characters (other than whitespace)."""
    if "\x00" in text or "\ufffd" * 4 in text:
        return True
    sample = text[:100_000]
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)


# --------------------------------------------------------------------------- language

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
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
    cjk = len(_CJK.findall(sample))
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


def _normalize_lang(value: str) -> str:
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


def _header_date(lines: list[str], start: int, *, window: int = 6) -> tuple[str | None, int | None]:
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
    return _clean_title(lines[pick]), pick


def _is_kicker(first: str, second: str, rest: list[str]) -> bool:
    first, second = first.strip(), second.strip()
    if first.lower().strip(" :：!！|-–—") in _KICKERS:
        return True
    short = len(first) <= 20 and len(first.split()) <= 3 and not re.search(r"\d", first)
    return short and len(second) > 2 * len(first) and second in (r.strip() for r in rest)


def _clean_title(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip().rstrip("-–—_|:：·•").strip()


# --------------------------------------------------------------------------- trailing junk

_I = re.IGNORECASE
# A line starting trailing site junk, wherever it occurs after the first paragraph.
_STRONG = [
    re.compile(r"^[-—–_=*·~\s(（【\[]*(?:the\s+)?(?:end|完|全文完|本文完)[-—–_=*·~\s)）】\]]*$", _I),
    re.compile(
        r"^(?:the|this)\s+(?:original\s+)?(?:article|story|report)\s+is\s+(?:written\s+|published\s+)?in\s+\w+\W*$",
        _I,
    ),
    re.compile(r"^(?:tags?|keywords?|标签|关键词|关键字)\s*[:：]", _I),
    re.compile(r"^(?:PREV|NEXT|PREVIOUS)\b"),
    re.compile(r"^(?:«\s*)?(?:previous|next)\s*(?:article|post|story|news|page|item)?\s*(?:[:：>»]|$)", _I),
    re.compile(r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)"),
    re.compile(
        r"^(?:相关推荐|相关阅读|相关新闻|相关文章|相关链接|推荐阅读|延伸阅读|热门推荐|热点推荐|精彩推荐|猜你喜欢|"
        r"更多新闻|更多精彩|热门文章|热点新闻|往期回顾|往期推荐)\s*[:：]?\s*$"
    ),
    re.compile(
        r"^(?:related|recommended|more|popular|latest|trending|top|further)\s+"
        r"(?:news|articles?|stories|posts|reading|reads|headlines|content|links)\b.{0,30}$",
        _I,
    ),
    re.compile(r"^(?:you\s+(?:may|might)\s+(?:also\s+)?like|read\s+more|see\s+also|don'?t\s+miss)\W*$", _I),
    re.compile(
        r"^(?:联系我们|联系方式|在线咨询|客服热线|投稿邮箱|contact\s+us|about\s+us|关于我们)\s*(?:[:：].*)?$", _I
    ),
    re.compile(
        r"^(?:打赏|赞赏|分享到|分享至|微信扫一扫|支付宝扫一扫|扫一扫|扫码|长按二维码|免责声明|disclaimer\b)", _I
    ),
    re.compile(
        r"(?:copyright\s*(?:©|\(c\)|\d{4})|©\s*\d{4}|版权所有|all rights reserved|未经授权[,，]?\s*不得|禁止转载)", _I
    ),
]
# A line that is junk when it sits next to other junk (extends a block backwards, or ends the text).
_WEAK = [
    re.compile(r"^[\(（\[【]?\s*[\d.,]+\s*[KkMmWw万千+]?\s*[\)）\]】]?\s*[\d.,]*$"),  # counters: (0), 7100, 1.8K0
    re.compile(
        r"^(?:关注微信|关注我们|点赞|收藏|评论|分享|在看|阅读原文|阅读\s*\d*|返回顶部|返回首页|打印本页|关闭窗口|"
        r"【?打印】?\s*【?关闭】?|二维码|微信公众号)\s*[:：]?\s*\S{0,20}$"
    ),
    re.compile(
        r"^(?:share|like|tweet|print|email|e-mail|comments?|back\s+to\s+top|follow\s+us|subscribe|tip)\b.{0,40}$",
        _I,
    ),
    re.compile(r"^(?:邮件|邮箱|电子邮箱|e-?mail|电话|tel|传真|fax|地址|工作时间|qq|微信)\s*[:：]", _I),
]


def find_body_end(text: str) -> int | None:
    """Offset of the first line of trailing site junk, or None if the text has none.

    A junk block starts at a strong marker line ("- END -", "PREV"/"NEXT",
    上一篇, 相关推荐, "Tags:", 联系我们, 打赏, "The article is in Chinese",
    copyright, a repeated title in the second half...) found after the first
    paragraph, and extends backwards over adjacent weak junk lines (counters
    like "(0)", share buttons, contact fields).  Without a marker, a run of weak
    junk lines ending the text is junk.

    >>> find_body_end("Title\\n\\n" + "Body text. " * 10 + "\\n\\nShare\\n(0)")
    119
    >>> find_body_end("Title\\n\\n" + "Body text. " * 10) is None
    True
    """
    lines = text.split("\n")
    starts = _line_starts(lines)
    title, title_line = find_title(lines)
    first_para = next((i for i, line in enumerate(lines) if _weight(line) >= 60 and i != title_line), None)
    if first_para is None:
        return None
    marker = _first_marker(lines, starts, first_para, title, len(text))
    end = marker if marker is not None else len(lines)
    begin = _extend_back(lines, end, first_para)
    if begin == end and marker is None:
        return None
    return starts[begin] if begin < len(lines) else None


def _line_starts(lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts


def _weight(line: str) -> int:
    """Length with CJK characters counted twice (a Chinese character carries about a word)."""
    line = line.strip()
    return len(line) + len(_CJK.findall(line))


def _first_marker(lines: list[str], starts: list[int], after: int, title: str, size: int) -> int | None:
    key = _title_key(title)
    for index in range(after + 1, len(lines)):
        line = lines[index].strip()
        if not line:
            continue
        if any(p.search(line) for p in _STRONG):
            return index
        if key and starts[index] >= size // 2 and _title_key(line) == key:
            return index
    return None


def _title_key(line: str) -> str:
    return re.sub(r"\W+", "", _clean_title(line)).lower()


def _extend_back(lines: list[str], end: int, floor: int) -> int:
    """Move ``end`` back over blank and weak-junk lines (never into the first paragraph)."""
    begin = end
    index = end - 1
    while index > floor:
        line = lines[index].strip()
        if line and not any(p.search(line) for p in _WEAK):
            break
        if line:
            begin = index
        index -= 1
    return begin


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "canvas", "button", "select", "input", "textarea", "object", "embed", "dialog",
)  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_JUNK_CLASS = re.compile(
    r"(?:^|[-_])(?:share|sharing|social|related|recommend|comments?|breadcrumbs?|sidebar|footer|nav|navbar|menu|"
    r"advert|ads|cookie|popup|subscribe|newsletter|toolbar)(?:$|[-_])",
    _I,
)
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "table", "tr", "blockquote", "pre", "figure", "figcaption", "dd", "dt", "dl", "address", "hr", "body",
)  # fmt: skip
_META_DATES = (
    "article:published_time", "og:published_time", "og:article:published_time", "pubdate", "publishdate",
    "publish_date", "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.date", "dcterms.created",
    "article.published", "citation_publication_date", "sailthru.date", "parsely-pub-date", "datepublished",
)  # fmt: skip


def html_to_text(html: str) -> tuple[str, str, str | None]:
    """(title, text, date) of an HTML page; scripts, styles and page chrome never reach the text.

    >>> title, text, date = html_to_text(
    ...     "<html><head><title>T - Site</title><meta property='og:title' content='T'>"
    ...     "<script>var x = 1;</script><meta name='pubdate' content='2023-01-03'></head>"
    ...     "<body><nav>Home</nav><h1>T</h1><p>One <b>bold</b> line.</p><style>p{}</style></body></html>")
    >>> (title, text, date)
    ('T', 'T\\n\\nOne bold line.', '2023-01-03')
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(html, "lxml")
    title = _html_title(soup)
    date = _html_date(soup)
    _drop_chrome(soup)
    root = _content_root(soup)
    for node in root.find_all(string=True):
        if type(node) is NavigableString and node.find_parent("pre") is None:
            node.replace_with(re.sub(r"\s+", " ", str(node)))
    for br in root.find_all("br"):
        br.replace_with("\n")
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = _tidy(root.get_text())
    return title, text, date


def _html_title(soup) -> str:
    og = soup.find("meta", attrs={"property": "og:title"}) or soup.find("meta", attrs={"name": "og:title"})
    candidates = [og.get("content") if og else None]
    h1 = soup.find("h1")
    candidates.append(h1.get_text(" ") if h1 else None)
    candidates.append(soup.title.get_text(" ") if soup.title else None)
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return _clean_title(value)
    return ""


def _html_date(soup) -> str | None:
    values: list[str] = []
    for meta in soup.find_all("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if name in _META_DATES and isinstance(meta.get("content"), str):
            values.append(meta["content"])
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        values.extend(re.findall(r'"datePublished"\s*:\s*"([^"]+)"', script.get_text()))
    for tag in soup.find_all(["time", True], attrs={"itemprop": "datePublished"}) + soup.find_all("time"):
        values.append(tag.get("datetime") or tag.get("content") or tag.get_text(" "))
    for value in values:
        date = parse_date(str(value))
        if date:
            return date
    return None


def _drop_chrome(soup) -> None:
    from bs4 import NavigableString

    for node in soup.find_all(string=lambda s: type(s) is not NavigableString):
        node.extract()  # comments, CDATA, processing instructions, doctype
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    body = soup.body or soup
    total = len(body.get_text())
    for tag in body.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        if _is_chrome(tag) and len(tag.get_text()) < 0.5 * total:
            tag.decompose()


def _is_chrome(tag) -> bool:
    if tag.get("hidden") is not None or tag.get("aria-hidden") == "true":
        return True
    if (tag.get("role") or "").lower() in _DROP_ROLES:
        return True
    style = (tag.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    names = [*(tag.get("class") or []), tag.get("id") or ""]
    return any(isinstance(n, str) and _JUNK_CLASS.search(n) for n in names)


def _content_root(soup):
    """The single <article> or <main> if there is one with enough text, else <body>."""
    body = soup.body or soup
    total = len(body.get_text(strip=True)) or 1
    for name in ("article", "main"):
        found = body.find_all(name)
        if len(found) == 1 and len(found[0].get_text(strip=True)) >= 0.3 * total:
            return found[0]
    return body


def _tidy(text: str) -> str:
    """Collapse runs of spaces within lines and of blank lines between them."""
    lines = [re.sub(r"[ \t\u00a0\u3000\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------- articles


def _article_id(stem: str) -> str:
    from .vocab import slugify

    return stem if re.fullmatch(r"[A-Za-z0-9_.\-]{1,120}", stem) else slugify(stem)


def content_hash(**fields: object) -> str:
    """``sha256:`` + hex digest of the fields, canonically serialised.

    >>> content_hash(a=1, b="x") == content_hash(b="x", a=1)
    True
    """
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _make_article(
    *, id: str, source_file: str, title: str, date: str | None, text: str, lang: str | None, url: str | None = None
) -> Article:
    """Check body and language, find the junk, hash everything."""
    body_end = find_body_end(text)
    body = text[:body_end]
    if not _has_body(body, title):
        raise InputError("no body text")
    lang = lang or detect_language(body)
    if lang not in SUPPORTED_LANGS:
        raise InputError(f"language {lang} not supported")
    fields = dict(id=id, source_file=source_file, lang=lang, title=title, date=date, text=text, url=url)
    return Article(**fields, body_end=body_end, content_hash=content_hash(**fields, body_end=body_end))


def _has_body(body: str, title: str) -> bool:
    """True when something other than the title, date lines, junk lines and punctuation is left."""
    key = _title_key(title)
    for line in body.split("\n"):
        rest = line.strip()
        if (parse_date(rest) and len(rest) <= 80) or any(p.search(rest) for p in _STRONG + _WEAK):
            rest = ""
        if re.search(r"\w", rest) and (_title_key(rest) != key or not key):
            return True
    return False


def _read_txt(path: Path, text: str) -> Article:
    lines = text.split("\n")
    title, index = find_title(lines)
    date, _ = _header_date(lines, (index or 0) + 1)
    return _make_article(id=_article_id(path.stem), source_file=path.name, title=title, date=date, text=text, lang=None)


def _read_html(path: Path, html: str) -> Article:
    title, text, date = html_to_text(html)
    lines = text.split("\n")
    if not title:
        title, _ = find_title(lines)
    elif _title_key(title) not in {_title_key(line) for line in lines[:6]}:
        text = f"{title}\n\n{text}"
        lines = text.split("\n")
    if date is None:
        date, _ = _header_date(lines, 1)
    if not text.strip():
        raise InputError("no body text" if title else "empty file")
    return _make_article(id=_article_id(path.stem), source_file=path.name, title=title, date=date, text=text, lang=None)


def _read_jsonl(path: Path, text: str) -> Iterator[Article | InputError]:
    stem = _article_id(path.stem)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield _jsonl_article(json.loads(line), f"{stem}-L{number}", path.name)
        except json.JSONDecodeError as exc:
            yield InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=number)
        except InputError as exc:
            yield InputError(exc.reason, path=str(path), line=number)
        except Exception as exc:  # noqa: BLE001 - one line's failure never stops the others
            yield InputError(f"could not read line: {type(exc).__name__}: {exc}", path=str(path), line=number)


def _jsonl_article(record: object, article_id: str, source_file: str) -> Article:
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    text = _field(record, "text", "content", "body")
    if not text.strip():
        raise InputError("no body text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    title = _clean_title(_field(record, "title")) or find_title(text.split("\n"))[0]
    date = parse_date(_field(record, "date", "published", "pubdate"))
    lang = _field(record, "language", "lang")
    return _make_article(
        id=article_id,
        source_file=source_file,
        title=title,
        date=date,
        text=text,
        lang=_normalize_lang(lang) if lang.strip() else None,
        url=_clean_url(_field(record, "url", "link")),
    )


def _field(record: dict, *names: str) -> str:
    """The first present field among ``names`` as a string ("" when absent or null)."""
    for name in names:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InputError(f"field {name!r} must be a string, got {type(value).__name__}")
        return str(value)
    return ""


def _clean_url(url: str) -> str | None:
    """An absolute http(s) URL with IRI-unsafe characters percent-encoded, else None.

    >>> _clean_url('https://ex.org/a b<c>')
    'https://ex.org/a%20b%3Cc%3E'
    >>> _clean_url("javascript:alert(1)") is None
    True
    """
    url = url.strip()
    if not re.match(r"^https?://[^/\s]", url, _I):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
