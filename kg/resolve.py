"""Entity resolution: mentions -> entities with stable, order-independent keys.

A key is ``Kind/parts`` built from the name alone: an area prefix (an
administrative division read through pinyin, or an unknown "X New District"),
then ordinals (``no-50``), generic words translated to one canonical English
form (实验 = Experimental, 老城 = Old City) and proper-name runs in toneless
pinyin.  So 洛阳市第五十中学, "luoyang fiftieth middle school" and "The No. 50
Middle School in Luoyang city" share one key, and so do 老城区 and "Old City
District".  Policies found in the thesaurus get ``Policy/<thesaurus id>``.

Examples
--------
>>> name_key("School", "洛阳市第五十中学", "zh")
'School/luoyang-no-50-middle-school'
>>> name_key("School", "luoyang fiftieth middle school", "en")
'School/luoyang-no-50-middle-school'
>>> name_key("School", "The No. 50 Middle School in Luoyang city", "en")
'School/luoyang-no-50-middle-school'
>>> name_key("District", "Old City District", "en") == name_key("District", "老城区", "zh")
True
>>> name_key("Policy", "ShuangJian", "en")
'Policy/double-reduction'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from .lexicon import (
    Division,
    divisions_by_name,
    divisions_by_pinyin,
    generic_terms,
    is_pinyin,
    ordinal_value,
    org_suffixes,
    policies,
    school_suffixes,
    to_pinyin,
)
from .model import Entity, Extraction, Mention, Resolution, ResolvedFact, ResolvedObservation

__all__ = ["resolve", "name_key", "Area", "area_of", "policy_id", "canonical_label", "NameParts", "parse_name"]

_ZH = re.compile(r"[\u4e00-\u9fff]")
_EN_STOP = {"the", "of", "in", "a", "an", "and", "at", "for", "to", "'s", "s"}
_DIV_WORDS = {
    "district": "区",
    "county": "县",
    "banner": "旗",
    "city": "市",
    "municipal": "市",
    "municipality": "市",
    "area": "区",
}


@dataclass(frozen=True, slots=True)
class Area:
    """An area a name starts with: ``part`` is its key part ("luoyang-laocheng")."""

    part: str
    kind: str  # City / District / Province
    division: Division | None = None
    label_en: str = ""
    label_zh: str | None = None


@dataclass(frozen=True, slots=True)
class NameParts:
    area: Area | None
    parts: tuple[str, ...]  # canonical parts after the area


# ----------------------------------------------------------------------------- lexicon views


@cache
def _en_generic() -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """(english tokens, canonical english, zh) for every generic phrase, longest first."""
    rows = []
    for t in (*school_suffixes(), *org_suffixes(), *generic_terms()):
        if t.kind == "division":
            continue
        for variant in t.en:
            rows.append((tuple(_en_tokens(variant)), _canon_en(t), t.zh))
    rows.sort(key=lambda r: -len(r[0]))
    return tuple(rows)


def _canon_en(term) -> str:
    return _SYNONYM.get(term.en[0], term.en[0])


_SYNONYM = {"junior high school": "junior middle school", "elementary school": "primary school"}


@cache
def _zh_generic() -> tuple[tuple[str, str], ...]:
    """(zh, canonical english), longest zh first."""
    rows = [
        (t.zh, _canon_en(t)) for t in (*school_suffixes(), *org_suffixes(), *generic_terms()) if t.kind != "division"
    ]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


@cache
def _zh_generic_by_char() -> dict[str, tuple[tuple[str, str], ...]]:
    """:func:`_zh_generic` grouped by first character (order kept: longest first).

    >>> ("实验", "experimental") in _zh_generic_by_char()["实"]
    True
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for row in _zh_generic():
        out.setdefault(row[0][:1], []).append(row)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _en_generic_by_token() -> dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]:
    """:func:`_en_generic` grouped by first token (order kept: longest first)."""
    out: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for row in _en_generic():
        if row[0]:
            out.setdefault(row[0][0], []).append(row)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _zh_of_generic_index() -> dict[tuple[str, ...], str]:
    """English token tuple -> Chinese of the first (longest-first) generic phrase spelled so."""
    out: dict[tuple[str, ...], str] = {}
    for toks, _, zh in _en_generic():
        out.setdefault(toks, zh)
    return out


