"""Bind query parameters by writing their terms into the WHERE clause, so Oxigraph's optimizer sees them.

pyoxigraph's ``substitutions`` bind a variable after the query is planned: a named query such as
``entity_articles`` then reads every mention in the store before keeping one entity's (seconds at
10^4 articles), while the same query with the IRI written in the pattern answers in milliseconds.
:func:`inline` writes each bound term, in the N-Triples form pyoxigraph gives it (``str`` of a
validated ``NamedNode`` or ``Literal``: nothing a parameter holds can escape its term), in place of
the variable inside the top-level WHERE group, and binds the variable to it at the end of that
group, so projections, GROUP BY and ORDER BY see it as before. Where the text is beyond this
(DESCRIBE, ``CONSTRUCT WHERE``, a parameter assigned in the query, or one it never names),
:func:`inline` returns None and the caller keeps ``substitutions``.

Examples
--------
>>> from pyoxigraph import NamedNode
>>> print(inline("SELECT ?e ?a WHERE { ?a <http://x/p> ?e } ORDER BY ?a",
...              {"e": NamedNode("http://x/e")}))
SELECT ?e ?a WHERE { ?a <http://x/p> <http://x/e>  BIND(<http://x/e> AS ?e) } ORDER BY ?a
>>> inline('SELECT ?e WHERE { BIND(1 AS ?e) }', {"e": NamedNode("http://x/e")}) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["inline"]

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                   |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
      | (?P<open>\{) | (?P<close>\})
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)""",
    re.VERBOSE | re.DOTALL,
)


def _where_group(tokens: list[re.Match]) -> tuple[int, int] | None:
    """Indexes (in ``tokens``) of the braces of the top-level WHERE group, or None."""
    words = [t.group("word").upper() for t in tokens if t.lastgroup == "word"]
    if not words or words[0] in {"DESCRIBE"} or ("CONSTRUCT" in words[:3] and "WHERE" not in words):
        return None
    start = next((i for i, t in enumerate(tokens) if t.lastgroup == "word" and t.group().upper() == "WHERE"), None)
    if start is None:  # SELECT * { ... } / ASK { ... }
        start = next((i for i, t in enumerate(tokens) if t.lastgroup == "open"), None)
        if start is None:
            return None
    else:
        start = next((i for i in range(start, len(tokens)) if tokens[i].lastgroup == "open"), None)
        if start is None:
            return None
        after = [t.group().upper() for t in tokens[: start + 1] if t.lastgroup in {"word", "open"}]
        if "CONSTRUCT" in after and after[after.index("CONSTRUCT") + 1] == "WHERE":
            return None  # CONSTRUCT WHERE { }: the pattern is also the template
    depth = 0
    for i in range(start, len(tokens)):
        kind = tokens[i].lastgroup
        depth += kind == "open"
        depth -= kind == "close"
        if depth == 0:
            return start, i
    return None


def inline(sparql: str, substitutions: Mapping[str, Any]) -> str | None:
    """``sparql`` with each ``substitutions`` term written into its WHERE group, or None (see module doc)."""
    from pyoxigraph import Literal, NamedNode

    if not substitutions or not all(isinstance(t, NamedNode | Literal) for t in substitutions.values()):
        return None  # a blank node written into a pattern would be a variable
    tokens = list(_TOKEN.finditer(sparql))
    group = _where_group(tokens)
    if group is None:
        return None
    first, last = group
    names = {t.group()[1:] for t in tokens if t.lastgroup == "var"}
    if any(name not in names for name in substitutions):
        return None  # let pyoxigraph say the query has no such variable
    out, at = [], 0
    for t in tokens[first + 1 : last]:
        if t.lastgroup == "var" and t.group()[1:] in substitutions:
            before = sparql[max(0, t.start() - 8) : t.start()].upper()
            if re.search(r"\bAS\s*$", before):
                return None  # the query assigns the parameter itself (BIND / SELECT expression)
            out += [sparql[at : t.start()], str(substitutions[t.group()[1:]])]
            at = t.end()
    close = tokens[last].start()
    binds = "".join(f" BIND({term} AS ?{name})" for name, term in substitutions.items())
    return "".join(out) + sparql[at:close] + binds + " " + sparql[close:]
