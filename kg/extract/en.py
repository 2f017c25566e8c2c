"""English extraction (rough machine translations): entities, relations, figures.

Names are found from their heads (school and organisation suffixes, division
words, the policy thesaurus, quoted programme names) and extended to the left
over name-like words, case-insensitively, since MT often lower-cases names.

Examples
--------
>>> from kg.model import Article
>>> text = ("Zhengdong New District Wenyuan School Education Group, with Zhengdong New District "
...         "Wenyuan School as the leading school, Zhengdong New District Yihui Street Primary School "
...         "as a member school.")
>>> art = Article(id="a", source_file="a.txt", lang="en", title="", date=None, text=text, content_hash="h")
>>> from kg.segment import split_sentences
>>> ex = EnExtractor().extract(art, split_sentences(text, "en"))
>>> sorted((f.predicate, f.object.surface) for f in ex.facts if f.predicate == "leadSchool")
[('leadSchool', 'Zhengdong New District Wenyuan School')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache

from ..lexicon import (
    cardinal_words,
    division_by_code,
    divisions_by_pinyin,
    is_pinyin,
    money_nouns,
    ordinal_value,
    org_suffixes,
    person_nouns,
    policies,
    school_suffixes,
    surnames,
)
from ..model import Article, Extraction, Fact, Mention, Observation, Span
from ..resolve import Area, _city_context, _en_generic, area_of, main_area, name_key, parse_name, uninverted
from .base import clean_measure, dedupe_mentions, sentence_at, unit_of, year_in

__all__ = ["EnExtractor"]

_WORD = re.compile(r"[Nn]o\.\s?\d+|[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*|\d+(?:st|nd|rd|th)?")
_STOP = frozenset(
    "the a an of in and or to with as for on at by from this that these those its their our his her "
    "is are was were be been has have had will would can all each every other such into than which "
    "who whom whose it they we he she there here also more most some any new public private".split()
)
_KEEP_LOWER = frozenset({"new", "old", "no"})
# Common words that qualify a generic school noun without naming one ("the leading school",
# "member schools", "group-run school", "weak schools"): never part of a proper name.
_ROLE = frozenset(
    "leading lead member members group groups group's running run hosting host custody entrusted pilot key weak "
    "potential quality high-quality deepening cooperative cooperation close close-type core famous prestigious "
    "demonstration characteristic boarding rural urban small remote base local nearby same whole various "
    "surrounding compulsory education educational basic such every each existing original newly built "
    "high-level top good better best excellent brand branded".split()
)
_DIV_HEAD = re.compile(r"\b(new district|new area|district|county|banner|city)\b", re.I)
_DIV_PARTS = ("district", "county", "banner", "city", "area")  # a word holding one may hold a _DIV_HEAD


def _suffix_regex(rows, extra: tuple[str, ...] = ()) -> re.Pattern[str]:
    variants = {v for t in rows for v in t.en if " " in v or v in ("kindergarten", "school", "campus")} | set(extra)
    alts = sorted(variants, key=len, reverse=True)
    body = "|".join(r"[\s\-]+".join(re.escape(w) for w in v.split()) for v in alts)
    return re.compile(rf"\b(?:{body})\b", re.I)


@cache
def _school_re() -> re.Pattern[str]:
    return _suffix_regex(school_suffixes())


@cache
def _org_re() -> re.Pattern[str]:
    rows = [t for t in org_suffixes() if t.zh != "教育集团"]
    return _suffix_regex(rows)


_GROUP_RE = re.compile(r"\b(?:education(?:al)?|school) group\b", re.I)


@cache
def _generic_words() -> frozenset[str]:
    return frozenset(w for toks, _, _ in _en_generic() for w in toks)


def _name_like(word: str, *, first: bool) -> bool:
    """Whether ``word`` may be part of a proper name (before a suffix)."""
    low = word.lower()
    if low.startswith("no.") or low[:1].isdigit():
        return True
    if low in _STOP and low not in _KEEP_LOWER or low in _ROLE:
        return False
    if (
        low in _generic_words()
        or ordinal_value(low) is not None
        or low in ("district", "county", "banner", "city", "town")
    ):
        return True
    if word[:1].isupper() and not first:
        return True
    if word[:1].isupper() and not is_pinyin(low) and divisions_by_pinyin(low):
        return True  # a conventional place name that is not pinyin (Ordos, Urumqi)
    return is_pinyin(low, min_syllables=2) or (word[:1].isupper() and is_pinyin(low))


def _words(text: str, start: int, end: int) -> list[re.Match[str]]:
    return list(_WORD.finditer(text, start, end))


def _extend_left(text: str, sent: Span, head_start: int, *, max_words: int = 9) -> int:
    """Start offset of the name ending in the head at ``head_start``."""
    words = _words(text, sent.start, head_start)
    start = head_start
    for w in reversed(words[-max_words:]):
        gap = text[w.end() : start]
        if gap.strip(" ") or len(gap) > 2:
            break
        first = w.start() == sent.start
        if not _name_like(w.group(), first=first):
            break
        start = w.start()
    return start


def _distinctive(surface: str, head: str) -> bool:
    """A name needs something beyond generic words: a proper word, an ordinal, an area, or capitals.

    >>> _distinctive("group leading school", "school")
    False
    >>> _distinctive("Red Lion Junior High School", "Junior High School")
    True
    >>> _distinctive("old city experimental primary school", "experimental primary school")
    True
    """
    rest = surface[: len(surface) - len(head)].strip()
    if not rest:
        words = head.split()
        return len(words) >= 3 and all(w[:1].isupper() for w in words) and words[0].lower() in _generic_words()
    words = _WORD.findall(rest)
    if any(w.lower() in _ROLE for w in words):
        return False
    if any(w.lower().startswith("no") and any(c.isdigit() for c in w) for w in words):
        return True
    if any(ordinal_value(w.lower()) is not None for w in words):
        return True
    if parse_name(rest, "en").area is not None:
        return True
    proper = [
        w
        for w in words
        if w.lower() not in _generic_words()
        and w.lower() not in cardinal_words()
        and w.lower() not in _STOP
        and w.lower() not in ("district", "county", "banner", "city")
        and not w[:1].isdigit()
    ]
    if proper:
        return True
    return all(w[:1].isupper() for w in words + head.split())


_PLACE_TAIL = re.compile(
    r"\s+(?:of|in)\s+(?:the\s+)?((?:[A-Z][a-z]+\s+){1,3}(?:Township|Town|Village|Street|Subdistrict|Sub-district))\b"
)


def _inverted_tail(text: str, end: int, stop: int, context: frozenset[str] = frozenset()) -> int:
    """Extend "X School" over "of/in [the] <area>" when that names an area, over "in <Name> Township",
    and over "of <area> <school name>" ("Dongsi School of Zhengzhou 47th Middle School").

    >>> t = "the National Primary School in Qingshui Tujia Township, Yunyang County"
    >>> t[: _inverted_tail(t, 27, len(t))]
    'the National Primary School in Qingshui Tujia Township'
    """
    place = _PLACE_TAIL.match(text, end, stop)
    if place:
        return place.end()
    m = re.match(r"\s+(?:of|in)\s+(?:the\s+)?((?:[A-Za-z]+\s+){0,3}(?:[A-Za-z]+))\b", text[end:stop])
    if not m:
        return end
    words = m.group(1).split()
    for n in range(len(words), 0, -1):
        phrase = " ".join(words[:n])
        if words[n - 1].lower() in ("of", "in", "the", "and"):
            continue  # "in Jianghan District of Wuhan city": the area ends before "of"
        if area_of(phrase, "en", context):
            after = end + m.start(1) + len(phrase)
            school = _school_re().search(text, after, min(stop, after + 40))
            gap = text[after : school.start()] if school else ""
            if (
                school
                and (gap.strip() or " " in school.group().strip())
                and all(_name_like(w.group(), first=False) for w in _words(text, after, school.start()))
            ):
                return school.end()
            return after
    return end


_AREA_THE = re.compile(r"((?:[A-Za-z'’]+\s+){1,3}?(?:district|county|banner|city))\s+the\s+$", re.I)


def _area_before_the(text: str, sent: Span, start: int, context: frozenset[str]) -> int:
    """MT of 博白县第五中学 keeps an article between area and ordinal: "bobai county the fifth middle
    school" is one name.

    >>> t = "including bobai county the fifth middle school"
    >>> t[_area_before_the(t, Span(0, len(t)), 27, frozenset()) :]
    'bobai county the fifth middle school'
    """
    w = _WORD.match(text, start)
    if not w or not (ordinal_value(w.group().lower()) is not None or w.group().lower().startswith("no.")):
        return start
    m = _AREA_THE.search(text, max(sent.start, start - 60), start)
    if not m:
        return start
    words = m.group(1).split()
    for n in range(len(words), 1, -1):
        phrase = " ".join(words[-n:])
        if area_of(phrase, "en", context):
            return m.end(1) - len(phrase)
    return start


def _campus_of_tail(text: str, end: int, stop: int) -> int:
    """Extend "X campus" over "of [the] <school name>" ("the Qujiang campus of Dayan Pagoda primary school").

    >>> t = "the Qujiang campus of Dayan Pagoda primary school as member"
    >>> t[4 : _campus_of_tail(t, 18, len(t))]
    'Qujiang campus of Dayan Pagoda primary school'
    """
    m = re.match(r"\s+of\s+(?:the\s+)?", text[end:stop])
    if not m:
        return end
    after = end + m.end()
    school = _school_re().search(text, after, min(stop, after + 60))
    if not school or school.start() == after or re.search(r"(?:campus|branch)$", school.group(), re.I):
        return end
    words = _words(text, after, school.start())
    if not words or not all(_name_like(w.group(), first=False) for w in words):
        return end
    if not _distinctive(text[after : school.end()], school.group()):
        return end
    return school.end()


def _school_before_campus(text: str, sent: Span, start: int, context: frozenset[str]) -> int:
    """MT of 实验小学新城分校 with the area in between: "the Experimental primary school of Bobai County
    Xincheng branch campus" is one campus name when the campus part opens with an area.

    >>> t = "the Experimental primary school of Bobai County Xincheng branch campus and so on"
    >>> t[_school_before_campus(t, Span(0, len(t)), 35, frozenset()) :][:60]
    'Experimental primary school of Bobai County Xincheng branch '
    """
    if parse_name(text[start : start + 40], "en", context).area is None:
        return start
    before = re.search(r"\s+of\s+$", text[sent.start : start])
    if not before:
        return start
    school_end = sent.start + before.start()
    school = next(
        (s for s in _school_re().finditer(text, max(sent.start, school_end - 40)) if s.end() == school_end), None
    )
    if school is None:
        return start
    left = _extend_left(text, sent, school.start())
    return left if left < school.start() or school.group()[:1].isupper() else start


def _skip_new(text: str, start: int, head_start: int, context: frozenset[str]) -> int:
    """Drop an opening "new" before an area ("the new Zhangshu city fourth primary school" is built
    recently, not named "New ...").

    >>> t = "The new Yingze District Qiaotou Primary School"
    >>> t[_skip_new(t, 4, 34, frozenset()) :]
    'Yingze District Qiaotou Primary School'
    """
    words = _words(text, start, head_start)
    if len(words) < 3 or words[0].group().lower() != "new" or words[1].group().lower() in ("district", "area", "town"):
        return start
    for n in (3, 2, 1):
        phrase = text[words[1].start() : words[min(n, len(words) - 1)].end()]
        if n < len(words) - 1 and area_of(phrase, "en", context):
            return words[1].start()
    return start


def _group_start(text: str, start: int, head_start: int) -> int | None:
    """Where a group's name starts, or None for generic phrases ("20 education groups", "Yunyang Education
    Group").  When a school name runs into the group name ("... Fengfu Road Junior High School Yuanlu
    Elementary Education Group", a list item glued to the next group), the group starts after that school.

    >>> t = "A, Fengfu Road Junior High School Yuanlu Elementary Education Group, takes"
    >>> t[_group_start(t, 3, 54) :]
    'Yuanlu Elementary Education Group, takes'
    """
    while start < head_start and (w := _WORD.match(text, start)) and w.group()[:1].isdigit():
        start = text.find(w.group(), start) + len(w.group())
        start += len(text[start:head_start]) - len(text[start:head_start].lstrip())
    name = text[start:head_start]
    inner = [s for s in _school_re().finditer(text, start, head_start) if text[s.end() : head_start].strip()]
    if inner:
        rest = text[inner[0].end() : head_start]
        if any(_name_like(w, first=False) and w.lower() not in _generic_words() for w in _WORD.findall(rest)):
            start = inner[0].end() + len(rest) - len(rest.lstrip())
            name = text[start:head_start]
    words = _WORD.findall(name)
    if any(w.lower() in _ROLE for w in words):
        return None
    proper = [
        w
        for w in words
        if w.lower() not in _STOP
        and w.lower() not in _generic_words()
        and w.lower() not in ("district", "county", "banner", "city", "new")
        and not w[:1].isdigit()
    ]
    if not proper:
        return None
    if not _school_re().search(name) and all(divisions_by_pinyin(w.lower()) for w in proper):
        return None  # "Yunyang Education Group": the area's schools as a whole, not a named group
    return start


_NAME_NEXT = (
    r"(?:primary|middle|junior|senior|high|school|kindergarten|branch|campus|road|street|avenue|town|township|village)"
)


def _free_place_word(text: str, word: str) -> bool:
    """A bare city word counts when the article uses it somewhere other than right before a school,
    road or village word: "Taoyuan primary school" alone names a school, not 桃园市.

    >>> _free_place_word("Taoyuan primary school and Zhaiziwan primary school", "taoyuan")
    False
    >>> _free_place_word("Wuhan No. 6 Middle School ... Wuhan city", "wuhan")
    True
    """
    return _free_words(text).get(word, False)


@lru_cache(maxsize=8)
def _free_words(text: str) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for m in re.finditer(rf"\b([A-Za-z]+(?:['’][aeo][a-z]*)?)\b(\s+{_NAME_NEXT}\b)?", text, re.I):
        w = m.group(1).lower()
        out[w] = out.get(w, False) or m.group(2) is None
    return out


def _doc_context(text: str) -> frozenset[str]:
    """Codes of the cities an article is about, for ambiguous names ("suzhou" is 苏州 or 宿州): a city
    candidate counts when a district candidate named in the same article lies in it."""
    cities: dict[str, set[str]] = {}
    parents: set[str] = set()
    for m in re.finditer(r"\b([A-Za-z]+(?:['’][aeo][a-z]*)?)(?:\s+(district|county|banner|city|new area))?\b", text):
        for d in divisions_by_pinyin(m.group(1).lower()) if len(m.group(1)) > 3 else ():
            if d.level == "city":
                cities.setdefault(m.group(1).lower(), set()).add(d.code)
            elif d.level == "county" and m.group(2) and _own_suffix(d.name, m.group(2).lower()):
                parents.add(d.parent or "")
    out = set()
    for codes in cities.values():
        out |= (codes & parents) if len(codes) > 1 else codes
    return frozenset(out)


def _own_suffix(name: str, word: str) -> bool:
    """Whether a division word fits a county-level name: "district"/"county" any, "city" a 市 (樟树市)."""
    return (
        word in ("district", "county", "new area")
        or word == "banner"
        and name.endswith("旗")
        or word == "city"
        and name.endswith("市")
    )


class EnExtractor:
    """Rules for English machine translations."""

    _context: frozenset[str] = frozenset()
    _memo_for: tuple[str, frozenset[str]] | None = None  # (text, context) the area memo is for
    _area_memo: dict[tuple[str, int], Area | None]

    def extract(self, article: Article, sentences: tuple[Span, ...]) -> Extraction:
        text = article.text
        mentions: list[Mention] = []
        self._context = _doc_context(text)
        for sent in sentences:
            mentions += self._names(text, sent)
            mentions += self._areas(text, sent)
            mentions += self._policies(text, sent)
            mentions += self._persons(text, sent)
        kept = _campus_parents(mentions, dedupe_mentions(mentions))
        mentions = _drop_title_only_policies(text, list(_drop_overlaps(kept)))
        draft = Extraction(article=article, sentences=sentences, mentions=tuple(mentions))
        home = _home_mention(draft)
        facts = list(_relations(text, sentences, mentions, home))
        obs = _drop_title_repeats(text, article.title, list(_figures(article, sentences, mentions, home)))
        return Extraction(article, sentences, tuple(mentions), tuple(dict.fromkeys(facts)), tuple(obs))

    # ------------------------------------------------------------------ entities

    def _names(self, text: str, sent: Span) -> list[Mention]:
        out = []
        for kind, regex in (("EducationGroup", _GROUP_RE), ("GovernmentBody", _org_re()), ("School", _school_re())):
            for m in regex.finditer(text, sent.start, sent.end):
                if text[m.end() : m.end() + 1].lower() == "s" and kind == "School":
                    continue  # plural: "member schools"
                mention = self._named(text, sent, m, kind)
                if mention:
                    out.append(mention)
        return out + [g for s in out if s.kind == "School" and (g := self._group_of(text, sent, s))]

    def _group_of(self, text: str, sent: Span, school: Mention) -> Mention | None:
        """ "The group of the No. 3 Middle School in X county": the group named after that school."""
        m = re.search(
            r"(?:^|(?<=\bthe )|(?<=\bThe ))group\s+of\s+(?:the\s+)?$", text[sent.start : school.span.start], re.I
        )
        if m is None:
            return None
        start = sent.start + m.start()
        name = uninverted(school.surface) or school.surface
        hints: tuple[tuple[str, str], ...] = ()
        if parse_name(name, "en", self._context).area is not None:
            hints = (("key", name_key("EducationGroup", f"{name} education group", "en", self._context)),)
        return Mention(Span(start, school.span.end), text[start : school.span.end], "EducationGroup", hints)

    def _named(self, text: str, sent: Span, m: re.Match[str], kind: str) -> Mention | None:
        start = _extend_left(text, sent, m.start())
        end = m.end()
        if kind == "GovernmentBody":
            low = m.group().lower()
            if low.startswith("ministry of") and start == m.start():
                return Mention(Span(m.start(), end), text[m.start() : end], kind)
            end = _inverted_tail(text, end, sent.end, self._context)
            if re.match(r"\s+of\s+the\s+(district|county|banner|city)\b", text[end : sent.end], re.I):
                tail = re.match(r"\s+of\s+the\s+(district|county|banner|city)\b", text[end : sent.end], re.I)
                end += tail.end()
            surface = text[start:end]
            bare_local = re.fullmatch(r"(?:management|administrative|party working|party work) committee", low)
            if bare_local and text[max(sent.start, start - 4) : start].lower() == "the ":
                return Mention(Span(start, end), text[start:end], kind)  # "... and the Management Committee"
            if start == m.start() and end == m.end() and not re.search(r"education|government", low):
                return None
            if start == m.start() and _org_re().search(text[max(sent.start, start - 40) : start].rstrip(" (")[-25:]):
                if text[max(sent.start, start - 2) : start].strip() == "(":
                    return None  # "the social affairs bureau (education bureau)": an alias in brackets
            return Mention(Span(start, end), surface, kind)
        end = _inverted_tail(text, end, sent.end, self._context)
        start = _skip_new(text, start, m.start(), self._context)
        head = text[m.start() : m.end()]
        if kind == "School":
            start = _area_before_the(text, sent, start, self._context)
            if end == m.end() and re.search(r"(?:campus|branch)$", head, re.I):
                end = _campus_of_tail(text, end, sent.end)
                start = _school_before_campus(text, sent, start, self._context)
        surface = text[start:end]
        if kind == "EducationGroup":
            start = _group_start(text, start, m.start())
            if start is None:
                return None
            return Mention(Span(start, end), text[start:end], kind)
        if not _distinctive(text[start : m.end()], head):
            return None
        return Mention(Span(start, end), surface, kind)

    def _areas(self, text: str, sent: Span) -> list[Mention]:
        out = []
        words = _words(text, sent.start, sent.end)
        lows = [w.group().lower() for w in words]
        # glued[j]: only spaces between word j and word j + 1
        glued = [not text[a.end() : b.start()].strip() for a, b in zip(words, words[1:], strict=False)]
        run = [1] * len(words)  # run[i]: words i, i + 1, ... joined by spaces only
        for j in range(len(words) - 2, -1, -1):
            if glued[j]:
                run[j] = run[j + 1] + 1
        # a phrase of two words or more is an area only with a division word in it ("old town" aside)
        div = [any(w in low for w in _DIV_PARTS) for low in lows]
        i = 0
        while i < len(words):
            found = None
            if lows[i] in _STOP and lows[i] not in _KEEP_LOWER:
                i += 1
                continue
            for n in range(min(5, len(words) - i, run[i]), 0, -1):
                if n > 1 and lows[i + n - 1] in _STOP:
                    continue
                if n > 1 and not any(div[i : i + n]) and (n > 2 or lows[i] != "old"):
                    continue  # _area_ok says no
                seg = words[i : i + n]
                phrase = text[seg[0].start() : seg[-1].end()]
                area = self._area_at(text, phrase, seg)
                if area:
                    hints = (("key", f"{area.kind}/{area.part}"),)
                    if area.division:
                        hints += (("adminCode", area.division.code),)
                    found = Mention(Span(seg[0].start(), seg[-1].end()), phrase, area.kind, hints)
                    i += n
                    break
            if found:
                out.append(found)
                continue
            i += 1
        return out

    def _area_at(self, text: str, phrase: str, seg: list[re.Match[str]]) -> Area | None:
        """The area ``phrase`` (the words ``seg``) names, if it may name one; memoised per article."""
        if self._memo_for is None or self._memo_for[0] is not text or self._memo_for[1] != self._context:
            self._memo_for, self._area_memo = (text, self._context), {}
        key = (phrase, len(seg))
        if key not in self._area_memo:
            ok = self._area_ok(phrase, seg)
            self._area_memo[key] = area_of(phrase, "en", self._context) if ok else None
        return self._area_memo[key]

    def _area_ok(self, phrase: str, seg: list[re.Match[str]]) -> bool:
        low = phrase.lower()
        if _DIV_HEAD.search(low) and len(seg) > 1:
            return True
        if len(seg) > 2:
            return False
        if low in ("old city", "old town"):
            return True
        if len(seg) == 1 and (phrase[:1].isupper() or (is_pinyin(low, min_syllables=2) and len(low) > 5)):
            area = area_of(phrase, "en", self._context)
            return area is not None and area.kind == "City" and _free_place_word(seg[0].string, low)
        return False

    def _policies(self, text: str, sent: Span) -> list[Mention]:
        out = []
        for regex, pid, theme in _active_policy_regexes(text):
            for m in regex.finditer(text, sent.start, sent.end):
                if code := re.search(
                    r"(?<![\w+])\d+\+(?:\d+|N|X)\s+$", text[max(sent.start, m.start() - 8) : m.start()]
                ):
                    start = m.start() - len(code.group())  # unquoted "5+2 after-school service"
                    out.append(Mention(Span(start, m.end()), text[start : m.end()], "Policy"))
                    continue
                if theme and not _framed_as_policy(text, m.start(), m.end()):
                    continue
                out.append(Mention(Span(m.start(), m.end()), m.group(), "Policy", (("canonical", pid),)))
        for m in _QUOTED.finditer(text, sent.start, sent.end):
            if _inside_open_quote(text, sent.start, m.start()):
                continue
            span = _quoted_policy(text, m, sent)
            if span:
                out.append(Mention(span, text[span.start : span.end], "Policy"))
        return out

    def _persons(self, text: str, sent: Span) -> list[Mention]:
        out = []
        for m in _PERSON.finditer(text, sent.start, sent.end):
            sur, given = m.group(1), m.group(2)
            if sur.lower() not in surnames() or not is_pinyin(given.replace("-", "").lower()):
                continue
            before = text[max(0, m.start() - 40) : m.start()]
            titled = _TITLED_AFTER.match(text, m.end()) or _TITLED_BEFORE.search(before)
            if len(given.replace("-", "")) > 8:
                continue
            if not titled and (area_of(f"{sur} {given}", "en") or area_of(sur + given, "en")):
                continue  # "Zhang Hua" is also 彰化: a person only with a title beside it
            nxt = text[m.end() : m.end() + 30].lower()
            if re.match(
                r"\s+(?:new district|district|county|banner|city|road|street|town|primary|middle|school|education)", nxt
            ):
                continue
            if text[m.start() - 1 : m.start()] in '“"' and text[m.end() : m.end() + 1] in '”"':
                continue  # a quoted phrase, not a person
            if text[m.start() - 1 : m.start()] == "/" and m.group().lower() in _CREDITS:
                continue  # byline credit: "Wu Shengli/Wen Tu" (text and photos)
            out.append(Mention(Span(m.start(), m.end()), m.group(), "Person"))
        return out


_TITLE_WORDS = (
    r"(?:deputy\s+|vice\s+|party\s+)?(?:director|secretary|principal|president|headmaster|head|chief|mayor|dean|"
    r"chairman|chairwoman|commissioner|reporter|correspondent)"
)
_TITLED_AFTER = re.compile(rf",\s*(?:the\s+)?{_TITLE_WORDS}\b", re.I)
_TITLED_BEFORE = re.compile(rf"\b{_TITLE_WORDS}\s+$", re.I)
_CREDITS = frozenset({"wen tu", "tu wen", "she ying", "wen she"})  # 文图 / 图文 / 摄影 / 文摄 in bylines
_PERSON = re.compile(r"\b([A-Z][a-z]{0,5})\s([A-Z][a-z]+(?:-[a-z]+)?)\b")
_QUOTED = re.compile(r"[“\"]([^“”\"]{1,120})[”\"]")
_POLICY_HEAD = re.compile(
    r"^(?:[\w\-]+\s+){0,2}?(policy system|policy|system|project|plan|model|mechanism|programme|program|project|"
    r"evaluation system|action plan|work idea|funding system|initiative|scheme|campaign|mode)\b",
    re.I,
)
_WEAK_HEADS = frozenset({"model", "mode", "mechanism", "work idea"})
_PLAN_HEAD = re.compile(r"\b(?:action plan|plan|project|programme|program|scheme|initiative)$", re.I)
_TITLE_HEAD = re.compile(
    r"\b(plan|opinions|guide|guidelines|measures|notice|programme|program|project|scheme|regulations)$", re.I
)


_TITLE_WORD = re.compile(
    r"\b(?:action plan|plan|opinions|guide|guidelines|measures|notice|programme|scheme|regulations)"
    r"\s+(?:on|for|of|about)\b",
    re.I,
)


def _quoted_policy(text: str, m: re.Match[str], sent: Span) -> Span | None:
    inner = m.group(1).strip()
    if len(inner.split()) >= 3 and _TITLE_HEAD.search(inner) and inner[:1].isupper():
        return Span(m.start(1), m.end(1))
    if 3 <= len(inner.split()) <= 7 and _PLAN_HEAD.search(inner):
        return Span(m.start(1), m.end(1))  # lower-cased by MT: "county high school revitalization action plan"
    if len(inner.split()) >= 4 and _TITLE_WORD.search(inner) and inner[:1].isupper():
        return Span(m.start(1), m.end(1))
    if len(inner.split()) <= 3:
        tail = _POLICY_HEAD.match(text[m.end() : sent.end].lstrip())
        if tail and tail.group(1).lower() in _WEAK_HEADS and not re.search(r"\d", inner):
            tail = None  # '"penetration" training model': a description, not a named programme
        if tail and not _school_re().search(inner):
            gap = len(text[m.end() : sent.end]) - len(text[m.end() : sent.end].lstrip())
            return Span(_thesaurus_before(text, m.start(), sent.start), m.end() + gap + tail.end())
        named = _thesaurus_at(text, m.end(), sent.end)
        if named and re.search(r"\d", inner):
            return Span(m.start(), named)
        if re.fullmatch(r"\d+\s+project", inner, re.I):
            return Span(m.start(1), m.end(1))
    elif len(inner.split()) <= 6 and not re.search(r"[.;:!?]", inner):
        tail = _NAMED_HEAD.match(text, m.end(), sent.end)
        if tail and not _school_re().search(inner):
            return Span(m.start(), tail.end())  # '"Million Talents Entering Hainan" action plan'
    return None


_NAMED_HEAD = re.compile(r"[”\"]?\s*(?:action plan|plan|project|programme|program|initiative|campaign|scheme)\b", re.I)


def _thesaurus_before(text: str, pos: int, stop: int) -> int:
    """Start of a thesaurus policy name ending just before ``pos`` (the after-school service "5+2" mode),
    else ``pos``."""
    before = text[max(stop, pos - 60) : pos]
    trimmed = before.rstrip(" ")
    for regex, _, _ in _policy_regexes():
        for m in regex.finditer(trimmed):
            if m.end() == len(trimmed):
                return pos - len(before) + m.start()
    return pos


def _thesaurus_at(text: str, pos: int, stop: int) -> int | None:
    """End of a thesaurus policy name starting (after spaces) at ``pos`` ("“5+2” after-school services")."""
    start = pos + len(text[pos:stop]) - len(text[pos:stop].lstrip(" "))
    for regex, _, _ in _policy_regexes():
        m = regex.match(text, start, stop)
        if m:
            return m.end()
    return None


def _alias_pattern(name: str) -> str:
    """A thesaurus alias as a regex; a name ending in "+" ("famous school +") must not run on into a word
    ("famous school + weak school" pairs two schools, it names no model).

    >>> bool(re.search(_alias_pattern("famous school +"), "the famous school + weak school mode"))
    False
    >>> bool(re.search(_alias_pattern("famous school +"), 'the "famous school +" model'))
    True
    """
    body = _alias_body(name)
    if name.endswith("+"):
        body += r"(?!\s*(?!model\b|mode\b|project\b|programme\b|program\b)[A-Za-z])"
    return body


def _alias_body(name: str) -> str:
    """The words of an alias, any spaces or hyphens between them."""
    return r"[\s\-]*".join(re.escape(w) for w in re.split(r"[\s\-]+", name.strip('"')))


def _policy_names(p) -> list[str]:
    return sorted({a for a in (p.en, *p.en_aliases) if a and a.isascii()}, key=len, reverse=True)


# The only characters that re.IGNORECASE matches to an ASCII letter other than its own two cases.
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


@cache
def _policy_anchors() -> tuple[tuple[str, ...], ...]:
    """Per row of :func:`_policy_regexes`, the first word of each alias, lower-cased: every match of
    the row starts with one of them."""
    return tuple(
        tuple(sorted({re.split(r"[\s\-]+", n.strip('"'))[0].lower() for n in _policy_names(p)})) for p in policies()
    )


@lru_cache(maxsize=8)
def _active_policy_regexes(text: str) -> tuple[tuple[re.Pattern[str], str, bool], ...]:
    """The rows of :func:`_policy_regexes` whose first alias words occur in ``text``: the others cannot
    match in any of its sentences (substring tests instead of one regex scan per row and sentence).

    >>> [pid for _, pid, _ in _active_policy_regexes("The Double Reduction policy.")]
    ['double-reduction']
    """
    rows = _policy_regexes()
    if _FOLDS_TO_ASCII.search(text):
        return rows
    low = text.lower()
    return tuple(row for row, anchors in zip(rows, _policy_anchors(), strict=True) if any(a in low for a in anchors))


@cache
def _policy_regexes() -> tuple[tuple[re.Pattern[str], str, bool], ...]:
    """(regex, thesaurus id, is a broad theme) for every thesaurus row."""
    out = []
    for p in policies():
        body = "|".join(_alias_pattern(n) for n in _policy_names(p))
        out.append((re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.I), p.id, p.scope == "theme"))
    return tuple(out)


_FRAME_AFTER = re.compile(r"^[”\"’]?\s*(?:policy|policies|reform|project|programme|program|plan|initiative)\b", re.I)


def _framed_as_policy(text: str, start: int, end: int) -> bool:
    """A broad theme ("labor education") is a policy only when quoted or called a policy/reform/project.

    >>> _framed_as_policy("the “smart education” project", 5, 20)
    True
    >>> _framed_as_policy("strengthen labor education in schools", 11, 26)
    False
    """
    quoted = text[start - 1 : start] in '“"‘' and start > 0
    return quoted or bool(_FRAME_AFTER.match(text[end : end + 20]))


def _inside_open_quote(text: str, sent_start: int, pos: int) -> bool:
    """Whether an opening quote before ``pos`` in the sentence is still unclosed (nested, garbled quotes)."""
    before = text[sent_start:pos]
    last_open, last_close = before.rfind("“"), before.rfind("”")
    return last_open > last_close


def _drop_title_only_policies(text: str, mentions: list[Mention]) -> list[Mention]:
    """A programme named only in the headline is the headline's summary, not a reported fact."""
    line_end = text.find("\n")
    if line_end < 0:
        return mentions
    body = {m.surface.lower() for m in mentions if m.kind == "Policy" and m.span.start > line_end}
    body |= {m.hint("canonical") for m in mentions if m.kind == "Policy" and m.span.start > line_end}
    body.discard(None)
    return [
        m
        for m in mentions
        if m.kind != "Policy" or m.span.start > line_end or m.surface.lower() in body or m.hint("canonical") in body
    ]


