"""Chinese extractor: entities, relations and figures from a Chinese article.

Names are found by their suffixes (小学, 中学, 教育集团, 教育局, 新区, ...) and
extended to the left over name-like words (jieba, with a user dictionary of
administrative divisions, suffixes and policies); areas come from the national
division codes; figures from :mod:`kg.numbers`.  Nothing here knows any
particular school, group or person.

Examples
--------
>>> from kg.model import Article
>>> text = ("洛阳市老城区教育体育局局长张明介绍，以老城区实验小学为牵头校，"
...         "邙山镇中心小学、老城区第二小学为成员校，组建老城区实验小学教育集团。"
...         "2022年新增学位2.3万个，深入推进“双减”。")
>>> art = Article(id="t", source_file="t.txt", lang="zh", title="", date=None, text=text, content_hash="h")
>>> ex = ZhExtractor().extract(art)
>>> sorted({(m.kind, m.surface) for m in ex.mentions if m.kind in ("School", "EducationGroup", "Person")})
... # doctest: +NORMALIZE_WHITESPACE
[('EducationGroup', '老城区实验小学教育集团'), ('Person', '张明'), ('School', '老城区实验小学'),
 ('School', '老城区第二小学'), ('School', '邙山镇中心小学')]
>>> sorted((f.subject.surface, f.predicate, f.object.surface) for f in ex.facts if f.predicate == "leadSchool")
[('老城区实验小学教育集团', 'leadSchool', '老城区实验小学')]
>>> [(o.value, o.unit, o.year) for o in ex.observations]
[(Decimal('23000'), 'place', 2022)]
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import accumulate
from typing import NamedTuple

from ..lexicon import Division, admin_divisions, divisions_by_name, policies, zh_user_dictionary
from ..model import Article, Extraction, Fact, Mention, Observation, Span
from ..numbers import NumberMatch, find_numbers
from .base import dedupe_mentions

__all__ = ["ZhExtractor"]

# ----------------------------------------------------------------------------- general vocabulary

SCHOOL_SUFFIXES = (
    "九年一贯制学校", "十二年一贯制学校", "十五年一贯制学校", "特殊教育学校", "中等职业学校", "职业技术学校",
    "外国语学校", "实验学校", "完全中学", "初级中学", "高级中学", "职业中学", "中心小学", "中心幼儿园",
    "实验小学", "实验中学", "实验幼儿园", "幼儿园", "小学", "中学", "初中", "高中", "学校", "一中", "二中",
)  # fmt: skip
GROUP_SUFFIXES = ("教育集团", "教育联盟", "教育共同体", "发展共同体", "教联体", "集团")
BODY_SUFFIXES = (
    "教育科技体育局", "教育科学技术体育局", "教育和科学技术局", "教育科学技术局", "教育科技局", "教育文化体育局",
    "教育文体局", "教科体局", "教文体局", "教科局", "社会事务局", "社会事业局", "社会事业发展局", "公共事业局",
    "教育体育局", "教育和体育局", "教育委员会", "人民政府", "教体局", "教育局", "教育厅", "教委", "政府",
    "党工委", "管委会", "区委", "县委", "市委", "党委", "财政局", "发改委", "人社局", "编办",
)  # fmt: skip
STANDALONE_BODIES = ("教育部", "国务院", "国家发展改革委", "财政部", "人力资源社会保障部")
ABBREV_BODIES = {"市": "City", "区": "District", "县": "District"}  # 市政府 / 区教体局 -> the article's area
NEW_AREA_STOP = ("城市", "城乡", "全国", "国家级", "各", "全", "该", "本", "建设", "打造", "所在", "综合", "改革")
TOWN = re.compile(r"[\u4e00-\u9fff]{1,4}?(?:镇|乡|街道|社区|村)")
CAMPUS = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:路|街|大道)?)(校区|分校|分园|园区)")
PLACE_WORD = re.compile(r"[\u4e00-\u9fff]{1,4}(?:路|街|大道|道|镇|乡|街道|村|社区|湖|山|河|桥)$")

# words that describe a kind of school rather than name one
GENERIC = frozenset(
    "农村 乡村 城区 城市 城镇 寄宿制 现代化 公办 民办 优质 薄弱 普通 重点 示范 特色 标准化 新 老 全市 全区 全县 "
    "各 所有 其他 其它 中心城区 义务教育 高品质 规范化 中小 小规模 乡镇 村 完全 一般 附近 周边 城乡 省级 市级 县级 "
    "区级 国家级 市属 区属 县属 直属 本 该 这些 那些 所属 成员 牵头 名 强 弱 新建 一批 多所 省 市 区 县 镇 乡 "
    "各类 各级 公立 私立 品牌 名牌 一流 知名 多 每 每所 全体 部分 中 小 大 大中 中小学 学前 基础 职业 特殊 "
    "高等 民族 附属 实验 外国语 这所 此 等 两所 三所 一所 同类 新优质 家门口 好 更多 一些 若干 不同 相关 当地 本地 "
    "偏远 边远 山区 贫困 留守 随迁 流动 全日制 非 营利性 普惠性 普惠 公益 托管 帮扶 结对 集团化 集团 教育 "
    "学区 片区 联盟 共同体 领航 龙头 核心 分校 总校 新增 建设 建成 投用 改扩建 扩建 改建 撤并 合并".split()
)  # fmt: skip
# words that end a name when walking left from its suffix
STOP = frozenset(
    "以 为 由 和 与 及 同 跟 在 将 把 对 向 从 被 让 使 是 有 了 的 等 到 或 并 且 含 即 至 对于 其中 包括 包含 "
    "新建 改扩建 建成 组建 成立 加入 成为 牵头 带动 帮扶 结对 托管 领办 联合 整合 合并 吸纳 覆盖 依托 分别 "
    "推进 推动 实施 落实 深化 开展 推行 构建 建立 坚持 打造 探索 创建 举办 参加 参与 走进 来到 位于 "
    "获评 被评为 荣获 入选 评为 作为 通过 其 这 该 各 每 原 现 新 即将 已 已经 正式 共 共有 全部 "
    "教师 学生 师生 校长 书记 局长 主任 成员 成员校 牵头校 领航校 总校 分校 核心校 领衔校 龙头校 "
    "现有 目前 全区 全市 全县 全省 下辖 联合 携手 吸纳 新组建".split()
)  # fmt: skip
# words that only describe which schools are meant (江岸区|义务教育|学校 is no name)
DESCRIPTIVE = frozenset(
    "义务教育 农村 乡村 城乡 公办 民办 优质 薄弱 普通 寄宿制 所有 其他 其它 各 各类 各级 全部 中小 中小学 新建 "
    "集团化 集团化办学 办学 成员 牵头 该 本 这些 多所 一批 部分 相关 当地 义务教育阶段 现有 辖区 区属 县属 市属".split()
)  # fmt: skip
FUNCTION_CHARS = set('以为由和与及同跟在将把对向从被让使是有了的等到或并且含即至、，,。；;：:“”"（）()《》 \n')
HEAD_TITLES = (
    "党组书记", "党委书记", "党工委书记", "局长", "副局长", "主任", "副主任", "书记", "厅长", "副厅长", "部长",
    "市长", "副市长", "区长", "副区长", "县长", "副县长", "主席", "院长",
)  # fmt: skip
OTHER_TITLES = ("校长", "总校长", "园长", "执行校长", "记者", "通讯员", "一级巡视员", "巡视员", "委员")
LEAD_WORDS = ("牵头校", "牵头学校", "龙头校", "领航校", "核心校", "总校", "领衔校", "牵头单位", "盟主校")
MEMBER_WORDS = ("成员校", "成员学校", "成员单位", "分校", "加盟校", "联盟校", "紧密型成员校", "成员")
POLICY_SUFFIXES = (
    "体系", "工程", "项目", "模式", "政策", "制度", "计划", "机制", "行动", "方案", "改革", "战略", "理念",
    "思路", "课程", "评价", "管理", "服务", "办学", "行动计划", "三年行动计划", "工作法", "育人模式",
)  # fmt: skip
DOC_SUFFIXES = (
    "意见",
    "方案",
    "计划",
    "办法",
    "规定",
    "纲要",
    "指南",
    "规划",
    "条例",
    "标准",
    "细则",
    "措施",
    "通知",
    "决定",
)

# measure word -> unit id (what follows a number)
CLASSIFIERS = {
    "%": "percent", "％": "percent", "个百分点": "percentage-point", "亿元": "yuan", "万元": "yuan", "元": "yuan",
    "所": "school", "名": "person", "人次": "person", "人": "person", "位": "person", "个": "other", "间": "other",
    "座": "other", "项": "project", "家": "other", "支": "other", "门": "course", "班": "class", "场": "time",
    "次": "time", "期": "time", "平方米": "square-metre", "平米": "square-metre", "亩": "mu", "节": "other",
    "套": "other", "台": "other", "册": "other", "本": "other", "批": "other", "条": "other", "处": "other",
    "种": "other", "类": "other", "课时": "other", "小时": "other", "余": "other",
}  # fmt: skip
# noun in the measure phrase -> a more specific unit
NOUN_UNITS = (
    ("幼儿园", "kindergarten"), ("学位", "place"), ("学生", "student"), ("幼儿", "student"), ("儿童", "student"),
    ("学子", "student"), ("孩子", "student"), ("教师", "teacher"), ("老师", "teacher"), ("师生", "person"),
    ("班", "class"), ("集团", "group"), ("课程", "course"), ("学校", "school"), ("小学", "school"),
    ("中学", "school"), ("高中", "school"), ("初中", "school"), ("共同体", "group"), ("联盟", "group"),
    ("教共体", "group"), ("教联体", "group"), ("联合体", "group"),
)  # fmt: skip
CLAUSE_BREAK = re.compile(r"[，,；;。！？!?：:\n]")

_CJK = r"\u4e00-\u9fff"


# ----------------------------------------------------------------------------- cached resources


@cache
def _tokenizer():
    """A jieba tokenizer of our own with the general user dictionary (built once per process)."""
    try:
        import jieba
    except ImportError as exc:  # pragma: no cover - jieba is a declared dependency
        raise ImportError("the Chinese extractor needs jieba: pip install jieba") from exc
    import logging

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.load_userdict(io.StringIO("\n".join(zh_user_dictionary())))
    return tok


@cache
def _pos_tokenizer():
    """A POS tagger over our tokenizer, reusing the word-tag table jieba.posseg loads on import.

    Runs of characters outside the dictionary go through :func:`_pos_viterbi` (jieba's HMM,
    same result, memoised and with predecessor lists) instead of ``jieba.posseg.viterbi``.
    """
    import jieba.posseg

    class _Tagger(jieba.posseg.POSTokenizer):
        def _POSTokenizer__cut(self, sentence: str):  # what POSTokenizer.__cut_detail calls
            return iter(_pos_hmm_cut(sentence))

    pos = object.__new__(_Tagger)
    pos.tokenizer = _tokenizer()
    pos.word_tag_tab = dict(jieba.posseg.dt.word_tag_tab)
    return pos


@cache
def _hmm_model() -> tuple[dict, dict, dict, dict, dict[tuple, tuple], dict[tuple, frozenset]]:
    """jieba.posseg's HMM tables, plus for every state the states that may precede and follow it."""
    from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P

    preds: dict[tuple, list] = {}
    for y0, nxt in trans_P.items():
        for y in nxt:
            preds.setdefault(y, []).append(y0)
    succ = {x: frozenset(nxt) for x, nxt in trans_P.items()}
    return char_state_tab_P, start_P, trans_P, emit_P, {y: tuple(v) for y, v in preds.items()}, succ


