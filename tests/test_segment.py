from __future__ import annotations

import pytest

from kg.segment import split_sentences

# fmt: off
CASES = [
    ("en", "It grew.Three new schools", ["It grew.", "Three new schools"]),
    ("en", "at No.2 Primary School. Then", ["at No.2 Primary School.", "Then"]),
    ("en", "the No. 50 Middle School opened", ["the No. 50 Middle School opened"]),
    ("en", "rose 2.5 percent. Next", ["rose 2.5 percent.", "Next"]),
    ("en", "line one\nline two", ["line one", "line two"]),
    ("zh", "新建学校3所。新增学位2.3万个；完成", ["新建学校3所。", "新增学位2.3万个；", "完成"]),
]
# fmt: on


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_segment_split(lang, text, expected):
    assert [text[s.start : s.end] for s in split_sentences(text, lang)] == expected


def test_segment_end_cuts_body():
    text = "Body one. Body two. Junk"
    spans = split_sentences(text, "en", end=text.index("Junk"))
    assert [text[s.start : s.end] for s in spans] == ["Body one.", "Body two."]