_CAMPUS_OF = re.compile(r"\b(?:campus|branch)\s+of\s+(?:the\s+)?$", re.I)


def _campus_parents(found: list[Mention], kept: tuple[Mention, ...]) -> tuple[Mention, ...]:
    """Give back the schools named inside campus names ("the Linjiang branch campus of X Kindergarten")."""
    campuses = [k for k in kept if k.kind == "School" and re.search(r"\b(?:campus|branch)\s+of\b", k.surface, re.I)]
    back = [
        m
        for m in found
        if m.kind == "School"
        and m not in kept
        and any(
            c.span.start < m.span.start
            and m.span.end <= c.span.end
            and _CAMPUS_OF.search(c.surface[: m.span.start - c.span.start])
            for c in campuses
        )
    ]
    return kept + tuple(dict.fromkeys(back))


def _drop_overlaps(mentions: tuple[Mention, ...]) -> Iterator[Mention]:
    """Keep the longest of overlapping mentions, except areas nested in names."""
    ordered = sorted(mentions, key=lambda m: (-(m.span.end - m.span.start), m.span.start))
    kept: list[Mention] = []
    for m in ordered:
        clash = False
        for k in kept:
            if m.span.start < k.span.end and k.span.start < m.span.end:
                nested = k.span.start <= m.span.start and m.span.end <= k.span.end
                if nested and m.kind in ("City", "District", "Province") and k.kind != m.kind:
                    continue
                if (
                    nested
                    and m.kind == k.kind == "School"
                    and _CAMPUS_OF.search(k.surface[: m.span.start - k.span.start])
                ):
                    continue  # the parent school of "the Linjiang branch campus of X Kindergarten"
                clash = True
                break
        if not clash:
            kept.append(m)
    return iter(sorted(kept, key=lambda m: (m.span.start, m.span.end)))