_NO_DOT = re.compile(r"\bno\s*\.\s*(?=\d)")
_POSSESSIVE = re.compile(r"'s\b")
_SYLLABLE_APOS = re.compile(r"(?<=[a-z])'(?=[aeo])")
_EN_TOKEN = re.compile(r"[a-z]+(?:\+[a-z0-9]+)?|\d+(?:st|nd|rd|th)?")


def _en_tokens(text: str) -> list[str]:
    return list(_en_tokens_cached(text))


@lru_cache(maxsize=1 << 15)
def _en_tokens_cached(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = _NO_DOT.sub("no ", text)
    text = _POSSESSIVE.sub("", text)
    text = _SYLLABLE_APOS.sub("", text)  # pinyin syllable apostrophe: jin'an -> jinan
    return tuple(_EN_TOKEN.findall(text))


# ----------------------------------------------------------------------------- areas


def _pick(cands: Iterable[Division], suffix: str | None, context: frozenset[str]) -> Division | None:
    cands = list(cands)
    if suffix == "市":
        cands = [d for d in cands if d.level == "city" or d.name.endswith("市")] or cands
    elif suffix in ("区", "县", "旗"):
        narrowed = [d for d in cands if d.name.endswith(suffix) and d.level == "county"]
        cands = narrowed or [d for d in cands if d.level == "county"] or cands
    if len(cands) > 1 and context:
        near = [d for d in cands if d.parent in context or d.code in context]
        cands = near or cands
    if len(cands) > 1 and suffix is None:
        cities = [d for d in cands if d.level == "city"]
        cands = cities or cands
    if len(cands) == 1:
        return cands[0]
    return None


@lru_cache(maxsize=1 << 14)
def _area_from_division(d: Division) -> Area:
    from .lexicon import division_by_code

    if d.level == "county" and d.parent and (p := division_by_code(d.parent)):
        part = f"{p.pinyin}-{d.pinyin}"
    else:
        part = d.pinyin
    kind = {"city": "City", "county": "District", "province": "Province"}[d.level]
    return Area(part, kind, d, _title(_en_area_label(d)), d.name)


def _en_area_label(d: Division) -> str:
    word = {"区": "district", "县": "county", "旗": "banner"}.get(d.name[-1], "") if d.level == "county" else ""
    if d.level == "county" and d.name.endswith("市"):
        word = "city"
    return f"{d.pinyin} {word}".strip()


#: Words that make a place-like name a road ("光明路"), whatever division shares the name.
_ZH_ROAD_WORDS = ("路", "街", "大道", "大街", "巷", "道")


def _zh_area(text: str, context: frozenset[str]) -> tuple[Area | None, str]:
    """Longest area prefix of a Chinese name; returns (area, rest).

    A city's district must lie in that city, and a division name followed by a road word is a road:

    >>> area, rest = _zh_area("运城市光明路高级中学", frozenset())
    >>> area.kind, rest
    ('City', '光明路高级中学')
    """
    best: tuple[Area | None, str] = (None, text)
    for n in range(min(len(text), 8), 1, -1):
        head = text[:n]
        if head.endswith("新区") and n > 2 and not divisions_by_name(head):
            stem = head[:-2]
            if not divisions_by_name(stem):
                return Area(
                    f"{to_pinyin(stem)}-new-district", "District", None, _title(f"{to_pinyin(stem)} new district"), head
                ), text[n:]
        cands = divisions_by_name(head)
        if cands and head[-1] not in "市区县旗" and text.startswith(_ZH_ROAD_WORDS, n):
            continue  # 光明路, 解放大道: a road named like a district, not the district
        if cands:
            d = _pick(cands, head[-1] if head[-1] in "市区县" else None, context)
            if d:
                best = (_area_from_division(d), text[n:])
                break
    area, rest = best
    if area and area.kind == "City" and rest:
        sub, rest2 = _zh_area(rest, frozenset({area.division.code}) if area.division else context)
        inside = not (sub and sub.division and area.division) or sub.division.parent == area.division.code
        if sub and sub.kind == "District" and inside:
            return sub, rest2
    return best


def _en_area(tokens: list[str], context: frozenset[str]) -> tuple[Area | None, int]:
    """Longest area at the start of ``tokens``; returns (area, tokens used)."""
    for n in range(min(len(tokens), 5), 0, -1):
        area = _en_area_exact(tokens[:n], context)
        if area:
            if area.kind == "City" and n < len(tokens):
                sub, used = _en_area(tokens[n:], frozenset({area.division.code}) if area.division else context)
                inside = not (sub and sub.division and area.division) or sub.division.parent == area.division.code
                if sub and sub.kind == "District" and inside:
                    return sub, n + used
            return area, n
    return None, 0


def _en_area_exact(tokens: list[str], context: frozenset[str]) -> Area | None:
    if not tokens:
        return None
    return _en_area_exact_cached(tuple(tokens), context)


@lru_cache(maxsize=1 << 16)
def _en_area_exact_cached(tokens: tuple[str, ...], context: frozenset[str]) -> Area | None:
    suffix = None
    words = list(tokens)
    whole = _zh_of_generic(words)
    if whole and (d := _pick(divisions_by_name(whole + "区") or divisions_by_name(whole + "县"), None, context)):
        return _area_from_division(d)
    if len(words) >= 3 and words[-2:] in (["new", "district"], ["new", "area"]):
        stem = "".join(words[:-2])
        if len(words) >= 4 and any(d.level == "city" for d in divisions_by_pinyin(words[0])):
            return None  # "guiyang guian new area": a city, then its new area
        if _is_proper(words[:-2]) and is_pinyin(stem):  # not "at present the new district"
            cands = divisions_by_pinyin(stem)
            d = _pick([c for c in cands if c.name.endswith("新区")], "区", context) if cands else None
            if d:
                return _area_from_division(d)
            return Area(f"{stem}-new-district", "District", None, _title(f"{stem} new district"))
        return None
    if words[-1] in _DIV_WORDS and len(words) > 1:
        suffix = _DIV_WORDS[words.pop()]
        if len(words) > 1 and words[-1] == "autonomous":
            words.pop()  # "Changyang Tujia Autonomous County" (长阳土家族自治县)
    if not words or len(words) > 3:
        return None
    stem = _zh_of_generic(words) or ""
    cands: tuple[Division, ...] = ()
    if stem:
        cands = divisions_by_name(stem + (suffix or "区")) or divisions_by_name(stem)
    elif _is_proper(words):
        cands = divisions_by_pinyin("".join(words))
    d = _pick(cands, suffix, context) if cands else None
    return _area_from_division(d) if d else None


def _is_proper(words: list[str]) -> bool:
    return all(w.isalpha() and w not in _EN_STOP and not _generic_word(w) for w in words)


@cache
def _generic_words() -> frozenset[str]:
    return frozenset(w for toks, _, _ in _en_generic() for w in toks) | frozenset(_DIV_WORDS)


def _generic_word(w: str) -> bool:
    return w in _generic_words() or ordinal_value(w) is not None


def _zh_of_generic(words: list[str] | tuple[str, ...]) -> str | None:
    """The Chinese of a whole generic phrase ("old city" -> 老城).

    >>> _zh_of_generic(["old", "city"]), _zh_of_generic(["luoyang"])
    ('老城', None)
    """
    return _zh_of_generic_index().get(tuple(words))


@lru_cache(maxsize=1 << 16)
def area_of(surface: str, lang: str, context: frozenset[str] = frozenset()) -> Area | None:
    """The area a whole surface form names (None if it names none).

    >>> area_of("Yuelu District", "en").part, area_of("洛阳市", "zh").part
    ('changsha-yuelu', 'luoyang')
    """
    if lang == "zh" or _ZH.search(surface):
        area, rest = _zh_area(surface.strip(), context)
        return area if area and not rest else None
    toks = [t for t in _en_tokens(surface) if t not in ("the", "of")]
    area, used = _en_area(toks, context)
    return area if area and used == len(toks) else None


# ----------------------------------------------------------------------------- names


@lru_cache(maxsize=1 << 15)
def parse_name(surface: str, lang: str, context: frozenset[str] = frozenset()) -> NameParts:
    """Split a name into an area prefix and canonical parts.

    >>> p = parse_name("Zhengdong New District Longxiang Primary School", "en")
    >>> p.area.part, p.parts
    ('zhengdong-new-district', ('longxiang', 'primary-school'))
    """
    if lang == "zh" or _ZH.search(surface):
        return _parse_zh(surface, context)
    return _parse_en(surface, context)


_ZH_ORDINAL = re.compile(r"第([零〇一二两三四五六七八九十百\d]+)")
_ZH_NAME_PUNCT = re.compile(r"[\s“”\"'‘’《》()（）]")


def _parse_zh(text: str, context: frozenset[str]) -> NameParts:
    text = _ZH_NAME_PUNCT.sub("", unicodedata.normalize("NFKC", text))
    area, rest = _zh_area(text, context)
    parts: list[str] = []
    proper = ""
    i = 0
    while i < len(rest):
        m = _ZH_ORDINAL.match(rest, i) if rest[i] == "第" else None
        hit = next((row for row in _zh_generic_by_char().get(rest[i], ()) if rest.startswith(row[0], i)), None)
        if m or hit:
            if proper:
                parts.append(to_pinyin(proper))
                proper = ""
            if m:
                parts.append(f"no-{_zh_int(m.group(1))}")
                i = m.end()
            else:
                parts.append(hit[1].replace(" ", "-"))
                i += len(hit[0])
            continue
        proper += rest[i]
        i += 1
    if proper:
        parts.append(to_pinyin(proper))
    return NameParts(area, tuple(p for p in parts if p))


def _zh_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    import cn2an

    return int(cn2an.cn2an(text, "smart"))


def _invert_en(tokens: list[str], context: frozenset[str]) -> tuple[Area | None, list[str]]:
    """ "X School in/of Luoyang city" -> (Luoyang, X School)."""
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] in ("in", "of"):
            tail = [t for t in tokens[i + 1 :] if t != "the"]
            area, used = _en_area(tail, context)
            if area and used == len(tail):
                return area, tokens[:i]
    return None, tokens