def _pos_viterbi(obs: str) -> list[tuple[str, str]]:
    """The state path of ``jieba.posseg.viterbi.viterbi`` for ``obs``, computed the same way.

    Only predecessors with a transition into a state are compared: the others score -inf in
    jieba's loop and never win, so values, ties and the path are identical.

    >>> from jieba.posseg import viterbi
    >>> _pos_viterbi("绣湖") == viterbi("绣湖", *_hmm_model()[:4])[1]
    True
    """
    states, start_p, trans_p, emit_p, preds, succ = _hmm_model()
    min_float = -3.14e100
    all_states = trans_p.keys()
    first = {y: start_p[y] + emit_p[y].get(obs[0], min_float) for y in states.get(obs[0], all_states)}
    V, paths = first, [dict.fromkeys(first, "")]
    for t in range(1, len(obs)):
        prev = {x: v for x, v in V.items() if trans_p[x]}
        expect = set().union(*(succ[x] for x in prev))
        obs_states = set(states.get(obs[t], all_states)) & expect or expect or set(all_states)
        cur: dict = {}
        back: dict = {}
        ch = obs[t]
        for y in obs_states:
            emit = emit_p[y].get(ch, min_float)
            cands = [(prev[y0] + trans_p[y0][y] + emit, y0) for y0 in preds.get(y, ()) if y0 in prev]
            if not cands:  # only when jieba would compare -inf scores alone
                cands = [(prev[y0] + trans_p[y0].get(y, float("-inf")) + emit, y0) for y0 in prev]
            cur[y], back[y] = max(cands)
        V = cur
        paths.append(back)
    state = max((v, y) for y, v in V.items())[1]
    route = [None] * len(obs)
    for i in range(len(obs) - 1, -1, -1):
        route[i] = state
        state = paths[i][state]
    return route


@lru_cache(maxsize=1 << 14)
def _pos_hmm_cut(sentence: str) -> tuple:
    """``POSTokenizer.__cut``: words and tags of a run of unknown characters, by the HMM path."""
    from jieba.posseg import pair

    pos_list = _pos_viterbi(sentence)
    out = []
    begin, nexti = 0, 0
    for i, char in enumerate(sentence):
        tag = pos_list[i][0]
        if tag == "B":
            begin = i
        elif tag == "E":
            out.append(pair(sentence[begin : i + 1], pos_list[i][1]))
            nexti = i + 1
        elif tag == "S":
            out.append(pair(char, pos_list[i][1]))
            nexti = i + 1
    if nexti < len(sentence):
        out.append(pair(sentence[nexti:], pos_list[nexti][1]))
    return tuple(out)


@cache
def _division_names() -> frozenset[str]:
    """Every city/county full name, and city short names (two characters or more)."""
    names = set()
    for d in admin_divisions():
        if d.level == "province":
            continue
        if len(d.name) >= 3 or d.name.endswith(("县", "旗", "市")):  # 城区 / 郊区 / 矿区 are words
            names.add(d.name)
        if d.level == "city" and len(d.short) >= 2:
            names.add(d.short)
    return frozenset(n for n in names if len(n) >= 2)


@cache
def _divisions_by_bigram() -> dict[str, tuple[str, ...]]:
    """Division names by their first two characters, longest first (every name has two or more)."""
    out: dict[str, list[str]] = {}
    for name in _division_names():
        out.setdefault(name[:2], []).append(name)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in out.items()}


@cache
def _bigram_heads() -> re.Pattern[str]:
    """A character that opens some division name, followed by one that can be its second: the
    regex engine skips the rest of the text, the dict probe then decides."""
    index = _divisions_by_bigram()
    firsts = "".join(sorted({k[0] for k in index}))
    seconds = "".join(sorted({k[1] for k in index}))
    return re.compile(f"[{re.escape(firsts)}](?=[{re.escape(seconds)}])")


def _division_spans(text: str) -> list[tuple[int, int]]:
    """Leftmost-longest, non-overlapping division names in ``text``.

    Candidate starts are the positions whose two characters begin some name: one dict probe
    per character, several times faster than a regex alternation over thousands of names.

    >>> t = "洛阳市老城区和洛阳"
    >>> [t[a:b] for a, b in _division_spans(t)]
    ['洛阳市', '老城区', '洛阳']
    """
    index = _divisions_by_bigram()
    out: list[tuple[int, int]] = []
    last = 0
    for hit in _bigram_heads().finditer(text):
        i = hit.start()
        if i < last or text[i : i + 2] not in index:
            continue
        for name in index[text[i : i + 2]]:
            if text.startswith(name, i):
                last = i + len(name)
                out.append((i, last))
                break
    return out


@cache
def _province_pattern() -> re.Pattern[str]:
    names = {n for d in admin_divisions() if d.level == "province" for n in (d.name, d.short) if len(n) >= 2}
    return re.compile("|".join(sorted(map(re.escape, names), key=lambda n: (-len(n), n))))


@cache
def _policy_aliases() -> tuple[tuple[str, str], ...]:
    """(alias, thesaurus id), longest first."""
    out = {}
    for p in policies():
        for alias in (p.zh, *p.zh_aliases):
            alias = alias.strip('“”"')
            if len(alias) >= 2:
                out.setdefault(alias, p.id)
    return tuple(sorted(out.items(), key=lambda kv: (-len(kv[0]), kv[0])))