# ---------------------------------------------------------------------- relations


def _home_mention(ex: Extraction) -> Mention | None:
    context = _city_context(ex.mentions, "en")
    area = main_area(ex, context)
    if area is None:
        return None
    for m in ex.mentions:
        if m.kind in ("District", "City") and (a := area_of(m.surface, "en", context)) and a.part == area.part:
            return m
    return None


def _in_sentence(mentions: list[Mention], sent: Span) -> list[Mention]:
    return [m for m in mentions if sent.start <= m.span.start < sent.end]


def _relations(text: str, sentences: tuple[Span, ...], mentions: list[Mention], home: Mention | None) -> Iterator[Fact]:
    areas = [m for m in mentions if m.kind in ("District", "City")]
    for m in mentions:
        sent = sentence_at(m.span.start, sentences) or m.span
        if m.kind in ("School", "EducationGroup", "GovernmentBody", "District"):
            yield from _located(text, m, areas, home, sent)
        if m.kind == "GovernmentBody":
            yield from _governs(m, areas, home, sent)
    topic: Mention | None = None
    para = -2
    for sent in sentences:
        here = _in_sentence(mentions, sent)
        line = text.rfind("\n", 0, sent.start)
        subject, anaphoric = _sentence_subject(text, sent, here, mentions)
        if line != para:
            para, topic = line, None
        if anaphoric or subject is None and _opens_with_area(text, sent, here):
            topic = subject
        yield from _groups(text, here, sent, mentions)
        yield from _implements(here, subject or topic or home, sent)
        yield from _heads(text, here, sent, mentions)