def _parse_en(text: str, context: frozenset[str]) -> NameParts:
    tokens = _en_tokens(text)
    while tokens and tokens[0] in ("the", "a", "an"):
        tokens = tokens[1:]
    while len(tokens) >= 2 and tokens[-2] in ("the", "this", "our") and tokens[-1] in _DIV_WORDS:
        tokens = tokens[:-3] if len(tokens) >= 3 and tokens[-3] == "of" else tokens[:-2]
    area, tokens = _invert_en(tokens, context)
    if area is not None:
        head, used = _en_area(tokens, context)
        if head is not None and not _road_name(tokens, used):
            area, tokens = head, tokens[used:]  # "Luoyang No. 50 Middle School in Laocheng District"
    else:
        area, used = _en_area(tokens, context)
        if area is not None and _road_name(tokens, used):
            area, used = None, 0
        tokens = tokens[used:]
    parts: list[str] = []
    proper: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        step, part = _en_piece(tokens, i)
        if part is None and tok in _EN_STOP:
            i += 1
            continue
        if part is not None:
            if proper:
                parts.append("".join(proper))
                proper = []
            parts.append(part)
            i += step
            continue
        proper.append(tok)
        i += 1
    if proper:
        parts.append("".join(proper))
    return NameParts(area, tuple(parts))