@cache
def _suffix_pattern(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    """Longest suffix first; a short 一中/二中 never eats the 中 of 第二中学."""
    alts = [re.escape(x) + ("(?!学)" if x in ("一中", "二中") else "") for x in sorted(suffixes, key=len, reverse=True)]
    return re.compile("|".join(alts))


# ----------------------------------------------------------------------------- working state


@dataclass
class _Doc:
    article: Article
    text: str  # the body: text[:body_end]
    sentences: tuple[Span, ...]
    mentions: list[Mention] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    divisions: dict[tuple[int, int], Division] = field(default_factory=dict)
    main: Mention | None = None
    main_city: Mention | None = None
    _by_kind: dict[tuple[str, ...], list] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)
    _breaks: list[int] | None = None
    _cover: tuple[int, list[int], list[int]] | None = None

    def add(self, start: int, end: int, kind: str, *hints: tuple[str, str]) -> Mention:
        m = Mention(Span(start, end), self.text[start:end], kind, tuple(hints))
        self.mentions.append(m)
        area = kind in ("District", "City")
        stale = [k for k in self._by_kind if kind in k or (area and k in (("areas",), ("area-starts",)))]
        for k in stale:
            del self._by_kind[k]
        return m

    def fact(self, subject: Mention, predicate: str, obj: Mention, evidence: Span) -> None:
        if subject.surface != obj.surface or subject.kind != obj.kind:
            self.facts.append(Fact(subject, predicate, obj, evidence))

    def clause(self, start: int, end: int | None = None) -> Span:
        """The comma-delimited clause around ``[start, end)``."""
        end = start if end is None else end
        text = self.text
        if self._breaks is None:
            self._breaks = [m.start() for m in CLAUSE_BREAK.finditer(text)]
        i = bisect_left(self._breaks, start) - 1  # the last break before start
        a = start if start <= 0 else self._breaks[i] + 1 if i >= 0 else 0
        j = bisect_left(self._breaks, end)  # the first break at or after end
        b = self._breaks[j] if j < len(self._breaks) else max(end, len(text))
        while a < b and text[a].isspace():
            a += 1
        return Span(a, b)

    def sentence(self, offset: int) -> Span:
        if not self._starts:
            self._starts = [s.start for s in self.sentences]
        i = bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.sentences[i].end:
            return self.sentences[i]
        return self.clause(offset)

    def areas(self) -> list[Mention]:
        """City and District mentions by position, the longer first where two start together."""
        found = self._by_kind.get(("areas",))
        if found is None:
            by_pos = sorted(self.of_kind("District", "City"), key=lambda m: (m.span.start, -m.span.end))
            found = self._by_kind[("areas",)] = by_pos
        return found

    def covered(self, start: int, end: int) -> bool:
        """Whether some mention spans ``[start, end)``: the furthest end among those starting by ``start``."""
        if self._cover is None or self._cover[0] != len(self.mentions):
            spans = sorted((m.span.start, m.span.end) for m in self.mentions)
            self._cover = (len(self.mentions), [s for s, _ in spans], list(accumulate((e for _, e in spans), max)))
        _, starts, reach = self._cover
        i = bisect_right(starts, start)
        return i > 0 and reach[i - 1] >= end

    def area_starts(self) -> list[int]:
        """Start offsets of :meth:`areas`, for bisecting."""
        found = self._by_kind.get(("area-starts",))
        if found is None:
            found = self._by_kind[("area-starts",)] = [m.span.start for m in self.areas()]
        return found

    def starts_of(self, *kinds: str) -> list[int]:
        """Start offsets of :meth:`of_kind` (same order), for bisecting."""
        key = ("starts", *kinds)
        found = self._by_kind.get(key)
        if found is None:
            found = self._by_kind[key] = [m.span.start for m in self.of_kind(*kinds)]
        return found

    def of_kind(self, *kinds: str) -> list[Mention]:
        """Mentions of these kinds by position (cached until a mention of one of them is added; do not mutate)."""
        found = self._by_kind.get(kinds)
        if found is None:
            found = self._by_kind[kinds] = sorted(
                (m for m in self.mentions if m.kind in kinds), key=lambda m: (m.span.start, m.span.end)
            )  # the order of Span, without its Python-level comparisons
        return found


class ZhExtractor:
    """Rules for Chinese articles (the :class:`~kg.extract.base.Extractor` protocol)."""

    lang = "zh"

    def extract(self, article: Article, sentences: tuple[Span, ...] | None = None) -> Extraction:
        """Read mentions, facts and figures out of the article body."""
        end = article.body_end if article.body_end is not None else len(article.text)
        body = article.text[:end]
        if sentences is None:
            from ..segment import split_sentences

            sentences = split_sentences(article.text, "zh", end=end)
        doc = _Doc(article, body, tuple(sentences))
        _find_areas(doc)
        _find_bodies(doc)
        _find_schools_and_groups(doc)
        _find_policies(doc)
        _find_people(doc)
        _choose_main_area(doc)
        _relate_areas(doc)
        _relate_groups(doc)
        _relate_policies(doc)
        _find_figures(doc)
        facts = tuple(
            {
                (f.subject.surface, f.subject.kind, f.predicate, f.object.surface): f for f in reversed(doc.facts)
            }.values()
        )[::-1]
        return Extraction(
            article=article,
            sentences=tuple(sentences),
            mentions=dedupe_mentions(doc.mentions),
            facts=facts,
            observations=tuple(doc.observations),
            warnings=tuple(doc.warnings),
        )


# ----------------------------------------------------------------------------- areas


def _find_areas(doc: _Doc) -> None:
    """Cities and county-level areas from the national codes, plus "X新区"-style zones."""
    found: list[tuple[int, int, tuple[Division, ...]]] = []
    for start, end in _division_spans(doc.text):
        if _inside_word(doc.text, start, end):
            continue
        found.append((start, end, divisions_by_name(doc.text[start:end])))
    cities = {d.code for _, _, ds in found for d in ds if d.level == "city" and len(ds) == 1}
    for start, end, cands in found:
        d = _pick_division(cands, cities)
        if d is None:
            continue
        if len(cands) > 1:
            doc.warnings.append(f"ambiguous area {doc.text[start:end]!r}: chose {d.code}")
        kind = "City" if d.level == "city" else "District"
        hints = [("adminCode", d.code), ("city" if kind == "City" else "district", d.name)]
        if kind == "District" and d.parent and (parent := _division_by_code(d.parent)):
            hints.append(("city", parent.name))
        doc.add(start, end, kind, *hints)
        doc.divisions[(start, end)] = d
    for m in re.finditer(r"新区|高新区|经开区|开发区|示范区", doc.text):
        _add_new_area(doc, m.start(), m.end())


def _add_new_area(doc: _Doc, start: int, end: int) -> None:
    """郑东新区 / 兰州新区 / 郑州高新区: two name characters, or the city named right before."""
    if any(mm.span.start <= start < mm.span.end for mm in doc.mentions if mm.kind == "District"):
        return
    city = next((mm for mm in doc.mentions if mm.span.end == start and mm.kind == "City"), None)
    if city is not None:
        head_start = city.span.start
    else:
        head_start = start - 2
        head = doc.text[max(0, head_start) : start]
        if head_start < 0 or not re.fullmatch(rf"[{_CJK}]{{2}}", head) or set(head) & FUNCTION_CHARS:
            return
        if head in GENERIC or head in STOP or any(head.startswith(w) or head.endswith(w) for w in NEW_AREA_STOP):
            return
        if head[-1] in "学校年期园届" or _pos_tokenizer().word_tag_tab.get(head, "n")[:1] in "mtvdrq":
            return  # 实验小学|新区教育集团, 近三年|新区累计: the tail of another word, not a zone's name
        city = next((mm for mm in doc.mentions if mm.span.end == head_start and mm.kind == "City"), None)
    hints = [("district", doc.text[head_start:end])]
    if city is not None:
        hints.append(("city", city.hint("city") or city.surface))
    doc.add(head_start, end, "District", *hints)


def _inside_word(text: str, start: int, end: int) -> bool:
    """A short city name glued into a longer word (洛阳 in 洛阳铲 is still fine; 长治 in 长治久安 is not)."""
    name = text[start:end]
    if name.endswith(("市", "区", "县", "旗")):
        return False
    after = text[end : end + 4]
    return bool(_GLUED_AFTER_AREA.match(after))