def _nested_area(m: Mention, areas: list[Mention]) -> Mention | None:
    inside = [a for a in areas if m.span.start <= a.span.start and a.span.end <= m.span.end and a.span != m.span]
    if not inside:
        return None
    districts = [a for a in inside if a.kind == "District"]
    return (districts or inside)[0]


def _located(text: str, m: Mention, areas: list[Mention], home: Mention | None, sent: Span) -> Iterator[Fact]:
    if m.kind == "District":
        code = m.hint("adminCode")
        a = area_of(m.surface, "en")
        parent = (a.division.parent if a and a.division else None) or (
            division_by_code(code).parent if code and division_by_code(code) else None
        )
        if code is None and (city := _leading_city(text, m)) is not None:
            yield Fact(m, "locatedIn", city, sent)  # "Wuhan Changjiang New District"
            return
        if parent:
            for c in areas:
                if c.kind == "City" and c.hint("adminCode") == parent:
                    yield Fact(m, "locatedIn", c, sent)
                    return
                ca = area_of(c.surface, "en")
                if c.kind == "City" and ca and ca.division and ca.division.code == parent:
                    yield Fact(m, "locatedIn", c, sent)
                    return
        return
    if m.kind in ("GovernmentBody", "EducationGroup"):
        return  # a group is where its schools are; a body governs its area
    inner = _nested_area(m, areas)
    if inner is not None and not _area_names_place(m, inner):
        inner = None
    if home is not None and home.kind == "District" and (inner is None or inner.kind == "City"):
        if _names_home(text, m, inner, home):
            inner = home  # "Beijing No. 2 Middle School Tongzhou Campus" is in Tongzhou District
    target = inner or home
    if target is not None:
        yield Fact(m, "locatedIn", target, sent)