def _road_name(tokens: list[str], used: int) -> bool:
    """A bare place word before "road"/"street" (or "town"/"village") names the road (the town), not the
    school's area ("Changqing Road Primary School" is not in 长清区, "Huayuan town" is no 花垣县).

    >>> _road_name(["changqing", "road", "primary", "school"], 1), _road_name(["jianghan", "district", "x"], 2)
    (True, False)
    """
    return 0 < used < len(tokens) and tokens[used] in _ROAD_WORDS and tokens[used - 1] not in _DIV_WORDS


_ROAD_WORDS = frozenset({"road", "street", "avenue", "lane", "lu", "jie", "town", "township", "village"})


def _en_piece(tokens: list[str], i: int) -> tuple[int, str | None]:
    tok = tokens[i]
    if tok in ("no", "number") and i + 1 < len(tokens) and tokens[i + 1].isdigit():
        return 2, f"no-{int(tokens[i + 1])}"
    if i + 1 < len(tokens) and (v := ordinal_value(f"{tok}-{tokens[i + 1]}")):
        return 2, f"no-{v}"
    if (v := ordinal_value(tok)) is not None:
        return 1, f"no-{v}"
    for toks, canon, _ in _en_generic_by_token().get(tok, ()):
        if tuple(tokens[i : i + len(toks)]) == toks:
            return len(toks), canon.replace(" ", "-")
    return 1, None


