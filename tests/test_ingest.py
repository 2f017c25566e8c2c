"""Reading articles: encodings, formats, titles, dates, languages, trailing junk, bad input."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.ingest import (
    SUPPORTED_SUFFIXES,
    decode_bytes,
    detect_language,
    find_body_end,
    iter_input_files,
    parse_date,
    read_file,
)
from kg.model import Article

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
GOLD = REPO.parent / "shared" / "gold"
DATA = Path(__file__).resolve().parent / "data" / "ingest"

ZH_TEXT = (
    "洛阳市新建七所高中\n\n"
    "去年秋季开学,洛阳市7所现代化高中如期建成投用,新增学位1.2万个。"
    "全市教育系统坚持以学生为中心,落实立德树人根本任务,推进集团化办学。\n"
)
EN_TEXT = (
    "Yuelu District expands after-school services\n\n"
    "The Yuelu District Education Bureau said that all 120 primary schools now offer "
    "after-school services, reaching 95 percent of students.\n"
)


def read_one(path: Path, **kwargs) -> Article | InputError:
    items = list(read_file(path, **kwargs))
    assert len(items) == 1, items
    return items[0]


def read_article(path: Path) -> Article:
    item = read_one(path)
    assert isinstance(item, Article), item
    return item


def reason_of(path: Path, **kwargs) -> str:
    item = read_one(path, **kwargs)
    assert isinstance(item, InputError), item
    assert item.path == str(path)
    return item.reason


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seed_articles() -> dict[str, Article]:
    return {p.stem: read_article(p) for p in iter_input_files([SEEDS])}


@pytest.fixture(scope="module")
def gold() -> dict[str, dict]:
    if not GOLD.is_dir():
        pytest.skip("../shared/gold not present")
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLD.glob("*.json"))}


def test_ingest_seeds_language_title_date(seed_articles, gold):
    assert sorted(seed_articles) == sorted(gold)
    for stem, article in seed_articles.items():
        expected = gold[stem]
        assert article.id == stem
        assert article.source_file == expected["article"]
        assert (article.lang, article.title, article.date) == (
            expected["language"],
            expected["title"],
            expected["date"],
        )
        assert article.text == (SEEDS / expected["article"]).read_text(encoding="utf-8")
        assert article.content_hash.startswith("sha256:") and len(article.content_hash) == 7 + 64


def _line_offset(text: str, line: str) -> int:
    """Offset of the last line equal to ``line`` (junk sits at the end)."""
    offsets = [i for i, _ in _lines(text) if text[i:].split("\n", 1)[0].strip() == line.strip()]
    assert offsets, f"gold line not found: {line!r}"
    return offsets[-1]


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def test_ingest_seeds_body_end_matches_gold(seed_articles, gold):
    for stem, article in seed_articles.items():
        junk = gold[stem]["boilerplate_starts_at"]
        end = article.body_end
        if junk is None:
            # no junk, or the cut sits after the last real paragraph
            assert end is None or all(len(line.strip()) < 40 for _, line in _lines(article.text[end:])), stem
            continue
        expected = _line_offset(article.text, junk)
        assert end is not None, stem
        assert end <= expected, (stem, article.text[end : end + 80])
        # anything between our cut and gold's is marker lines only ("- END -"), never content
        gap = [line.strip() for _, line in _lines(article.text[end:expected]) if line.strip()]
        assert all(len(line) <= 20 for line in gap), (stem, gap)
        assert len(gap) <= 1, (stem, gap)


def test_ingest_seeds_deterministic(seed_articles, tmp_path):
    again = {p.stem: read_article(p) for p in iter_input_files([SEEDS])}
    assert again == seed_articles
    # the same bytes under another folder give the same id and hash
    copy = write(tmp_path, "000_bfbe8d358be20d2f.txt", (SEEDS / "000_bfbe8d358be20d2f.txt").read_bytes())
    assert read_article(copy).content_hash == seed_articles["000_bfbe8d358be20d2f"].content_hash
    # one changed character changes the hash, not the id
    changed = write(tmp_path, copy.name, copy.read_bytes().replace(b"Luoyang", b"Luoyang!", 1))
    article = read_article(changed)
    assert article.id == "000_bfbe8d358be20d2f"
    assert article.content_hash != seed_articles["000_bfbe8d358be20d2f"].content_hash


# --------------------------------------------------------------------------- files


def test_ingest_iter_input_files_sorted_recursive(tmp_path):
    for name in ("b.txt", "a.jsonl", "z/c.htm", "z/d.HTML", "notes.md", ".hidden/e.txt", "z/.f.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_input_files([tmp_path, tmp_path / "b.txt"])]
    assert found == ["a.jsonl", "b.txt", "z/c.htm", "z/d.HTML"]
    # a file named directly is yielded even when its type is unsupported; reading reports it
    named = list(iter_input_files([tmp_path / "notes.md"]))
    assert named == [tmp_path / "notes.md"]
    assert "unsupported file type" in reason_of(named[0])


def test_ingest_iter_input_files_missing_path_raises(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(iter_input_files([tmp_path / "nope"]))


def test_ingest_supported_suffixes():
    assert SUPPORTED_SUFFIXES == (".txt", ".html", ".htm", ".jsonl")


def test_ingest_unreadable_path_is_reported_not_raised(tmp_path):
    assert "cannot read" in reason_of(tmp_path / "vanished.txt")


def test_ingest_unsafe_stem_is_slugified(tmp_path):
    article = read_article(write(tmp_path, "教育 新闻 (1).txt", EN_TEXT))
    assert article.id == "jiaoyu-xinwen-1"
    assert article.source_file == "教育 新闻 (1).txt"


# --------------------------------------------------------------------------- encodings

# fmt: off
ENCODINGS = [
    ("utf-8", ZH_TEXT.encode("utf-8")),
    ("utf-8 BOM", ZH_TEXT.encode("utf-8-sig")),
    ("utf-16 BOM", ZH_TEXT.encode("utf-16")),
    ("utf-16-be BOM", b"\xfe\xff" + ZH_TEXT.encode("utf-16-be")),
    ("utf-32 BOM", ZH_TEXT.encode("utf-32")),
    ("gb18030", ZH_TEXT.encode("gb18030")),
    ("gbk", ZH_TEXT.encode("gbk")),
    ("crlf", ZH_TEXT.replace("\n", "\r\n").encode("utf-8")),
    ("utf-16 BOM en", EN_TEXT.encode("utf-16")),
]
# fmt: on


@pytest.mark.parametrize(("name", "data"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_ingest_encodings(tmp_path, name, data):
    article = read_article(write(tmp_path, "a.txt", data))
    expected = ZH_TEXT if "en" not in name.split() else EN_TEXT
    assert article.text == expected
    assert article.title == expected.split("\n", 1)[0]
    assert article.lang == ("en" if expected is EN_TEXT else "zh")


def test_ingest_gbk_html_and_jsonl(tmp_path):
    html = f"<html><head><title>洛阳市新建七所高中</title></head><body><p>{ZH_TEXT.split(chr(10))[2]}</p></body></html>"
    assert read_article(write(tmp_path, "a.html", html.encode("gbk"))).lang == "zh"
    line = json.dumps({"title": "t", "text": ZH_TEXT}, ensure_ascii=False) + "\n"
    assert read_article(write(tmp_path, "a.jsonl", line.encode("gb18030"))).text == ZH_TEXT


# fmt: off
BINARY = [
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4),
    ("random", bytes((i * 7919 + 13) % 256 for i in range(4096))),
    ("nul-text", b"Title\n\nSome text\x00\x00\x00 with NUL bytes in it.\n"),
    ("elf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64 + b"\x03\x00>\x00"),
]
# fmt: on


@pytest.mark.parametrize(("name", "data"), BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("suffix", [".txt", ".html", ".jsonl"])
def test_ingest_binary_file(tmp_path, name, data, suffix):
    assert reason_of(write(tmp_path, "bin" + suffix, data)) == "binary file"


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t ", "\ufeff".encode("utf-8"), "\ufeff\n".encode("utf-16")])
@pytest.mark.parametrize("suffix", [".txt", ".html", ".jsonl"])
def test_ingest_empty_file(tmp_path, data, suffix):
    assert reason_of(write(tmp_path, "empty" + suffix, data)) == "empty file"


@pytest.mark.parametrize(
    "text",
    [
        "Just a title\n",
        "Just a title\n\n\n   \n",
        "Just a title\n\n2022-05-15 0 By\n",
        "只有标题\n\n2023年1月3日\n",
        "Title line\n\nTitle line\n",
    ],
)
def test_ingest_title_but_no_body(tmp_path, text):
    assert reason_of(write(tmp_path, "t.txt", text)) == "no body text"


def test_ingest_html_title_but_no_body(tmp_path):
    html = "<html><head><title>A title</title><script>var body = 'not text';</script></head><body></body></html>"
    assert reason_of(write(tmp_path, "t.html", html)) == "no body text"


def test_ingest_file_too_large_not_read(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # 50 MB, sparse: cheap to make
        handle.truncate(50_000_001)
    tracemalloc.start()
    try:
        reason = reason_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason == "file too large (50000001 bytes > 20000000)"
    assert peak < 2_000_000
    small = write(tmp_path, "small.txt", EN_TEXT)
    assert reason_of(small, max_bytes=100) == f"file too large ({small.stat().st_size} bytes > 100)"


# --------------------------------------------------------------------------- language


# fmt: off
LANGUAGES = [
    (EN_TEXT, "en"),
    (ZH_TEXT, "zh"),
    ("郑东新区 Zhengdong New District 第四十七中学 47th Middle School 教育集团", "zh"),
    ("Zhengdong New District (郑东新区) set up five education groups led by high-quality schools.", "en"),
    ("Le bureau de l'éducation du district a ouvert trois nouvelles écoles primaires cette année.", "fr"),
    ("Das Bildungsamt des Bezirks hat in diesem Jahr drei neue Grundschulen eröffnet.", "de"),
    ("地区の教育局は今年、三つの新しい小学校を開校しました。", "ja"),
    ("구 교육청은 올해 초등학교 세 곳을 새로 열었습니다.", "ko"),
    ("2023 - 12 - 01 ... 42%", "unknown"),
    ("", "unknown"),
]
# fmt: on


@pytest.mark.parametrize(("text", "lang"), LANGUAGES)
def test_ingest_detect_language(text, lang):
    assert detect_language(text) == lang
    assert detect_language(text) == lang  # deterministic


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Titre\n\nLe bureau de l'éducation du district a ouvert trois nouvelles écoles primaires cette année.", "fr"),
        ("Titel\n\nDas Bildungsamt des Bezirks hat in diesem Jahr drei neue Grundschulen eröffnet.", "de"),
        ("タイトル\n\n地区の教育局は今年、三つの新しい小学校を開校しました。", "ja"),
    ],
)
def test_ingest_other_language_rejected(tmp_path, text, code):
    assert reason_of(write(tmp_path, "x.txt", text)) == f"language {code} not supported"


# --------------------------------------------------------------------------- titles and dates

# fmt: off
DATES = [
    ("2022-05-15 0 By", "2022-05-15"),
    ("Author:Mengye News Time:2022.07.14", "2022-07-14"),
    ("2023年1月3日 09:30 来源:洛阳日报", "2023-01-03"),
    ("发布时间:2023年12月01日", "2023-12-01"),
    ("２０２３年１２月１日", "2023-12-01"),
    ("2021/3/9", "2021-03-09"),
    ("Published: May 3, 2022", "2022-05-03"),
    ("Sept. 30, 2021 by staff", "2021-09-30"),
    ("3rd March 2023", "2023-03-03"),
    ("2022-05-15T08:00:00+08:00", "2022-05-15"),
    ("2022-02-30", None),
    ("3日上午", None),
    ("phone 2022-123-4567", None),
    ("", None),
]
# fmt: on


@pytest.mark.parametrize(("text", "iso"), DATES)
def test_ingest_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("head", "title", "date"),
    [
        ("Title here\n\n2022-05-15 0 By\n\n", "Title here", "2022-05-15"),
        ("Title here\n\nAuthor:Mengye News Time:2022.07.14\n\n", "Title here", "2022-07-14"),
        ("\n\n  标题在这里  \n\n2023年1月3日 来源:洛阳日报\n\n", "标题在这里", "2023-01-03"),
        ("Breaking news\n\nReal title–\n\nReal title–\nReal title–\n\n", "Real title", None),
        ("Title here\n\n", "Title here", None),
    ],
)
def test_ingest_txt_title_and_date(tmp_path, head, title, date):
    body = "The district education bureau opened three new schools on May 5, 2021, officials said.\n"
    article = read_article(write(tmp_path, "a.txt", head + body))
    assert (article.title, article.date) == (title, date)


def test_ingest_date_in_body_is_not_the_article_date(tmp_path):
    text = "Title\n\nOn May 5, 2021, the district education bureau opened three new schools, officials said.\n"
    assert read_article(write(tmp_path, "a.txt", text)).date is None


def test_ingest_zh_fixture(tmp_path):
    article = read_article(DATA / "zh_dated.txt")
    assert (article.lang, article.title, article.date) == ("zh", "郑州市金水区新增五所小学", "2023-01-03")
    assert article.text[article.body_end :].startswith("相关阅读")
    assert "责任编辑" in article.text[: article.body_end]


# --------------------------------------------------------------------------- HTML


def test_ingest_html_scripts_styles_chrome_dropped():
    article = read_article(DATA / "page.html")
    assert (article.id, article.source_file, article.lang) == ("page", "page.html", "en")
    assert article.title == "Jinshui District opens five new schools"
    assert article.date == "2023-09-01"
    for absent in (
        "SECRET_SCRIPT_TOKEN", "WRITTEN_BY_SCRIPT", "SECRET_STYLE_TOKEN", "STYLE_CONTENT", "INLINE_SCRIPT_IN_ARTICLE",
        "NOSCRIPT_TEXT", "HIDDEN_TEXT", "ASIDE_HEADLINE", "FOOTER_TEXT", "Home", "Share on WeChat", "datePublished",
    ):  # fmt: skip
        assert absent not in article.text, absent
    assert article.text.startswith("Jinshui District opens five new schools\n\n")
    assert "opened this autumn, adding 6,300 places for students.\nEach school joins" in article.text
    assert "1.2 billion yuan in school construction over the next three years, officials said." in article.text


@pytest.mark.parametrize(
    ("head", "title", "date"),
    [
        ("<title>From title tag</title>", "From title tag", None),
        ("<title>Tag</title><meta name='og:title' content='From og'>", "From og", None),
        ("<meta itemprop='datePublished' content='2021-03-09'>", "Headline", "2021-03-09"),
        ("<meta name='PubDate' content='2023/01/03 10:00'>", "Headline", "2023-01-03"),
    ],
)
def test_ingest_html_title_and_date_sources(tmp_path, head, title, date):
    body = "<h1>Headline</h1>" if "og" not in head and "<title>" not in head else ""
    html = f"<html><head>{head}</head><body>{body}<div><p>{EN_TEXT.split(chr(10))[2]}</p></div></body></html>"
    article = read_article(write(tmp_path, "x.html", html))
    assert (article.title, article.date) == (title, date)
    assert article.text.split("\n", 1)[0] == title  # the title is part of the text


def test_ingest_html_time_element_date(tmp_path):
    html = f"<body><h1>Headline</h1><time datetime='2022-07-14T10:00'>July 14</time><p>{EN_TEXT}</p></body>"
    assert read_article(write(tmp_path, "x.htm", html)).date == "2022-07-14"


def test_ingest_html_junk_tail_marked(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in EN_TEXT.split("\n") if line)
    html = f"<body><div>{paragraphs}<p>PREV Some other story</p><p>NEXT Another story</p></div></body>"
    article = read_article(write(tmp_path, "x.html", html))
    assert article.text[article.body_end :] == "PREV Some other story\n\nNEXT Another story"


# --------------------------------------------------------------------------- JSONL


def test_ingest_jsonl_lines_and_errors():
    items = list(read_file(DATA / "articles.jsonl"))
    articles = [i for i in items if isinstance(i, Article)]
    errors = {i.line: i.reason for i in items if isinstance(i, InputError)}
    assert [a.id for a in articles] == ["articles-L1", "articles-L2", "articles-L8"]
    assert {a.source_file for a in articles} == {"articles.jsonl"}
    en, zh, guessed = articles
    assert (en.lang, en.title, en.date, en.url) == (
        "en",
        "Yuelu District expands after-school services",
        "2022-05-03",
        "https://example.org/news/1",
    )
    assert (zh.lang, zh.title, zh.date) == ("zh", "洛阳市新建七所高中", "2023-01-03")
    assert (guessed.lang, guessed.date, guessed.url) == ("en", "2023-03-03", None)
    assert set(errors) == {3, 5, 6, 7}
    assert errors[3].startswith("invalid JSON")
    assert errors[5].startswith("expected a JSON object")
    assert errors[6] == "no body text"
    assert errors[7] == "language fr not supported"
    assert all(i.path == str(DATA / "articles.jsonl") for i in items if isinstance(i, InputError))


def test_ingest_jsonl_bad_field_types_and_urls(tmp_path):
    lines = [
        {"title": ["not", "a", "string"], "text": EN_TEXT},
        {"title": "ok", "text": EN_TEXT, "url": 'https://ex.org/a b<c>"{}|\\^`'},
        {"title": "ok", "text": EN_TEXT, "url": "javascript:alert(1)"},
    ]
    path = write(tmp_path, "x.jsonl", "\n".join(json.dumps(line) for line in lines))
    first, second, third = read_file(path)
    assert isinstance(first, InputError) and first.line == 1 and "must be a string" in first.reason
    assert second.url == "https://ex.org/a%20b%3Cc%3E%22%7B%7D%7C%5C%5E%60"
    assert third.url is None


def test_ingest_jsonl_hash_covers_metadata(tmp_path):
    base = {"title": "T", "date": "2022-05-03", "url": "https://ex.org/1", "text": EN_TEXT}
    variants = [base, {**base, "title": "T2"}, {**base, "date": "2022-05-04"}, {**base, "url": "https://ex.org/2"}]
    hashes = set()
    for n, record in enumerate(variants):
        article = read_article(write(tmp_path, f"v{n}.jsonl", json.dumps(record)))
        hashes.add(article.content_hash)
    assert len(hashes) == len(variants)


# --------------------------------------------------------------------------- trailing junk

BODY = (
    "Luoyang sets new goals\n\n2022-05-15 0 By\n\n"
    "The district education bureau opened three new schools this year and added 2,000 places.\n\n"
    "Teachers will rotate between member schools of each education group, officials said.\n\n"
)

# fmt: off
TAILS = [
    ("- END -\n\nUnrelated headline one\n\nUnrelated headline two\n", "- END -"),
    ("（完）\n", "（完）"),
    ("PREV Walking hand in hand – China Daily\nNEXT Village BA tonight\n", "PREV"),
    ("Previous: Another story\nNext: Yet another\n", "Previous:"),
    ("上一篇 2024年2月5日\n下一篇 2024年2月5日\n", "上一篇"),
    ("相关推荐\n\n  • 河南省劳动教育周活动启动仪式举行\n    2023年5月9日 教育要闻\n    7100\n", "相关推荐"),
    ("Related news\n\nSchools in Henan open\n", "Related news"),
    ("联系我们\n\n在线咨询:1256208228\n\n邮件: a@b.com\n", "联系我们"),
    ("(0)\n打赏 微信扫一扫 支付宝扫一扫\n", "(0)"),
    ("Share\n(12)\n", "Share"),
    ("The article is in Chinese\n\nTags: education reform\n", "The article is in Chinese"),
    ("Tags: education, reform\n", "Tags:"),
    ("Copyright © 2023 Henan Daily. All rights reserved.\n", "Copyright"),
    ("版权所有 © 郑州日报社\n", "版权所有"),
    ("Luoyang sets new goals\n\n2022-05-15 0 By\n\nThe district education bureau opened...\n", "Luoyang sets"),
    ("邮件: haet2020@163.com\n工作时间:周一至周五\n关注微信\n", "邮件"),
]
# fmt: on


@pytest.mark.parametrize(("tail", "starts"), TAILS, ids=[t[1] for t in TAILS])
def test_ingest_find_body_end_rules(tail, starts):
    text = BODY + tail
    end = find_body_end(text)
    assert end is not None
    assert text[end:].startswith(starts)
    assert text[:end] == BODY


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        BODY + "Next, the district will build two more schools and hire 300 teachers before autumn 2024.\n",
        BODY + "Pictures provided by the county education committee\n",
        BODY + "本文转载自洛阳市教育局\n",
        BODY + "[Editor: Wang Dehe][Source: New Hunan client]\n",
        # markers in the header (before the first paragraph) are not the end of the body
        "Tags: schools\n\nShare\n\n" + BODY,
    ],
)
def test_ingest_find_body_end_no_false_positive(text):
    assert find_body_end(text) is None


def test_ingest_title_repeated_early_is_not_junk():
    text = "Big title\n\n" + "A first paragraph that is long enough to count as body text here.\n\n" + "Big title\n\n"
    text += "More body text follows, long enough to matter for the half-way rule in this test. " * 3
    assert find_body_end(text) is None


def test_ingest_all_junk_means_no_body(tmp_path):
    text = "A title\n\n" + "Share\n(0)\n" + "- END -\n"
    assert reason_of(write(tmp_path, "j.txt", text)) == "no body text"


def test_ingest_body_end_is_line_start_and_stable(seed_articles):
    for article in seed_articles.values():
        if article.body_end is not None:
            assert article.body_end == 0 or article.text[article.body_end - 1] == "\n"
            assert find_body_end(article.text) == article.body_end


def test_ingest_decode_bytes_keeps_text_exact():
    text = "Ünïcödé – “quotes” 中文 \t tabs\n"
    assert decode_bytes(text.encode("utf-8")) == text
    assert decode_bytes(text.encode("utf-16")) == text


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_ingest_permission_denied(tmp_path):
    path = write(tmp_path, "locked.txt", EN_TEXT)
    path.chmod(0)
    assert reason_of(path).startswith("cannot read file")


def test_ingest_directory_named_like_a_file(tmp_path):
    (tmp_path / "folder.txt").mkdir()
    assert reason_of(tmp_path / "folder.txt").startswith("cannot read file")


# fmt: off
HARD_DECODES = [
    ("tiny gb18030", "标题\n\n这是正文。".encode("gb18030"), "标题\n\n这是正文。"),
    ("big5", "洛陽市新建七所高中，新增學位一萬二千個。".encode("big5"), "洛陽市新建七所高中，新增學位一萬二千個。"),
    ("cp1252", ("Café naïve résumé – the district opened schools. " * 3).encode("cp1252"),
     "Café naïve résumé – the district opened schools. " * 3),
    ("utf-16-le no BOM", EN_TEXT.encode("utf-16-le"), EN_TEXT),
]
# fmt: on


@pytest.mark.parametrize(("name", "data", "text"), HARD_DECODES, ids=[h[0] for h in HARD_DECODES])
def test_ingest_decode_hard_cases(name, data, text):
    assert decode_bytes(data) == text


def test_ingest_utf8_with_one_broken_character_is_still_utf8():
    data = ZH_TEXT.encode("utf-8") * 2
    cut = data[:100] + data[101:]  # drop one byte of a 3-byte character
    text = decode_bytes(cut)
    assert text.count("\ufffd") == 1
    assert text.startswith(ZH_TEXT[:20]) and text.endswith(ZH_TEXT[-20:])


def test_ingest_html_declared_charset(tmp_path):
    links = '<div class="x"><a href="/a/b/c">link</a></div>' * 30
    html = f'<html><head><meta charset="gb2312"><title>教育</title></head><body>{links}<p>{ZH_TEXT}</p></body></html>'
    article = read_article(write(tmp_path, "x.html", html.encode("gbk")))
    assert "洛阳市7所现代化高中如期建成投用" in article.text
    assert article.lang == "zh"


@pytest.mark.parametrize(
    "stem",
    ['a<b>"c{d}|e^f`g', "right\u200fto\u200bleft", "x" * 240, "新闻 2023", "résumé"],
)
def test_ingest_ids_are_iri_safe(tmp_path, stem):
    import re

    path = write(tmp_path, stem + ".txt", EN_TEXT)
    article = read_article(path)
    assert re.fullmatch(r"[A-Za-z0-9_.\-]{1,120}", article.id), article.id
    assert article.source_file == path.name
    assert read_article(path).id == article.id
    line = json.dumps({"text": EN_TEXT})
    rows = list(read_file(write(tmp_path, stem + ".jsonl", line + "\n" + line)))
    assert [r.id for r in rows] == [f"{rows[0].id[:-3]}-L1", f"{rows[0].id[:-3]}-L2"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+", r.id) for r in rows)