def _names_home(text: str, m: Mention, inner: Mention | None, home: Mention) -> bool:
    """Whether a school's name carries the home district's bare name after its city prefix."""
    bare = re.sub(r"\s+(?:new district|new area|district|county|banner)$", "", home.surface.strip(), flags=re.I).lower()
    if not bare or " " in bare:
        return False
    start = inner.span.end if inner is not None else m.span.start
    return any(w.group().lower() == bare for w in _words(text, start, m.span.end))


def _leading_city(text: str, m: Mention) -> Mention | None:
    """The city a division-less district name opens with ("Wuhan Changjiang New District"), as a mention."""
    words = _words(text, m.span.start, m.span.end)
    if len(words) < 3:
        return None
    first = words[0]
    area = area_of(first.group(), "en")
    if area is None or area.kind != "City":
        return None
    hints: tuple[tuple[str, str], ...] = (("key", f"City/{area.part}"),)
    if area.division:
        hints += (("adminCode", area.division.code),)
    return Mention(Span(first.start(), first.end()), first.group(), "City", hints)


def _area_names_place(m: Mention, area: Mention) -> bool:
    """An area inside a name locates it when it opens the name or closes an inverted one ("X School of
    Zhengdong New District"), not when it belongs to another school named inside ("X School of Zhengzhou
    47th Middle School")."""
    return (
        area.span.start == m.span.start
        or area.span.end == m.span.end
        or not _school_re().search(m.surface[area.span.end - m.span.start :])
    )