# ----------------------------------------------------------------------------- keys and labels


@cache
def _policy_index() -> dict[str, str]:
    out: dict[str, str] = {}
    for p in policies():
        for alias in (p.id, p.en, p.zh, *p.en_aliases, *p.zh_aliases):
            out.setdefault(_norm(alias), p.id)
    return out


_NORM_DROP = re.compile(r"[\s\"'“”‘’《》「」\-_.,，、()（）]+")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _NORM_DROP.sub("", text)


@lru_cache(maxsize=1 << 14)
def policy_id(surface: str) -> str | None:
    """Thesaurus id of a policy name ("ShuangJian" -> double-reduction), else None."""
    norm = _norm(surface)
    idx = _policy_index()
    if norm in idx:
        return idx[norm]
    for suffix in ("policy", "policies", "政策", "system", "reform"):
        if norm.endswith(suffix) and norm[: -len(suffix)] in idx:
            return idx[norm[: -len(suffix)]]
    return None


@lru_cache(maxsize=1 << 16)
def name_key(
    kind: str, surface: str, lang: str, context: frozenset[str] = frozenset(), *, default_area: Area | None = None
) -> str:
    """The entity key of a mention (see module docstring)."""
    if kind == "Policy":
        pid = policy_id(surface)
        if pid:
            return f"Policy/{pid}"
        if lang == "zh" or _ZH.search(surface):
            return "Policy/" + to_pinyin(re.sub(r"[“”\"《》]", "", surface))
        return "Policy/" + "-".join(_en_tokens(surface))
    if kind == "Person":
        if _ZH.search(surface):
            return f"Person/{to_pinyin(surface)}"
        return "Person/" + "".join(_en_tokens(surface))
    if kind in ("City", "District", "Province"):
        area = area_of(surface, lang, context)
        if area:
            return f"{area.kind}/{area.part}"
    parsed = parse_name(surface, lang, context)
    area = parsed.area
    if (
        area is None
        and default_area is not None
        and kind in ("School", "EducationGroup", "GovernmentBody")
        and parsed.parts
    ):
        area = default_area if _needs_area(kind, parsed.parts) else None
    parts = ((area.part,) if area else ()) + parsed.parts
    return f"{kind}/" + "-".join(parts or ("unnamed",))


@cache
def _generic_parts() -> frozenset[str]:
    """Key parts of the generic phrases ("middle-school")."""
    return frozenset(c.replace(" ", "-") for _, c, _ in _en_generic())