_GLUED_AFTER_AREA = re.compile(
    r"久安|山区|路|街|大道|南路|北路|东路|西路"
    r"|道(?:[小中]学|幼儿园|学校|街|社区|[0-9]+号)"  # 上海道小学: a road (天津 roads are 道)
    r"|(?:师范|理工|科技|交通|工业|农业|医科|财经|外国语|体育|艺术)?(?:大学|学院)"  # 北京师范大学: an institution
)


@cache
def _division_by_code(code: str) -> Division | None:
    return _divisions_by_code().get(code)


@cache
def _divisions_by_code() -> dict[str, Division]:
    return {d.code: d for d in admin_divisions()}


def _pick_division(cands: tuple[Division, ...], cities: set[str]) -> Division | None:
    if not cands:
        return None
    cands = tuple(d for d in cands if d.level != "province") or cands
    for d in cands:
        if d.parent in cities or d.code in cities:
            return d
    return sorted(cands, key=lambda d: (d.level != "city", d.code))[0]


def _choose_main_area(doc: _Doc) -> None:
    """The district (else city) the article is mostly about: title and first mentions weigh more."""
    counts: Counter[str] = Counter()
    first: dict[str, Mention] = {}
    title = doc.article.title
    for m in doc.of_kind("District", "City"):
        counts[m.surface] += 3 if m.kind == "District" else 2
        if title and m.surface in title:
            counts[m.surface] += 2
        first.setdefault(m.surface, m)
    if counts:
        best = max(counts, key=lambda s: (counts[s], -first[s].span.start))
        doc.main = first[best]
    cities = [m for m in doc.of_kind("City")]
    if cities:
        cc = Counter(m.hint("adminCode") for m in cities)
        code = max(cc, key=lambda c: (cc[c], -min(m.span.start for m in cities if m.hint("adminCode") == c)))
        doc.main_city = next(m for m in cities if m.hint("adminCode") == code)


def _area_of_name(doc: _Doc, start: int, end: int) -> Mention | None:
    """The area a name starts with (its district prefix), if any."""
    areas, starts = doc.of_kind("District", "City"), doc.starts_of("District", "City")
    inner = [m for m in areas[bisect_left(starts, start) : bisect_right(starts, end)] if m.span.end <= end]
    if not inner:
        return None
    best = max(inner, key=lambda m: (m.kind == "District", m.span.start))
    return _district_by_short(doc, best) or best if best.kind == "City" else best


def _district_by_short(doc: _Doc, city: Mention) -> Mention | None:
    """济南市|历下|实验中学: a district of the city named by its short form right after the city."""
    key = ("district-by-short", "District")  # dropped whenever a District is added
    by_city = doc._by_kind.get(key)
    if by_city is None:  # the districts of each city hint with their short names, in mention order
        by_city = doc._by_kind[key] = {}
        for d in doc.of_kind("District"):
            if len(short := _short(d.surface)) >= 2:
                by_city.setdefault(d.hint("city"), []).append((short, d))
    text, end = doc.text, city.span.end
    return next((d for short, d in by_city.get(city.hint("city"), ()) if text.startswith(short, end)), None)


def _relate_areas(doc: _Doc) -> None:
    """Districts are located in the city they belong to, when that city is named in the article."""
    cities = {m.hint("adminCode"): m for m in doc.of_kind("City")}
    done = set()
    for m in doc.of_kind("District"):
        parent = _division_by_code(_code_parent(m.hint("adminCode"))) if m.hint("adminCode") else None
        city = cities.get(parent.code) if parent else None
        if city is None and m.hint("city"):
            city = next((c for c in doc.of_kind("City") if c.surface in (m.hint("city"), _short(m.hint("city")))), None)
        if city and m.surface not in done:
            done.add(m.surface)
            doc.fact(m, "locatedIn", city, _evidence(doc, city, m))


def _code_parent(code: str | None) -> str:
    d = _division_by_code(code) if code else None
    return d.parent if d and d.parent else ""


@lru_cache(maxsize=1 << 12)
def _short(name: str) -> str:
    return re.sub(r"(市|区|县)$", "", name)


def _evidence(doc: _Doc, a: Mention, b: Mention) -> Span:
    """The sentence holding both mentions when they share one, else the later mention's clause."""
    sa, sb = doc.sentence(a.span.start), doc.sentence(b.span.start)
    if sa == sb:
        return sa
    if abs(a.span.start - b.span.end) < 40 or abs(b.span.start - a.span.end) < 40:
        return Span(min(a.span.start, b.span.start), max(a.span.end, b.span.end))
    later = a if a.span.start > b.span.start else b
    return doc.clause(later.span.start, later.span.end)


# ----------------------------------------------------------------------------- government bodies


def _find_bodies(doc: _Doc) -> None:
    """X教育局 / X人民政府 / 市委 / 教育部 ...: a body named by its area and an organisation suffix."""
    text = doc.text
    areas = {m.span.end: m for m in doc.of_kind("District", "City")}
    for m in _suffix_pattern(BODY_SUFFIXES).finditer(text):
        start, end = m.start(), m.end()
        area = areas.get(start)
        if area is not None:
            doc.add(_name_head(doc, area), end, "GovernmentBody", ("area", area.surface))
            continue
        prefix = text[start - 1 : start] if start else ""
        if (
            prefix in ABBREV_BODIES
            and not re.match(rf"[{_CJK}]", text[start - 2 : start - 1] or " ")
            or (prefix in ABBREV_BODIES and text[start - 2 : start - 1] in "、，,（(“ \n")
        ):
            doc.add(start - 1, end, "GovernmentBody", ("abbrev", ABBREV_BODIES[prefix]))
        elif m.group() in ("区委", "县委", "市委") and (start == 0 or text[start - 1] in "、，,（(“ \n在和与。；;！？"):
            doc.add(start, end, "GovernmentBody", ("abbrev", ABBREV_BODIES[m.group()[0]]))
    for name in STANDALONE_BODIES:
        for m in re.finditer(re.escape(name) + "(?!门)", text):  # 教育部门 is any education authority
            doc.add(m.start(), m.end(), "GovernmentBody")
    for m in re.finditer(r"(省)(教育厅|人民政府|政府)", text):
        prov = _province_pattern().search(text, max(0, m.start() - 3), m.start() + 1)
        start = prov.start() if prov and prov.end() == m.end(1) else m.start()
        doc.add(start, m.end(), "GovernmentBody")


def _name_head(doc: _Doc, area: Mention) -> int:
    """Where a name opening with ``area`` starts: the city and province named right before it count too.

    赣州市|章贡区|教育局 and 贵州|贵安新区|党工委 are written whole; the area stays the district's.
    """
    start = area.span.start
    city = next((c for c in doc.of_kind("City") if c.span.end == start), None)
    if city is not None and area.kind == "District" and area.hint("city") == city.hint("city"):
        start = city.span.start
    prov = _province_pattern().search(doc.text, max(0, start - 3), start)
    if prov is not None and prov.end() == start:
        start = prov.start()
    return start


# ----------------------------------------------------------------------------- schools and groups


def _find_schools_and_groups(doc: _Doc) -> None:
    text = doc.text
    taken: list[tuple[int, int]] = []
    for m in _suffix_pattern(GROUP_SUFFIXES).finditer(text):
        start = _name_start(doc, m.start(), taken)
        if start is None:
            continue
        core = text[start : m.start()]
        if m.group() == "集团" and not core.endswith(SCHOOL_SUFFIXES):
            continue
        if not _is_named(doc, start, m.start()):
            continue
        group = doc.add(start, m.end(), "EducationGroup")
        taken.append((start, m.end()))
        school_end = m.start()
        if core.endswith(SCHOOL_SUFFIXES) and _is_named(doc, start, school_end, school=True):
            doc.add(start, school_end, "School", ("inGroupName", group.surface))
    for m in _suffix_pattern(SCHOOL_SUFFIXES).finditer(text):
        end = m.end()
        if any(a <= m.start() and end <= b for a, b in taken):
            continue
        if text[end : end + 1] in ("生", "段", "部", "化", "阶") or text[end : end + 2] in (
            "教育",
            "阶段",
            "学段",
            "教师",
            "老师",
        ):
            continue  # 小学生, 初中学段, 学校教育 ... are not names
        start = _name_start(doc, m.start(), taken)
        camp = CAMPUS.match(text, end)
        if camp and (set(camp.group(1)) & FUNCTION_CHARS or camp.group(1) in GENERIC or len(camp.group(1)) < 2):
            camp = None
        named = start is not None and _is_named(doc, start, m.start(), school=True)
        if start is None or not (named or camp and _is_proper_core(doc, start, m.start())):
            continue
        if camp:
            doc.add(start, camp.end(), "School", ("campusOf", text[start:end]))
        doc.add(start, end, "School")
        taken.append((start, end))
    _find_bare_branches(doc)