def _governs(m: Mention, areas: list[Mention], home: Mention | None, sent: Span) -> Iterator[Fact]:
    low = m.surface.lower()
    if "ministry" in low:
        return
    inner = _nested_area(m, areas)
    bare = re.fullmatch(r"(?:management|administrative|party working|party work) committee", low)
    if inner is None and (re.search(r"\bthe (district|county|banner)\b", low) or bare) and home is not None:
        inner = home
    if inner is not None:
        yield Fact(m, "governs", inner, sent)


_LEAD_AFTER = re.compile(
    r"\s*(?:as|is)\s+(?:the\s+|a\s+)?(?:group\s+)?(?:lead(?:ing)?|core|head|main|leader)\s+school", re.I
)
_LEAD_BEFORE = re.compile(
    r"(?:\bled by|\b(?:lead(?:ing)?|core|head|main) school is"
    r"|\bas (?:the |a )?(?:lead(?:ing)?|core|head|main) school,?)\s+(?:the\s+)?$",
    re.I,
)
_MEMBERSHIP = re.compile(r"member|includ|consist|compos|led by|(?:core|lead|leading|head) school|branch", re.I)
_GROUP_ANAPHOR = re.compile(r"\W*(?:the|this)\s+(?:education(?:al)?\s+)?group\b", re.I)


def _anaphoric_group(text: str, sent: Span, everything: list[Mention]) -> Mention | None:
    """The group a sentence opening "The group ..." refers to: the last one named in its paragraph."""
    if not _GROUP_ANAPHOR.match(text, sent.start, sent.end):
        return None
    para = text.rfind("\n", 0, sent.start)
    earlier = [m for m in everything if m.kind == "EducationGroup" and para < m.span.start and m.span.end <= sent.start]
    return earlier[-1] if earlier else None


def _groups(text: str, here: list[Mention], sent: Span, everything: list[Mention] = ()) -> Iterator[Fact]:
    """Lead and member schools of the groups a sentence names (or refers to by "The group ...").

    >>> t = "The A Education Group is led by the B School, the group includes C School and D School."
    >>> ms = [Mention(Span(4, 21), "A Education Group", "EducationGroup"), Mention(Span(36, 44), "B School", "School"),
    ...       Mention(Span(65, 73), "C School", "School"), Mention(Span(78, 86), "D School", "School")]
    >>> sorted((f.subject.surface, f.predicate, f.object.surface) for f in _groups(t, ms, Span(0, len(t))))[:2]
    [('A Education Group', 'leadSchool', 'B School'), ('B School', 'memberOf', 'A Education Group')]
    >>> len([f for f in _groups(t, ms, Span(0, len(t))) if f.predicate == "memberOf"])
    3
    """
    groups = [m for m in here if m.kind == "EducationGroup"]
    anaphor = None if groups else _anaphoric_group(text, sent, list(everything))
    if not groups and anaphor is None:
        return
    schools = [m for m in here if m.kind == "School"]
    for g in groups or [anaphor]:
        g_end = g.span.end if anaphor is None else sent.start
        nxt = min((o.span.start for o in groups if o.span.start > g.span.start), default=sent.end)
        members = [s for s in schools if g_end <= s.span.start < nxt]
        lead = None
        for s in members:
            if _LEAD_AFTER.match(text[s.span.end : s.span.end + 40]) or _LEAD_BEFORE.search(
                text[max(g_end, s.span.start - 30) : s.span.start]
            ):
                lead = s
                break
        inside = [s for s in schools if g.span.start <= s.span.start and s.span.end <= g.span.end]
        if lead is None and inside:
            lead = inside[0]
        if lead is None and anaphor is None:
            lead = _eponymous_school(g)
        if lead is not None:
            yield Fact(g, "leadSchool", lead, sent)
            yield Fact(lead, "memberOf", g, sent)
        seg = text[g_end:nxt]
        if _MEMBERSHIP.search(seg) or lead is not None and lead in members:  # "X Group, with A as the lead, B, C"
            for s in members:
                if s is not lead:
                    yield Fact(s, "memberOf", g, sent)
        if anaphor is None:
            prev = max((o.span.end for o in groups if o.span.end <= g.span.start), default=sent.start)
            for s in _joining(text, [s for s in schools if prev <= s.span.start and s.span.end <= g.span.start], g):
                if lead is None or s.surface.lower() != lead.surface.lower():
                    yield Fact(s, "memberOf", g, sent)


_JOIN_BEFORE = re.compile(
    r"^[\s,]*(?:\w+\s+){0,2}?(?:compos\w*|form(?:s|ed)?|make up|made up|constitut\w*|join(?:s|ed)?|"
    r"jointly (?:set up|establish\w*|form\w*))\s+(?:the\s+|a\s+|an\s+)?(?:new\s+)?$",
    re.I,
)


def _joining(text: str, before: list[Mention], group: Mention) -> list[Mention]:
    """Schools named before a group that they form or join: "A, B and C composed the X Education Group",
    "the new A school joins the X Education Group as a member school".

    >>> t = "A School and B School formed the X Education Group."
    >>> a, b = Mention(Span(0, 8), "A School", "School"), Mention(Span(13, 21), "B School", "School")
    >>> [m.surface for m in _joining(t, [a, b], Mention(Span(33, 50), "X Education Group", "EducationGroup"))]
    ['A School', 'B School']
    """
    if not before or not _JOIN_BEFORE.match(text[before[-1].span.end : group.span.start]):
        return []
    run = [before[-1]]
    for s in reversed(before[:-1]):
        if not re.fullmatch(r"\s*(?:,|and|、)\s*(?:and\s+)?(?:the\s+)?", text[s.span.end : run[0].span.start]):
            break
        run.insert(0, s)
    return run


_EPONYM = re.compile(r"(.+?\b(?:school|kindergarten))\s+(?:education(?:al)?\s+)?group(?:\s+(?:in|of)\s+.+)?$", re.I)


def _eponymous_school(group: Mention) -> Mention | None:
    """A group named after a school is led by it: "X Primary School Education Group" -> X Primary School.

    >>> g = Mention(Span(0, 47), "Yunyang Qinglong Primary School Education Group", "EducationGroup")
    >>> _eponymous_school(g).surface
    'Yunyang Qinglong Primary School'
    """
    m = _EPONYM.match(group.surface)
    if m is None or len(m.group(1).split()) < 3:
        return None
    return Mention(Span(group.span.start, group.span.start + m.end(1)), m.group(1), "School", group.hints)


_OPENING = re.compile(
    r"^\W*(?:(?:in|since|by|during|at the end of)\s+(?:the\s+)?(?:year\s+)?\d{4}\s*,?\s*)?(?:the\s+)?$", re.I
)
_ANAPHOR = re.compile(r"^\W*(?:this|the|our|that)\s+(?:[\w\-]+\s+){0,3}?(group|school)\b", re.I)


def _sentence_subject(
    text: str, sent: Span, here: list[Mention], everything: list[Mention]
) -> tuple[Mention | None, bool]:
    """(the school or group a sentence opens with, whether it was named by an anaphor "This group ...").

    An anaphoric subject stays the topic for the rest of the paragraph.
    """
    first = next((m for m in here if m.kind != "Person"), None)
    if first is not None and _OPENING.match(text[sent.start : first.span.start]):
        return (first if first.kind in ("School", "EducationGroup") else None), False
    ana = _ANAPHOR.match(text[sent.start : sent.end])
    if ana:
        kinds = ("EducationGroup",) if ana.group(1).lower() == "group" else ("School",)
        earlier = [m for m in everything if m.span.end <= sent.start and m.kind in kinds]
        return (earlier[-1] if earlier else None), bool(earlier)
    return None, False