@cache
def _policy_ids() -> frozenset[str]:
    return frozenset(p.id for p in policies())


def _needs_area(kind: str, parts: tuple[str, ...]) -> bool:
    """Generic-only names ("Experimental Middle School", "Education Bureau") take the article's area."""
    generic = _generic_parts()
    if kind == "GovernmentBody":
        return parts[0] != "ministry-of-education"
    return all(p in generic or p.startswith("no-") for p in parts)


def _title(text: str) -> str:
    small = {"of", "and", "in", "the"}
    words = text.replace("-", " ").split()
    out = [
        w if (i and w in small) else (w.upper() if w.startswith("no") and w[2:].isdigit() else w.capitalize())
        for i, w in enumerate(words)
    ]
    return " ".join(out)


def canonical_label(key: str) -> str:
    """A title-cased English label built from a key.

    >>> canonical_label("School/luoyang-no-50-middle-school")
    'Luoyang No. 50 Middle School'
    """
    rest = key.partition("/")[2]
    text = re.sub(r"\bno-(\d+)", r"no.\1", rest)
    words = [w for w in text.split("-") if w]
    out = []
    for i, w in enumerate(words):
        if w.startswith("no.") and w[3:].isdigit():
            out.append(f"No. {w[3:]}")
        elif i and w in ("of", "and", "in", "the"):
            out.append(w)
        else:
            out.append(w.capitalize())
    return " ".join(out)


# ----------------------------------------------------------------------------- resolve


def _city_context(mentions: Iterable[Mention], lang: str) -> frozenset[str]:
    codes = set()
    for m in mentions:
        if m.hint("adminCode") and m.kind == "City":
            codes.add(m.hint("adminCode"))
        elif m.kind == "City":
            area = area_of(m.surface, lang)
            if area and area.division:
                codes.add(area.division.code)
    return frozenset(codes)


def main_area(extraction: Extraction, context: frozenset[str] = frozenset()) -> Area | None:
    """The district (else city) the article is mostly about: most mentions, ties by key."""
    lang = extraction.article.lang
    counts: Counter[str] = Counter()
    areas: dict[str, Area] = {}
    for m in extraction.mentions:
        if m.kind in ("District", "City"):
            area = area_of(m.surface, lang, context)
            if area:
                counts[area.part] += 3 if area.kind == "District" else 1
                areas[area.part] = area
    if not counts:
        return None
    best = max(sorted(counts), key=lambda k: counts[k])
    return areas[best]


def resolve(extraction: Extraction) -> Resolution:
    """Resolve an article's mentions into entities; facts and figures get entity keys."""
    art = extraction.article
    context = _city_context(extraction.mentions, art.lang)
    default = main_area(extraction, context)
    named = {m: _key_of(m, art.lang, context, default) for m in extraction.mentions}
    implied = [m for f in extraction.facts for m in (f.subject, f.object)] + [o.about for o in extraction.observations]
    for m in implied:  # mentions made by relations ("X School Education Group" -> its lead "X School")
        if m not in named:
            named[m] = _key_of(m, art.lang, context, default)
    merged = _merge_unprefixed(named)
    keys = {m: merged[m] for m in extraction.mentions}
    entities = _entities(keys, art.lang)
    mentions = tuple(sorted({(m.span, k) for m, k in keys.items()}, key=lambda t: (t[0].start, t[0].end, t[1])))

    def key(m: Mention) -> str:
        return merged[m]

    fact_keys = [(f, key(f.subject), key(f.object)) for f in extraction.facts]
    facts = tuple(
        sorted(
            {ResolvedFact(sk, f.predicate, ok, f.evidence) for f, sk, ok in fact_keys if sk != ok},
            key=lambda f: (f.evidence.start, f.evidence.end, f.subject, f.predicate, f.object),
        )
    )
    obs = tuple(
        ResolvedObservation(key(o.about), o.measure, o.value, o.unit, o.year, o.evidence, o.approximate)
        for o in extraction.observations
    )
    extra_entities = {k for _, sk, ok in fact_keys for k in (sk, ok)} | {key(o.about) for o in extraction.observations}
    missing = extra_entities - {e.key for e in entities}
    if missing:
        more = {m: key(m) for f in extraction.facts for m in (f.subject, f.object) if key(m) in missing}
        more.update({o.about: key(o.about) for o in extraction.observations if key(o.about) in missing})
        entities = tuple(sorted(entities + _entities(more, art.lang), key=lambda e: e.key))
    return Resolution(art, entities, mentions, facts, obs, extraction.sentences, extraction.warnings)