_BARE_BRANCH = re.compile(
    rf"(?<=[、，,：:（(和与及])([{_CJK}]{{2,4}})(?:分校|校区|分园)(?=[、，,。；;和与及）)为等]|$)"
)


def _find_bare_branches(doc: _Doc) -> None:
    """后溪分校、灌口分校为分校: branches named by their place alone, in a sentence about a group's 总校/分校."""
    text = doc.text
    if "分校" not in text and "校区" not in text and "分园" not in text:
        return
    for m in _BARE_BRANCH.finditer(text):
        core = m.group(1)
        if doc.covered(m.start(), m.end()) or core in GENERIC or core in DESCRIPTIVE or set(core) & FUNCTION_CHARS:
            continue
        if any(w.word in STOP or w.flag[:1] in "mrdpcuq" or w.flag == "v" or w.word in GENERIC for w in _cut(core)):
            continue
        sent = doc.sentence(m.start())
        if "总校" not in text[sent.start : sent.end] and not any(
            sent.start <= g.span.start < sent.end for g in doc.of_kind("EducationGroup")
        ):
            continue
        doc.add(m.start(), m.end(), "School")


def _name_start(doc: _Doc, suffix_start: int, taken: list[tuple[int, int]]) -> int | None:
    """Walk left from a suffix over name-like words; None when nothing name-like precedes it."""
    text = doc.text
    # up to 24 characters back, stopping after a clause break, quote, bracket, space or 、
    lo = _NAME_WINDOW.match(text, max(0, suffix_start - 24), suffix_start).end()
    if lo == suffix_start:
        return suffix_start
    pos = suffix_start
    anchor: int | None = -1  # -1: not looked for yet (most names never need it)
    for word, flag in reversed(_name_words(doc, lo, suffix_start)):
        left = text[lo : pos - len(word)]
        if _road_or_ordinal(word, left):
            pos -= len(word)
            continue
        if word.startswith(MEASURE_CHARS) and re.search(rf"[{_NUMERAL}多余]$", left):
            pos -= len(word) - 1  # 137|所中|小学: the measure word of a count, not a name
            break
        if word in STOP or _is_stop_flag(word, flag):
            if anchor == -1 and word not in STOP:
                anchor = _area_anchor(doc, lo, suffix_start)
            if anchor is None or anchor == -1 or pos - len(word) < anchor:
                break
            pos -= len(word)
            continue
        if len(word) > 1 and word[0] in "和与及或" and word[:2] not in _known_words_with_function_head():
            if left.endswith((*SCHOOL_SUFFIXES, "校区", "分校", "分园")) or not left:
                pos -= len(word) - 1  # 丹溪校区|和义亭|镇第二小学: jieba glued the conjunction on
                break
        if any(a < pos <= b for a, b in taken) and not _is_area_at(doc, pos - len(word), pos):
            break
        pos -= len(word)
    pos = _strip_function_prefix(doc, pos, suffix_start)
    return pos


_NAME_WINDOW = re.compile(r'(?s:.*[，,；;。！？!?：:\n“”"《》（）() 、])?')  # up to the last stop character
MEASURE_CHARS = ("所", "个", "家", "座", "名")
_SCHOOL_TAILS = tuple(sorted(SCHOOL_SUFFIXES, key=len, reverse=True))
_ANCHOR_HEAD = "也还都均已再又就才仍共全各每该本其这那所个"


def _area_anchor(doc: _Doc, lo: int, suffix_start: int) -> int | None:
    """Where a short core right after an area mention starts (瑞金市|红都|实验学校), else None.

    jieba may cut such a core into odd pieces (红/a 都/d); two to four characters glued to an
    area and to a suffix, none of them a function word, a verb or a number, are a proper name.
    """
    starts = doc.area_starts()
    hi = bisect_left(starts, suffix_start)
    for a in doc.areas()[max(bisect_left(starts, lo), hi - 3) : hi]:  # only the last few can be glued on
        gap = suffix_start - a.span.end
        if gap < 2 or gap > 13:
            continue
        core = doc.text[a.span.end : suffix_start]
        if gap > 4:  # 红都|实验学校|教育集团: the school's own suffix is no part of the core
            core = core[: gap - len(next((t for t in _SCHOOL_TAILS if core.endswith(t)), ""))]
            if not 2 <= len(core) <= 4:
                continue
        if core[0] in _ANCHOR_HEAD or set(core) & FUNCTION_CHARS or not re.fullmatch(rf"[{_CJK}]+", core):
            continue
        words = _cut(core)
        if any(
            w.word in STOP or w.word in DESCRIPTIVE or w.flag == "m" or (w.flag.startswith("v") and len(w.word) > 1)
            for w in words
        ) or all(w.word in GENERIC for w in words):
            continue
        return a.span.end
    return None


def _name_words(doc: _Doc, lo: int, hi: int) -> list[_W]:
    """(word, flag) of ``text[lo:hi]``, area mentions kept whole (肇庆新区|长利, not 新|区长|利)."""
    out: list[_W] = []
    pos = lo
    areas = doc.areas()
    for a in areas[bisect_left(doc.area_starts(), lo) :]:
        if a.span.start >= hi:
            break
        if a.span.start >= pos and a.span.end <= hi:
            out += _cut(doc.text[pos : a.span.start])
            out.append(_W(a.surface, AREA_FLAG))
            pos = a.span.end
    out += _cut(doc.text[pos:hi])
    return out


class _W(NamedTuple):
    word: str
    flag: str


AREA_FLAG = "ns-area"  # an area mention among name words (jieba's own ns words, 云|石山乡, are proper words)


@lru_cache(maxsize=1 << 16)
def _cut(text: str) -> tuple[_W, ...]:
    """jieba words with POS flags, memoised: name windows and measure phrases repeat across articles."""
    return tuple(_W(w.word, w.flag) for w in _pos_tokenizer().cut(text)) if text else ()


_NUMERAL = "零〇一二两三四五六七八九十百0-9"


def _road_or_ordinal(word: str, left: str) -> bool:
    """Road names (纬五路) and split ordinals (第七|十六) are part of a name whatever jieba tags them."""
    if not FUNCTION_CHARS.isdisjoint(word):
        return False
    if word.endswith(("路", "街", "巷", "大道")) and len(word) >= 2:
        return True
    if word in ("道", "路", "街", "巷") and re.search(rf"[{_CJK}]$", left) and left[-1] not in _NUMERAL + "每各这该":
        return True  # 上海|道|小学: jieba reads the road character as a measure word
    return bool(_NUMERAL_RUN.fullmatch(word) and _ORDINAL_OPEN.search(left))


_NUMERAL_RUN = re.compile(rf"[{_NUMERAL}]+")
_ORDINAL_OPEN = re.compile(rf"第[{_NUMERAL}]*$")
_ORDINAL_WORD = re.compile(r"第[零〇一二两三四五六七八九十百0-9]+")
_NUMBER_WORD = re.compile(r"[0-9.%]+")
_STOP_FLAGS = frozenset(("x", "p", "c", "u", "uj", "ul", "r", "d", "q", "y", "e", "o", "zg", "ud", "uz", "ug", "uv"))
_GLUE_CHARS = frozenset(FUNCTION_CHARS - set("和与同及以为由在将对向从有等"))


def _is_stop_flag(word: str, flag: str) -> bool:
    if _ORDINAL_WORD.fullmatch(word):
        return False
    if flag in _STOP_FLAGS:
        return True
    if flag == "m" or _NUMBER_WORD.fullmatch(word):
        return True
    if flag.startswith("v") and flag != "vn" and word not in ("实验",) and len(word) >= 2:
        return True
    return not _GLUE_CHARS.isdisjoint(word)


def _strip_function_prefix(doc: _Doc, pos: int, suffix_start: int) -> int:
    """Drop a leading 以/为/由/和/与 ... that jieba glued onto the name."""
    text = doc.text
    while pos < suffix_start and text[pos] in "以为由和与及同跟在将把对向从被让使是有等或并即至其该这各每":
        if _is_area_at(doc, pos, suffix_start) or text[pos : pos + 2] in _known_words_with_function_head():
            break
        pos += 1
    return pos


@cache
def _known_words_with_function_head() -> frozenset[str]:
    return frozenset(
        {
            "和平",
            "同心",
            "向阳",
            "至善",
            "育才",
            "以琳",
            "由义",
            "为民",
            "有为",
            "和美",
            "和谐",
            "和顺",
            "同济",
            "同德",
            "同安",
            "向东",
        }
    )