def _opens_with_area(text: str, sent: Span, here: list[Mention]) -> bool:
    first = next((m for m in here if m.kind != "Person"), None)
    return (
        first is not None
        and first.kind in ("District", "City", "GovernmentBody")
        and bool(_OPENING.match(text[sent.start : first.span.start]))
    )


def _implements(here: list[Mention], subject: Mention | None, sent: Span) -> Iterator[Fact]:
    """The sentence's subject (else the paragraph's, else the article's area) implements each policy named."""
    if subject is None:
        return
    for p in (m for m in here if m.kind == "Policy"):
        if subject.span.start <= p.span.start < subject.span.end:
            continue
        yield Fact(subject, "implements", p, sent)


_TITLE = re.compile(
    r"\b(director|head|secretary|chief|dean|chairman|chairwoman|principal|mayor|commissioner|minister|leader)\b", re.I
)


_HEAD_OF = re.compile(
    r"^,?\s*(?:the\s+)?(?:party\s+secretary\s+and\s+)?(?P<group>(?:president|head|director|principal)\s+of\s+the\s+"
    r"(?:education(?:al)?\s+)?group\s+and\s+(?:the\s+)?)?(?:principal|president|headmaster|head|director)\s+of\s+(?:the\s+)?$",
    re.I,
)
_TITLE_OF_BEFORE = re.compile(r"\b(?:director|head|chief|secretary|principal|president)\s+of\s+(?:the\s+)?$", re.I)
_HEAD_OF_GROUP = re.compile(
    r"\s*(?:and\s+)?(?:the\s+)?(?:president|head|director|principal)\s+of\s+the\s+(?:education(?:al)?\s+)?group\b", re.I
)


def _heads(text: str, here: list[Mention], sent: Span, everything: list[Mention] = ()) -> Iterator[Fact]:
    """Who heads what: "Wang Yan, ... director of the X Bureau", "director of the X Bureau Li Ming said",
    "Chen, principal of X School and the president of the education group".

    >>> t = "director of the Yishui County Education Bureau Li Ming said."
    >>> b, p = Mention(Span(16, 46), t[16:46], "GovernmentBody"), Mention(Span(47, 55), "Li Ming", "Person")
    >>> [(f.subject.surface, f.object.surface) for f in _heads(t, [b, p], Span(0, len(t)))]
    [('Li Ming', 'Yishui County Education Bureau')]
    """
    people = [m for m in here if m.kind == "Person"]
    bodies = [m for m in here if m.kind == "GovernmentBody"]
    for p in people:
        for s in (m for m in here if m.kind in ("School", "EducationGroup") and m.span.start >= p.span.end):
            if hm := _HEAD_OF.match(text[p.span.end : s.span.start]):
                yield Fact(p, "heads", s, sent)
                tail = _HEAD_OF_GROUP.match(text, s.span.end, sent.end) or hm.group("group")
                groups = [g for g in everything if g.kind == "EducationGroup" and g.span.end <= s.span.start]
                own = [g for g in groups if s.surface.lower() in g.surface.lower()]
                if tail and s.kind == "School" and (own or groups):
                    yield Fact(p, "heads", (own or groups)[-1], sent)  # "... and the president of the group"
                break
        before = [b for b in bodies if b.span.end <= p.span.start and not text[b.span.end : p.span.start].strip()]
        lead_in = text[max(sent.start, before[-1].span.start - 30) : before[-1].span.start] if before else ""
        if before and _TITLE_OF_BEFORE.search(lead_in):
            yield Fact(p, "heads", before[-1], sent)  # "director of the X Bureau Li Ming said"
            continue
        for b in bodies:
            lo, hi = (
                sorted((p.span.end, b.span.start)) if p.span.end <= b.span.start else sorted((b.span.end, p.span.start))
            )
            between = text[lo:hi]
            if (
                len(between) < 90
                and _TITLE.search(between)
                and not any(o.kind == "Person" and lo <= o.span.start < hi for o in people)
            ):
                yield Fact(p, "heads", b, sent)
                break


# ---------------------------------------------------------------------- figures


_NUMBER_OF = re.compile(r"\bnumber of ((?:[\w\-]+\s+){0,4}?)([\w\-]+)\b[^.;]*$", re.I)
_SKIP_AFTER = re.compile(
    r"^\s*(?:\+|[-–~]\s*\d|st\b|nd\b|rd\b|th\b|years?\b|months?\b|days?\b|hours?\b|minutes?\b|o'clock|:)", re.I
)


def _figures(
    article: Article, sentences: tuple[Span, ...], mentions: list[Mention], home: Mention | None
) -> Iterator[Observation]:
    from ..numbers import find_numbers

    text = article.text
    end = article.body_end if article.body_end is not None else len(text)
    taken = [m.span for m in mentions]
    last_year: dict[int, int] = {}
    seen: set[tuple] = set()
    for sent in sentences:
        if sent.start >= end:
            break
        y = year_in(text[sent.start : sent.end], "en")
        line = text.rfind("\n", 0, sent.start)
        if y:
            last_year[line] = y
        for n in find_numbers(text[sent.start : sent.end], "en"):
            s, e = sent.start + n.start, sent.start + n.end
            if n.is_ordinal or n.is_year or n.value == 0 or any(t.start <= s < t.end for t in taken):
                continue
            age = _AGE.search(text[max(sent.start, s - 70) : s]) and re.match(r"\s*years?\b", text[e : e + 8])
            if not age and _SKIP_AFTER.match(text[e : e + 12]) or text[max(0, s - 1) : s] in '+“"-–':
                continue
            if re.match(r"\.\s*\S", text[e : e + 3]) and re.search(r"(?:^|[.!?。:：]\s*)$", text[sent.start : s]):
                continue  # list numbering: "... reached 100%.3. Professional ..."
            spelled = n.text.isalpha()
            if spelled and (n.value == 1 or _DETERMINER.search(text[max(sent.start, s - 12) : s])):
                continue  # "one school, one case", "the two schools" (a reference, not a count)
            fig = (
                ("year", "average age", e + len(age.group()))
                if age
                else _figure(text, s, e, sent, n.is_percent, n.value)
            )
            if fig is None or home is None:
                continue
            unit, measure, qend = fig
            if (n.value, unit) in seen and _DETERMINER.search(text[max(sent.start, s - 12) : s]):
                continue  # "the 6 new schools have ...": the figure given before, referred to again
            seen.add((n.value, unit))
            if spelled and unit in ("other", "place"):
                continue  # "three key tasks", "in four places": number words without a counted noun
            year = _figure_year(text[sent.start : sent.end], y, article.date)
            if year is None and y is None:
                year = last_year.get(line)
            yield Observation(home, measure, n.value, unit, year, Span(s, qend), n.approximate)


_RELATIVE_YEAR = re.compile(
    r"\b(?:(this|last|next)\s+(?:year|autumn|fall|spring|summer|winter|semester|school year)"
    r"|(?:the\s+)?(previous|past) year)\b",
    re.I,
)


def _figure_year(sentence: str, stated: int | None, date: str | None) -> int | None:
    """The year of a figure's sentence: a stated year, else "this year"/"last year"/"next year" read from the
    article's date; a running total "since 2018" is no figure of 2018.

    >>> _figure_year("this autumn 6 new schools open", None, "2023-09-01")
    2023
    >>> _figure_year("last year the county invested 2 billion yuan", None, "2023-05-18") is None
    False
    >>> _figure_year("since 2018 has built 37 schools", 2018, "2022-12-02") is None
    True
    """
    if stated is not None:
        return None if re.search(rf"\bsince\s+(?:the\s+year\s+)?{stated}\b", sentence, re.I) else stated
    rel = _RELATIVE_YEAR.search(sentence)
    if rel is None or not date or not re.match(r"(?:19|20)\d\d", date):
        return None
    word = (rel.group(1) or rel.group(2)).lower()
    return int(date[:4]) + {"this": 0, "last": -1, "previous": -1, "past": -1, "next": 1}[word]