def _key_of(m: Mention, lang: str, context: frozenset[str], default: Area | None) -> str:
    hinted = m.hint("key")
    if hinted:
        return hinted
    mlang = "zh" if _ZH.search(m.surface) else "en"
    canon = m.hint("canonical")
    if m.kind == "Policy" and canon:
        return f"Policy/{canon}" if canon in _policy_ids() else name_key("Policy", canon, mlang)
    area_hint = m.hint("area")
    dflt = area_of(area_hint, mlang, context) if area_hint else default
    return name_key(m.kind, m.surface, mlang, context, default_area=dflt)


def _merge_unprefixed(keys: dict[Mention, str]) -> dict[Mention, str]:
    """Within one article, "Longxiang Primary School" joins "Zhengdong New District Longxiang Primary School"."""
    full = sorted(set(keys.values()))
    target = {k: _longer_key(k, full) for k in full}
    return _merge_school_level({m: target[k] for m, k in keys.items()})


def _longer_key(k: str, full: list[str]) -> str:
    """The one key of ``full`` that is ``k`` with an area in front (else ``k``).

    >>> _longer_key("School/longxiang-primary-school", ["School/zhengdong-new-district-longxiang-primary-school"])
    'School/zhengdong-new-district-longxiang-primary-school'
    """
    kind, _, rest = k.partition("/")
    if kind not in ("School", "EducationGroup"):
        return k
    head, tail = kind + "/", "-" + rest
    longer = [
        f
        for f in full
        if f != k and f.startswith(head) and f.endswith(tail) and _is_area_part(f[len(kind) + 1 : -len(rest) - 1])
    ]
    return longer[0] if len(longer) == 1 else k


def _merge_school_level(keys: dict[Mention, str]) -> dict[Mention, str]:
    """Within one article, "X No. 3 High School" (中学, often inside a group's name) joins the one
    "X No. 3 Senior (or Junior) High School" it abbreviates.

    >>> from kg.model import Span
    >>> a, b = Mention(Span(0, 1), "a", "School"), Mention(Span(2, 3), "b", "School")
    >>> keys = {a: "School/x-no-3-middle-school", b: "School/x-no-3-senior-middle-school"}
    >>> sorted(set(_merge_school_level(keys).values()))
    ['School/x-no-3-senior-middle-school']
    """
    present = set(keys.values())
    target = {k: _level_key(k, present) for k in present}
    return {m: target[k] for m, k in keys.items()}


_NO_TAIL = re.compile(r"no-\d+$")


def _level_key(k: str, present: set[str]) -> str:
    """The one senior/junior key of ``present`` that the middle-school key ``k`` abbreviates, else ``k``."""
    kind, _, rest = k.partition("/")
    for tail in ("-middle-school", "-middle-school-education-group"):
        if (
            kind in ("School", "EducationGroup")
            and rest.endswith(tail)
            and not rest.endswith(("senior" + tail, "junior" + tail))
        ):
            stem = rest[: -len(tail)]
            longer = [
                f"{kind}/{stem}-{lv}{tail}" for lv in ("senior", "junior") if f"{kind}/{stem}-{lv}{tail}" in present
            ]
            if len(longer) == 1 and _NO_TAIL.search(stem):
                k = longer[0]
    return k


