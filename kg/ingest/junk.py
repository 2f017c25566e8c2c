"""Where trailing site junk starts: general line rules, no per-site lists.

>>> text = "Title\\n\\nThe district education bureau opened three new schools this year.\\n\\n- END -\\n\\nOther news"
>>> text[find_body_end(text):]
'- END -\\n\\nOther news'
"""

from __future__ import annotations

import re

from .text import CJK, find_title, title_key

__all__ = ["find_body_end", "is_junk_line"]

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
    return len(line) + len(CJK.findall(line))


def _first_marker(lines: list[str], starts: list[int], after: int, title: str, size: int) -> int | None:
    key = title_key(title)
    for index in range(after + 1, len(lines)):
        line = lines[index].strip()
        if not line:
            continue
        if any(p.search(line) for p in _STRONG):
            return index
        if key and starts[index] >= size // 2 and title_key(line) == key:
            return index
    return None


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


def is_junk_line(line: str) -> bool:
    """True for a line that any junk rule matches ("Share", "(0)", "- END -", ...).

    >>> is_junk_line("Tags: schools"), is_junk_line("Schools opened.")
    (True, False)
    """
    line = line.strip()
    return any(p.search(line) for p in _STRONG + _WEAK)