def _drop_title_repeats(text: str, title: str, obs: list[Observation]) -> list[Observation]:
    """A headline figure repeated in the body ("8 new schools open" ... "8 new schools in the district")
    is one figure: keep the body's.

    >>> from kg.model import Mention
    >>> a = Mention(Span(0, 1), "X", "District")
    >>> t = "X: 8 new schools\\nThis autumn 8 new schools open."
    >>> obs = [Observation(a, "m", 8, "school", None, Span(s, s + 13)) for s in (3, 29)]
    >>> [o.evidence.start for o in _drop_title_repeats(t, "X: 8 new schools", obs)]
    [29]
    """
    line_end = text.find("\n")
    if not title or line_end < 0 or title[:20] not in text[:line_end]:
        return obs
    body = {(o.value, o.unit) for o in obs if o.evidence.start > line_end}
    return [o for o in obs if o.evidence.start > line_end or (o.value, o.unit) not in body]


_AGE = re.compile(r"\baverage age\b[^.;,]*\b(?:to|of|is|was|at)\s+(?:about\s+)?$", re.I)
_DETERMINER = re.compile(r"\b(?:the|these|those|both|all|its|their|our)\s+$", re.I)
_NOUN = re.compile(r"[A-Za-z][A-Za-z\-]*")
_LIST_NEXT = re.compile(
    r"^\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|to)\s+)(\d[\d,.]*(?:\s+(?:million|billion|thousand))?)"
)
_PHRASE_STOP = frozenset(_STOP - {"and", "new", "public", "private", "other"}) | {"per", "than", "by"}


def _completes_phrase(word: str) -> bool:
    """A plural noun or a generic noun ends a noun phrase; a comma after it ends the phrase."""
    low = word.lower()
    return low in _generic_words() or (low.endswith("s") and not low.endswith("ss")) or unit_of(word, "en") is not None


def _unit_word(word: str, value) -> str | None:
    """The unit a noun names: the unit thesaurus, people nouns (person), money nouns (yuan)."""
    low = word.lower()
    if " " in low:
        return unit_of(low, "en")
    unit = unit_of(word, "en")
    if unit:
        return unit
    if low in person_nouns():
        return "person"
    if low in money_nouns() and value >= 1000:
        return "yuan"
    return None


def _noun_phrase(after: str) -> list[re.Match[str]]:
    """Words of the noun phrase after a number, through adjective lists ("weak, small and remote schools")."""
    words: list[re.Match[str]] = []
    pos = 0
    for w in _NOUN.finditer(after[:120]):
        gap = after[pos : w.start()]
        low = w.group().lower()
        if re.search(r"[;.:()!?\d]", gap) or len(words) >= 8 or not words and low in ("and", "or", "to"):
            break
        if "," in gap and (not words or _completes_phrase(words[-1].group())):
            break
        if low in _PHRASE_STOP:
            if not words and low == "more" and not gap.strip():
                pos = w.end()
                continue  # "build 20 more schools"
            break
        words.append(w)
        pos = w.end()
    while words and words[-1].group().lower() in ("and", "or", "other"):
        words.pop()
    return words


def _figure(text: str, s: int, e: int, sent: Span, is_percent: bool, value=0) -> tuple[str, str, int] | None:
    """(unit, what it measures, quote end) for the number at ``s:e``; None when it is no figure.

    >>> t = "10 weak, small, rural and remote schools were merged"
    >>> _figure(t, 0, 2, Span(0, len(t)), False, 10)[0]
    'school'
    >>> t = "give 1 million, 500,000, and 300,000 fund rewards"
    >>> _figure(t, 5, 14, Span(0, len(t)), False, 1000000)[0]
    'yuan'
    """
    if is_percent:
        before = text[max(sent.start, s - 60) : s]
        return "percent", clean_measure(before.split(",")[-1]) or "percentage", e
    after = text[e : sent.end]
    words = _noun_phrase(after)
    if len(words) >= 2 and (two := unit_of(f"{words[0].group()} {words[1].group()}", "en")):
        return two, clean_measure(after[: words[1].end()]), e + words[1].end()
    first = _coordinated_unit(words, value)
    if first:
        return first, clean_measure(after[: words[-1].end()]), e + words[-1].end()
    head_unit = _unit_word(words[-1].group(), value) if words else None
    if head_unit == "person" and len(words) == 1 and words[0].group().lower() in ("people", "persons", "person"):
        head_unit = _people_noun_before(text, sent, s) or head_unit
    if head_unit and head_unit != "year":
        return head_unit, clean_measure(after[: words[-1].end()]), e + words[-1].end()
    for w in words:
        if w.group().lower() in ("and", "or") and not words[-1].group().lower().endswith("s"):
            break
        unit = _unit_word(w.group(), value)
        if unit == "year":
            return None
        if unit:
            return unit, clean_measure(after[: w.end()]), e + w.end()
    nxt = _LIST_NEXT.match(after)
    if nxt and not words:
        later = e + nxt.end(1)
        fig = _figure(text, later - len(nxt.group(1)), later, sent, False, value)
        if fig is not None:
            return fig[0], fig[1], fig[2]
    if not words or re.match(r"\s*[,;.:)]|\s*$", after):
        back = _unit_before(text, sent, s, value)
        if back:
            return back, clean_measure(text[max(sent.start, s - 60) : s].split(",")[-1]), e
    if words:
        head = words[-1].group()
        if head.lower().endswith("s") and not head.lower().endswith("ss") and head.lower() not in _generic_words():
            return "other", clean_measure(after[: words[-1].end()]), e + words[-1].end()
    return None


def _people_noun_before(text: str, sent: Span, s: int) -> str | None:
    """MT counts people after the number and names them before it: "students more than 280,000 people",
    "communication rotation teacher 293 people" count students and teachers.

    >>> t = "teacher participation more than 4,100 people"
    >>> _people_noun_before(t, Span(0, len(t)), 32)
    'teacher'
    """
    clause = re.split(r"[;:,]", text[sent.start : s])[-1]
    for w in reversed(_NOUN.findall(clause)[-5:]):
        if w.lower() in ("of", "for", "by", "to", "with", "from", "per"):
            return None  # "the teacher exchange of 45 people": the people are counted, not named
        unit = unit_of(w, "en")
        if unit in ("student", "teacher"):
            return unit
    return None


def _coordinated_unit(words: list[re.Match[str]], value) -> str | None:
    """The first of coordinated counted nouns names the unit: "schools and kindergartens" (school),
    "teachers and principals" (teacher); adjectives before them do not ("rural and remote schools").

    >>> ws = list(_NOUN.finditer("primary and secondary schools and kindergartens"))
    >>> _coordinated_unit(ws, 118)
    'school'
    """
    if len(words) < 3 or _unit_word(words[-1].group(), value) in (None, "year"):
        return None
    for w, nxt in zip(words, words[1:-1], strict=False):
        if nxt.group().lower() in ("and", "or"):
            unit = _unit_word(w.group(), value)
            if unit and unit != "year":
                return unit
    return None


def _unit_before(text: str, sent: Span, s: int, value) -> str | None:
    """A clause-final number takes the unit of the noun it counts earlier in the clause:
    "the number of compulsory education degrees by 4,560", "adjust the school cadre a total of 106"."""
    clause = re.split(r"[;:]|,\s", text[sent.start : s])[-1]
    for w in reversed(_NOUN.findall(clause)[-10:]):
        unit = _unit_word(w, value)
        if unit and unit != "year":
            return unit
    if _NUMBER_OF.search(clause) and re.search(r"\b(?:from|to|by)\s+(?:\d[\d,.]*\s+to\s+)?$", clause):
        return "other"  # "the number of training institutions dropped from 146 to 9"
    return None
