"""HTML pages to (title, text, date) with BeautifulSoup + lxml; page chrome and scripts dropped."""

from __future__ import annotations

import re

from .text import clean_title, parse_date

__all__ = ["html_to_text"]

_I = re.IGNORECASE

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
            return clean_title(value)
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