@lru_cache(maxsize=1 << 14)
def _is_area_part(part: str) -> bool:
    """Whether a key prefix is an area ("zhengdong-new-district", "luoyang-laocheng").

    >>> _is_area_part("luoyang-laocheng"), _is_area_part("zhengdongsi-school")
    (True, False)
    """
    if part.endswith("-new-district"):
        return True
    return any(_area_from_division(d).part == part for d in divisions_by_pinyin(part.rpartition("-")[2]))


def _entities(keys: dict[Mention, str], lang: str) -> tuple[Entity, ...]:
    by_key: dict[str, list[Mention]] = {}
    for m, k in keys.items():
        by_key.setdefault(k, []).append(m)
    out = []
    for k, ms in sorted(by_key.items()):
        out.append(_entity(k, ms))
    return tuple(out)


def _entity(key: str, mentions: list[Mention]) -> Entity:
    kind = key.partition("/")[0]
    surfaces = {("zh" if _ZH.search(m.surface) else "en", _clean_surface(m.surface)) for m in mentions}
    labels: list[tuple[str, str]] = []
    extra: tuple[tuple[str, str], ...] = ()
    zh_name, en_name = _preferred(key, kind, surfaces)
    if en_name:
        labels.append(("en", en_name))
    if zh_name:
        labels.append(("zh", zh_name))
    area = _area_for_key(key)
    if area and area.division:
        extra = (("adminCode", area.division.code),)
    if kind in ("School", "EducationGroup", "GovernmentBody"):
        surfaces |= {("en", u) for lang, s in surfaces if lang == "en" and (u := uninverted(s))}
    alt = frozenset(s for s in surfaces if s not in labels)
    return Entity(key, kind, tuple(labels), alt, extra)


_INVERTED = re.compile(r"^(?:the\s+)?(.+?)\s+(?:in|of)\s+(?:the\s+)?([A-Za-z][\w\s\-']*)$", re.I)


def uninverted(surface: str) -> str | None:
    """The name an inverted English form stands for, area first ("X School in Y District" -> "Y District
    X School"), or None.

    >>> uninverted("The Changqing Road Primary School in Jianghan District")
    'Jianghan District Changqing Road Primary School'
    >>> uninverted("Yuelu District Education Bureau") is None
    True
    """
    m = _INVERTED.match(surface.strip())
    if (
        not m
        or area_of(m.group(2), "en") is None
        and not re.search(r"\b(district|county|banner|city)$", m.group(2), re.I)
    ):
        return None
    return f"{m.group(2).strip()} {m.group(1).strip()}"


def _clean_surface(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1 << 14)
def _area_for_key(key: str) -> Area | None:
    kind, _, part = key.partition("/")
    if kind not in ("City", "District", "Province"):
        return None
    for d in divisions_by_pinyin(part.rpartition("-")[2]):
        a = _area_from_division(d)
        if a.part == part:
            return a
    return None


def _preferred(key: str, kind: str, surfaces: set[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(zh, en) preferred labels, from the key and thesaurus, never from reading order."""
    if kind == "Policy":
        pid = key.partition("/")[2]
        for p in policies():
            if p.id == pid:
                return p.zh, p.en
    area = _area_for_key(key)
    if area:
        return area.label_zh, area.label_en
    zh = sorted(s for lang, s in surfaces if lang == "zh")
    zh_name = min(zh, key=lambda s: (-len(s), s)) if zh else None
    en = canonical_label(key) if any(lang == "en" for lang, _ in surfaces) or not zh else None
    return zh_name, en


def _clear_text_caches() -> None:
    """Forget the memos keyed on names and words (benchmarks clear them, like the extractors' own)."""
    from . import lexicon

    for fn in (name_key, parse_name, area_of, policy_id, _en_area_exact_cached, _en_tokens_cached,
               _area_from_division, _area_for_key, _is_area_part,
               lexicon.to_pinyin, lexicon.is_pinyin, lexicon.ordinal_value):  # fmt: skip
        fn.cache_clear()