def _is_area_at(doc: _Doc, start: int, end: int) -> bool:
    return any(m.span.start == start and m.span.end <= end for m in doc.of_kind("District", "City"))


def _is_proper_core(doc: _Doc, start: int, suffix_start: int) -> bool:
    """A core of two characters or more that is no descriptive word (育才|小学|汉口花园分校)."""
    core = doc.text[start:suffix_start]
    return len(core) >= 2 and core not in GENERIC and core not in DESCRIPTIVE and not set(core) & FUNCTION_CHARS


_GENERIC_BESIDE_AREA = GENERIC - {"民族", "实验", "外国语", "附属"}  # 区|实验|小学 is a name


def _is_named(doc: _Doc, start: int, suffix_start: int, *, school: bool = False) -> bool:
    """A name, not a description: an area prefix, an ordinal, a place word or a proper word before the suffix."""
    core = doc.text[start:suffix_start]
    if not core:
        return False
    if _area_of_name(doc, start, suffix_start) is not None:
        rest = [w for w, f in _name_words(doc, start, suffix_start) if f != AREA_FLAG or w in DESCRIPTIVE]
        return not rest or not all(w in DESCRIPTIVE or w in _GENERIC_BESIDE_AREA for w in rest)
    if re.search(r"第[零〇一二两三四五六七八九十百0-9]+", core):
        return True
    if re.fullmatch(r"[市区县省]", core) or re.search(r"[0-9%]", core):
        return False
    words = [w for w in _cut(core) if w.word.strip()]
    proper = [
        w
        for w in words
        if w.word not in GENERIC and w.word not in DESCRIPTIVE and not re.fullmatch(r"[市区县省镇乡村]", w.word)
    ]
    if not proper:
        return False
    if school and re.search(r"(?:中学|小学|学校|幼儿园)$", core):
        return True  # 济源路小学 + 分校 ...
    freq = _tokenizer().FREQ
    for w in proper:
        if w.flag.startswith(("nr", "ns", "nz", "nt")) or w.flag in ("j", "eng"):
            return True
        if len(w.word) >= 2 and (not freq.get(w.word) or PLACE_WORD.search(w.word)):
            return True
    joined = "".join(w.word for w in proper)
    return len(joined) >= 2 and bool(PLACE_WORD.search(joined)) and not any(w.word in GENERIC for w in words[-1:])


# ----------------------------------------------------------------------------- policies


def _find_policies(doc: _Doc) -> None:
    text = doc.text
    seen: list[tuple[int, int]] = []
    for m in _QUOTED_POLICY.finditer(text):  # “家校社协同育人‘携手’计划” is a plan of its own, not 家校社协同育人
        inner = m.group(1)
        if not m.group(2) and inner.endswith(_PLAN_SUFFIXES) and not set(inner) & set("、，,。"):
            if any(alias in inner and alias != inner for alias, _ in _policy_aliases()):
                doc.add(m.start(1), m.end(1), "Policy", ("quoted", inner))
                seen.append((m.start(), m.end()))
    for alias, pid in _policy_aliases():
        if alias not in text:
            continue
        for s in _occurrences(text, alias):
            if any(a <= s < b for a, b in seen):
                continue
            e = s + len(alias)
            if text[s - 1 : s] == "“" and text[e : e + 1] == "”":
                pass
            doc.add(s, e, "Policy", ("canonical", pid))
            seen.append((s, e))
    for m in _QUOTED_POLICY.finditer(text):
        if any(a <= m.start(1) < b for a, b in seen):
            continue
        inner, tail = m.group(1), m.group(2) or ""
        if set(inner) & set("、，,") or re.match(rf"[{_NUMERAL}]+[种项类个大条]", tail):
            continue  # “融合型、共建型、协作型”三种模式: a list of kinds, not one policy
        if tail:
            doc.add(m.start(), m.end(), "Policy", ("quoted", inner))
        elif inner.endswith(POLICY_SUFFIXES) and len(inner) >= 3 and not set(inner) & set("，,。、"):
            doc.add(m.start(1), m.end(1), "Policy", ("quoted", inner))
        else:
            continue
        seen.append((m.start(), m.end()))
    for m in _DOC_TITLE.finditer(text):
        if not any(a <= m.start(1) < b for a, b in seen):
            doc.add(m.start(1), m.end(1), "Policy", ("document", "true"))
            seen.append((m.start(), m.end()))


_PLAN_SUFFIXES = ("计划", "工程", "行动", "方案", "体系", "模式", "机制", "项目")


def _occurrences(text: str, word: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``word``, left to right (like ``re.finditer``).

    >>> _occurrences("双减双减，双减", "双减")
    [0, 2, 5]
    """
    out: list[int] = []
    i = text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + max(len(word), 1))
    return out


_QUOTED_POLICY = re.compile(
    rf"“([^“”\n]{{1,16}})”([{_CJK}0-9+]{{0,10}}(?:{'|'.join(sorted(POLICY_SUFFIXES, key=len, reverse=True))}))?"
)
_DOC_TITLE = re.compile(rf"《([^《》\n]{{4,60}}(?:{'|'.join(DOC_SUFFIXES)}))》")


def _relate_policies(doc: _Doc) -> None:
    """The area (or the group/school the clause is about) implements each policy it names."""
    done: set[tuple[str, str]] = set()
    for p in doc.of_kind("Policy"):
        subject = _clause_subject(doc, p) or doc.main
        if subject is None:
            continue
        key = (subject.surface, p.hint("canonical") or p.surface)
        if key in done:
            continue
        done.add(key)
        doc.fact(subject, "implements", p, doc.clause(p.span.start, p.span.end))


def _clause_subject(doc: _Doc, p: Mention) -> Mention | None:
    """A school or group that opens the sentence of ``p`` and precedes it."""
    sent = doc.sentence(p.span.start)
    cands = [m for m in doc.of_kind("School", "EducationGroup") if sent.start <= m.span.start < p.span.start]
    if not cands:
        return None
    clause = doc.clause(p.span.start, p.span.end)
    if _ADOPTS.match(doc.text, clause.start, p.span.start):  # 组建了X教育集团，……，实行“一长多校”管理
        groups = [g for g in cands if g.kind == "EducationGroup"]
        if len(groups) == 1 and _FORMED.search(doc.text, sent.start, groups[0].span.start):
            return groups[0]
    # the clause of the policy opens with a school or group (与A不同，B采取的是“…”模式 -> B), else the sentence does
    opening = [
        m
        for m in cands
        if m.span.start >= clause.start and _CLAUSE_OPEN.fullmatch(doc.text, clause.start, m.span.start)
    ] or [m for m in cands if m.span.start - sent.start <= 3]
    if opening:
        first = max(opening, key=lambda m: (m.kind == "EducationGroup", m.span.end))
        if not m_has_role(doc, first):
            return first
    return None


_ADOPTS = re.compile(r"(?:并|均|统一|全面)?(?:实行|实施|推行|采取|采用)[^，,。；;]{0,2}$")
_FORMED = re.compile(r"(?:新组建|组建|成立|新成立)了?$")
_CLAUSE_OPEN = re.compile(r"(?:其中|而|则|同时)?")


def m_has_role(doc: _Doc, m: Mention) -> bool:
    """A school or group followed by its role (A为牵头校, B（成员校）), not one that merely names a model."""
    return bool(_ROLE_AFTER.match(doc.text, m.span.end))


# ----------------------------------------------------------------------------- people


_NAME = re.compile(rf"[{_CJK}]{{2,3}}")


def _find_people(doc: _Doc) -> None:
    """Officials and bylines: a title (chain) followed by a personal name (jieba ``nr``)."""
    text = doc.text
    titles = "|".join(sorted(HEAD_TITLES + OTHER_TITLES, key=len, reverse=True))
    pattern = re.compile(rf"((?:(?:{titles})[、和及兼]?)+)\s*[:：]?\s*([{_CJK}]{{2,4}})")
    pos = 0
    while m := pattern.search(text, pos):
        name = _person_name(text[m.start(2) : m.start(2) + 7])
        pos = m.start(2) + len(name) if name else m.start() + 1
        if not name or any(b.span.start < m.start(1) < b.span.end for b in doc.of_kind("GovernmentBody")):
            continue
        start = m.start(2)
        person = doc.add(start, start + len(name), "Person", ("title", m.group(1).rstrip("、和及兼")))
        if any(t in m.group(1) for t in HEAD_TITLES):
            body = next(
                (
                    b
                    for b in doc.of_kind("GovernmentBody")
                    if b.span.end == m.start(1) or 0 <= m.start(1) - b.span.end <= 1
                ),
                None,
            )
            if body is not None:
                doc.fact(person, "heads", body, Span(body.span.start, person.span.end))


@cache
def _surnames() -> frozenset[str]:
    return frozenset(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石"
        "廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁"
        "岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
        "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛"
        "仲虞敖巩明佘池查麻苑迟邝"
    )


_AFTER_NAME = re.compile(
    r"(?:表示|介绍|指出|强调|说|认为|称|提出|要求|出席|主持|讲话|致辞|参加|一行|同志|带队|调研|接受|透露|谈到|坦言|告诉|解释|"
    r"在|对|向|就|等|[，,。：:（(、])"
)


_TITLE_AFTER_SURNAME = re.compile(
    r"(?:局长|校长|园长|院长|主任|书记|部长|厅长|处长|科长|市长|区长|县长|镇长|乡长|主席|老师|教师|教授|先生|女士|同志|同学|师傅)"
)


def _person_name(cand: str) -> str | None:
    """The personal name at the start of ``cand`` (surname + one or two characters).

    >>> _person_name("邓文华表示，"), _person_name("王丽表示"), _person_name("周明远介绍")
    ('邓文华', '王丽', '周明远')
    """
    if not cand or cand[0] not in _surnames() or _TITLE_AFTER_SURNAME.match(cand, 1):
        return None  # 刘局长 / 王老师: a surname and a title, the person named elsewhere
    for size in (3, 2):  # a speech verb right after settles the length (邓文华|表示, not 邓|文华|华表)
        name = cand[:size]
        if len(name) == size and _AFTER_NAME.match(cand, size) and re.fullmatch(rf"[{_CJK}]+", name):
            if not set(name) & FUNCTION_CHARS and name[1:] not in STOP:
                return name
    cand = cand[:4]
    words = _cut(cand)
    if words and words[0].flag.startswith("nr") and 2 <= len(words[0].word) <= 3:
        return words[0].word
    if not words or len(words[0].word) > 1:
        return None  # jieba knows the word: an ordinary word, not an unknown name
    head = words[0].word  # the surname alone; the given name is one or two characters
    for w in words[1:]:
        if len(head) + len(w.word) > 3 or w.word in FUNCTION_CHARS or w.flag[:1] in ("v", "p", "c", "u", "x", "d"):
            break
        if re.match(r"[说讲在对就为到来去等]", w.word):
            break
        head += w.word
    return head if len(head) >= 2 else None


# ----------------------------------------------------------------------------- groups


def _relate_groups(doc: _Doc) -> None:
    """Lead and member schools (牵头校/成员校/总校/分校), group names after their lead school, locations."""
    groups = doc.of_kind("EducationGroup")
    schools = doc.of_kind("School")
    for s in schools:
        if s.hint("inGroupName"):
            g = next(
                g for g in groups if g.surface == s.hint("inGroupName") and g.span.start <= s.span.start < g.span.end
            )
            doc.fact(g, "leadSchool", s, g.span)
            doc.fact(s, "memberOf", g, g.span)
    for s in schools:
        if s.hint("inGroupName") or _inside_campus(s, schools):
            continue
        role = _role_after(doc, s) or _role_before(doc, s)
        if role is None:
            continue
        g = _group_for(doc, s, groups, same_sentence_only=role.startswith(("campus", "local")))
        role = role.removeprefix("campus-").removeprefix("local-")
        if g is None:
            continue
        ev = _evidence(doc, s, g)
        if role == "lead":
            doc.fact(g, "leadSchool", s, ev)
        doc.fact(s, "memberOf", g, ev)
    _relate_locations(doc)


def _inside_campus(s: Mention, schools: list[Mention]) -> bool:
    """育才小学 inside 育才小学汉口花园分校: the campus carries the relations."""
    return any(c.span.start <= s.span.start and s.span.end < c.span.end for c in _campuses(schools))


def _campuses(schools: list[Mention]) -> list[Mention]:
    """The campus mentions (``campusOf``) among ``schools``, remembered for the last list asked about."""
    if _CAMPUS_MEMO[0] is not schools:
        _CAMPUS_MEMO[:] = [schools, [c for c in schools if c.hint("campusOf")]]
    return _CAMPUS_MEMO[1]


_CAMPUS_MEMO: list = [None, []]


def _role_after(doc: _Doc, s: Mention) -> str | None:
    """Role words after a school or after the enumeration it belongs to (A、B和C为成员校)."""
    text = doc.text
    pos = s.span.end
    schools, starts = doc.of_kind("School"), doc.starts_of("School")
    for _ in range(8):
        nxt = max(
            (m for m in schools[bisect_left(starts, pos) : bisect_left(starts, pos + 2)] if not m.hint("inGroupName")),
            key=lambda m: m.span.end,
            default=None,
        )
        if nxt is None or not _LIST_JOINT.fullmatch(text, pos, nxt.span.start):
            break
        pos = nxt.span.end
    after = text[pos : pos + 12]
    m = _ROLE_AFTER.match(after)
    if m:
        role = "lead" if m.group(1) in LEAD_WORDS else "member"
        return f"campus-{role}" if m.group(1) in ("总校", "分校") else role
    if _JOIN_AFTER.match(after):
        return "member"
    if _FORM_GROUP.match(text, pos, pos + 20):
        return "local-member"  # 与A、B组成紧密型教育集团: the group this sentence names
    if re.match(r"(?:牵头|领办|领衔)", after):
        return "lead"
    return None


_LIST_JOINT = re.compile(r"[、和与及]?")
_JOIN_AFTER = re.compile(r"(?:等\d*所学校)?(?:加入|加盟|并入|纳入)")
_FORM_GROUP = re.compile(r"(?:等\d*所学校)?(?:共同)?(?:组成|组建|结成)[^，,。；;]{0,8}(?:集团|联盟|共同体)")
_ROLE_AFTER = re.compile(
    r"(?:（|\()?(?:为|作为|任|是|担任|等为|等)?(?:集团|联盟|共同体)?(?:的)?("
    + "|".join(LEAD_WORDS + MEMBER_WORDS)
    + ")"
)


_ROLE_LIST_BEFORE = re.compile(r"(" + "|".join(LEAD_WORDS + MEMBER_WORDS) + r")(?:有|包括|为|是|：|:)[^。；;]*$")
_MEMBERS_BEFORE = re.compile(r"(?:由|吸纳|吸收|包括|涵盖|下辖|辖|包含|联合|携手)(?:[^。；;，,]*[、和与及])?$")


def _role_before(doc: _Doc, s: Mention) -> str | None:
    """Role words before a list (成员校有A、B; 以A为牵头校; 由A牵头)."""
    text = doc.text
    clause = doc.clause(s.span.start)
    before = text[clause.start : s.span.start]
    m = _ROLE_LIST_BEFORE.search(before)
    if m:
        return "lead" if m.group(1) in LEAD_WORDS else "member"
    if _MEMBERS_BEFORE.search(before) and any(
        g.span.start < s.span.start and doc.sentence(g.span.start) == doc.sentence(s.span.start)
        for g in doc.of_kind("EducationGroup")
    ):
        return "member"
    return None


def _group_for(doc: _Doc, s: Mention, groups: list[Mention], *, same_sentence_only: bool = False) -> Mention | None:
    """The group the sentence names (nearest, preferring one before), else the last group named before."""
    sent = doc.sentence(s.span.start)
    same = [g for g in groups if sent.start <= g.span.start < sent.end]
    if same:
        return min(same, key=lambda g: (abs(g.span.start - s.span.start), g.span.start))
    before = [g for g in groups if g.span.end <= s.span.start]
    if before and s.span.start - before[-1].span.end < 400 and not same_sentence_only:
        return before[-1]
    return None


def _relate_locations(doc: _Doc) -> None:
    """Schools, groups and bodies are located in (bodies govern) the area their name starts with, else the main one."""
    done: set[tuple[str, str, str]] = set()
    schools = doc.of_kind("School")
    for m in doc.of_kind("School", "EducationGroup", "GovernmentBody"):
        if m.kind == "School" and _inside_campus(m, schools):
            continue
        area = _area_of_name(doc, m.span.start, m.span.end)
        if m.kind == "GovernmentBody":
            if area is None and m.hint("abbrev"):
                area = doc.main_city if m.hint("abbrev") == "City" else doc.main
                if area is not None and area.kind != m.hint("abbrev"):
                    area = None if m.hint("abbrev") == "City" and doc.main_city is None else area
            if area is not None and (m.surface, "governs", area.surface) not in done:
                done.add((m.surface, "governs", area.surface))
                doc.fact(m, "governs", area, m.span if area.span.start >= m.span.start else _evidence(doc, m, area))
            continue
        if m.kind == "EducationGroup":
            continue
        area = area or doc.main
        if area is not None and (m.surface, "locatedIn", area.surface) not in done:
            done.add((m.surface, "locatedIn", area.surface))
            ev = m.span if m.span.start <= area.span.start < m.span.end else doc.clause(m.span.start, m.span.end)
            doc.fact(m, "locatedIn", area, ev)


# ----------------------------------------------------------------------------- figures


def _find_figures(doc: _Doc) -> None:
    """Every number with a unit: value, unit, what it measures, the area it is about, year, clause."""
    text = doc.text
    found = [
        (sent.start, n)
        for sent in doc.sentences
        if _NUMERAL_CHAR.search(text, sent.start, sent.end)  # no numeral character, no number
        for n in find_numbers(text[sent.start : sent.end], "zh", include_years=True)
    ]
    years = [(base + n.start, int(n.value)) for base, n in found if n.is_year]
    for base, n in found:
        if not n.is_year and (obs := _observation(doc, n, base, years)) is not None:
            doc.observations.append(obs)
    _drop_headline_repeats(doc)


def _drop_headline_repeats(doc: _Doc) -> None:
    """A figure of the headline that the body states again is one figure (the body's sentence kept)."""
    title = doc.article.title.strip()
    head_end = doc.text.find(title) + len(title) if title and title in doc.text[: len(title) + 40] else 0
    if not head_end:
        return
    body = [o for o in doc.observations if o.evidence.start >= head_end]

    def repeated(o: Observation) -> bool:
        return any(b.value == o.value and (b.unit == o.unit or "other" in (b.unit, o.unit)) for b in body)

    doc.observations[:] = [o for o in doc.observations if o.evidence.start >= head_end or not repeated(o)]


_NUMERAL_CHAR = re.compile(r"[0-9０-９零〇一二两三四五六七八九十]")


def _observation(doc: _Doc, n: NumberMatch, base: int, years: list[tuple[int, int]]) -> Observation | None:
    text = doc.text
    start, end = base + n.start, base + n.end
    if n.is_ordinal or doc.main is None or _inside_name_or_quote(doc, start, end):
        return None
    if n.text in ("一", "两") or re.search(r"[每届第]$", text[max(0, start - 1) : start]):
        return None
    unit, unit_end = _unit_after(text, end, n)
    if unit is None:
        return None
    if re.fullmatch(r"[一二两三四五六七八九十]", n.text) and text[end:unit_end] in ("个", "种", "项", "类", "大", "次"):
        return None  # 三个校区, 三种模式: counting words of the prose, not reported figures
    clause = doc.clause(start, unit_end)
    noun_after = _noun_after(text, unit_end, clause.end)
    noun_before = text[clause.start : start]
    measure = (noun_after or noun_before).strip()
    unit = _refine_unit(unit, text[end:unit_end], noun_after or noun_before)
    if unit in ("time",) and re.search(r"届|全会", text[max(0, start - 2) : unit_end + 2]):
        return None
    if not measure and unit in ("other", "time"):
        return None
    return Observation(
        about=doc.main,
        measure=_clean(measure) or text[start:unit_end],
        value=n.value,
        unit=unit,
        year=_year_at(start, years, doc.article),
        evidence=clause,
        approximate=n.approximate,
    )


def _inside_name_or_quote(doc: _Doc, start: int, end: int) -> bool:
    """Numbers inside a name (第七十六中学) or a quoted slogan (“五项管理”, “3+1”) are not figures."""
    if doc.covered(start, end):
        return True
    before = doc.text[max(0, start - 12) : start]
    return "“" in before and "”" not in before[before.rindex("“") :]


def _unit_after(text: str, end: int, n: NumberMatch) -> tuple[str | None, int]:
    """The measure word right after a number (2.3万个, 66所, 80.9%) and where it ends."""
    if n.is_percent:
        return "percent", end
    after = text[end : end + 5]
    m = re.match(r"\s*(?:多|余)?", after)
    skip = m.end() if m else 0
    shared = _COORDINATED.match(text, end)
    if shared and shared.group(1) in ("个百分点", "%", "％"):  # 2.1个和1.8个百分点: the unit both share
        return CLASSIFIERS[shared.group(1)], end + (1 if text[end] == "个" else 0)
    for word in _CLASSIFIERS_LONGEST_FIRST:
        if after[skip:].startswith(word):
            if word == "名" and re.match(r"名(?:校|师(?!生)|优|列|额|单|称|牌)", after[skip:]):
                return None, end
            if word == "位" and after[skip:].startswith("位一体"):
                return None, end  # 三位一体 is an idiom
            return CLASSIFIERS[word], end + skip + len(word)
    if (
        _SCORE.match(text, end)
        and n.text.isascii()
        and not re.search(r"[点时:：]$", text[max(0, end - len(n.text) - 1) : end - len(n.text)])
    ):
        return "other", end + 1  # 平均分提高了12.6分: score points
    return None, end


_COORDINATED = re.compile(r"个?(?:和|与|及|、|至|到|或|—|-|~|～)[0-9]+(?:\.[0-9]+)?(个百分点|%|％)")
_SCORE = re.compile(r"分(?:[，,。；;、）)]|$|以上|左右|的)")


_CLASSIFIERS_LONGEST_FIRST = tuple(sorted(CLASSIFIERS, key=len, reverse=True))


def _noun_after(text: str, start: int, stop: int) -> str:
    """The noun phrase after a measure word: 7所|现代化高中|如期建成 -> 现代化高中."""
    chunk = text[start:stop]
    if not chunk or not re.match(rf"[{_CJK}]", chunk):
        return ""
    words = _cut(chunk[:16])
    out = ""
    for w in words:
        nounish = w.flag.startswith(("n", "a", "b", "j", "l")) or w.flag in ("vn", "an", "s", "ng")
        if not nounish and (out or not w.flag.startswith("v")):
            break
        out += w.word
    return out


def _refine_unit(unit: str, classifier: str, noun: str) -> str:
    if unit in ("percent", "yuan", "square-metre", "mu", "percentage-point") or classifier == "分":
        return unit  # 学生平均分提高了8.5分 counts score points, not students
    ordered = [(w, u) for w, u in NOUN_UNITS if noun.endswith(w)] + list(NOUN_UNITS)
    for word, uid in ordered:
        if word in noun:
            if uid == "kindergarten" and re.search("中小学|小学|中学|学校", noun) and unit in ("school", "other"):
                return "school"  # 中小学、幼儿园152所 counts schools of every level
            if uid == "school" and unit not in ("school", "other"):
                continue
            if uid in ("student", "teacher") and unit not in ("person", "other"):
                continue
            return uid
    return unit


_MEASURE_HEAD = re.compile(
    r"^(?:(?:截至|截止|到)?(?:[0-9]{4}年(?:底|末|初|秋季|春季)?|今年|去年|目前|当前|现在|近[0-9一二三四五]年|全年|年内)"
    r"|全[市区县省]|[市区县]内|累计|共计|共有|共|有|已|其中|我[市区县]|该[市区县])+"
)
_MEASURE_TAIL = re.compile(r"(?:达到|达|为|超过|超|约|近|是|有|约为|已达|已经达到|提高到|提升至|增加到|增至|至|了)+$")


def _clean(measure: str) -> str:
    """The measured noun phrase without time words, totals and linking verbs around it."""
    measure = measure.strip(' ，,、：:“”"（）()')
    measure = _MEASURE_HEAD.sub("", measure)
    return _MEASURE_TAIL.sub("", measure).strip(" ，,、")


def _year_at(offset: int, years: list[tuple[int, int]], article: Article) -> int | None:
    """The year stated in the sentence, else the last stated before, else the article's (今年/去年 aware)."""
    before = [y for pos, y in years if pos <= offset]
    if before:
        return before[-1]
    if article.date and re.match(r"\d{4}", article.date):
        return int(article.date[:4])
    return None


def _clear_text_caches() -> None:
    """Forget the per-text memos (benchmarks clear them so a repeated corpus is not served from memory)."""
    from .. import numbers

    _cut.cache_clear()
    _pos_hmm_cut.cache_clear()
    numbers._parse_core.cache_clear()
