"""``kg eval``: precision / recall / F1 of the built store against gold annotations.

The store is read by SPARQL only (what an analyst would see), one article graph
at a time.  An entity matches a gold entity when one of its labels or altLabels
equals one of the gold mentions or names after case/space/punctuation
normalisation; relations match when both ends match and the predicate agrees;
figures match on value and unit (gold "other" accepts any unit).  Gold items
with ``required: false`` count neither as hits nor as misses.

Examples
--------
>>> PRF(tp=8, fp=2, fn=0).f1
0.889
>>> norm_label("  Luoyang No.50  Middle-School ")
'luoyangno50middleschool'
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["PRF", "norm_label", "evaluate", "format_report", "load_gold", "RELATIONS"]

RELATIONS = ("locatedIn", "memberOf", "leadSchool", "implements", "governs", "heads")
KINDS = ("City", "District", "School", "EducationGroup", "Policy", "GovernmentBody", "Person")
_GOLD_REL = {"leadSchoolOf": ("leadSchool", True), "partOf": ("governs", False)}  # (predicate, swap ends)


@dataclass
class PRF:
    """Counts and scores; ``PRF.score_set(cand, gold)`` adds one comparison."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return round(self.tp / (self.tp + self.fp), 3) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return round(self.tp / (self.tp + self.fn), 3) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.tp / (self.tp + self.fp or 1), self.tp / (self.tp + self.fn or 1)
        return round(2 * p * r / (p + r), 3) if p + r else 0.0

    def add(self, other: PRF) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "p": self.precision, "r": self.recall, "f1": self.f1}


def norm_label(text: str) -> str:
    """Case-, space- and punctuation-insensitive form of a label."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def load_gold(gold_dir: str | Path) -> dict[str, dict]:
    """``{source file name: gold json}`` for every ``*.json`` in ``gold_dir``."""
    out = {}
    for path in sorted(Path(gold_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data.get("article") or path.stem + ".txt"] = data
    return out


# ----------------------------------------------------------------------------- reading the store

_Q_ARTICLES = "SELECT ?a ?file WHERE { ?a a edu:Article ; edu:sourceFile ?file }"
_Q_ENTITIES = """
SELECT ?g ?e ?type ?label WHERE { GRAPH ?g { ?a edu:mentions ?e . ?e a ?type .
  OPTIONAL { { ?e rdfs:label ?label } UNION { ?e skos:altLabel ?label } } } }"""
_Q_FACTS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o . FILTER(?p IN (%s)) } }"
_Q_OBS = """SELECT ?g ?obs ?about ?value ?unit ?year ?quote WHERE { GRAPH ?g { ?obs a edu:Observation ;
  edu:about ?about ; edu:value ?value ; edu:unit ?unit ; edu:quote ?quote . OPTIONAL { ?obs edu:year ?year } } }"""


def _store_article(store, graph: str) -> dict[str, Any]:
    from pyoxigraph import NamedNode

    from .store import rows
    from .vocab import EDU_NS

    subs = {"g": NamedNode(graph)}
    entities: dict[str, dict] = defaultdict(lambda: {"types": set(), "labels": set()})
    for r in rows(store, _Q_ENTITIES, substitutions=subs):
        if not r["type"].startswith(EDU_NS):
            continue
        e = entities[r["e"]]
        e["types"].add(r["type"][len(EDU_NS) :])
        if "label" in r:
            e["labels"].add(r["label"])
    preds = ", ".join(f"edu:{p}" for p in RELATIONS)
    facts = {(r["s"], r["p"][len(EDU_NS) :], r["o"]) for r in rows(store, _Q_FACTS % preds, substitutions=subs)}
    obs = rows(store, _Q_OBS, substitutions=subs)
    return {"entities": dict(entities), "facts": facts, "observations": obs}


# ----------------------------------------------------------------------------- matching


@dataclass
class ArticleScore:
    file: str
    entities: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))
    relations: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))
    figures: PRF = field(default_factory=PRF)
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)


def _gold_names(ent: dict) -> set[str]:
    names = set(ent.get("mentions") or ()) | {ent.get("name_en") or "", ent.get("name_zh") or ""}
    return {norm_label(n) for n in names if n}


def _match_entities(gold: dict, found: dict[str, dict], score: ArticleScore) -> dict[str, str]:
    """Return {store IRI: gold id}; count per-type hits."""
    mapping: dict[str, str] = {}
    gold_by_id = {g["id"]: g for g in gold.get("entities", [])}
    for iri, e in found.items():
        labels = {norm_label(x) for x in e["labels"]}
        for g in gold.get("entities", []):
            if labels & _gold_names(g):
                mapping.setdefault(iri, g["id"])
    hit_ids = set(mapping.values())
    for g in gold_by_id.values():
        if not g.get("required", True):
            continue
        prf = score.entities[g["type"]]
        if g["id"] in hit_ids:
            prf.tp += 1
        else:
            prf.fn += 1
            score.missed.append(f"entity {g['type']}: {g['mentions'][0] if g.get('mentions') else g['id']}")
    for iri, e in found.items():
        if iri in mapping:
            continue
        kind = sorted(e["types"])[0] if e["types"] else "?"
        score.entities[kind].fp += 1
        score.spurious.append(f"entity {kind}: {sorted(e['labels'])[0] if e['labels'] else iri}")
    return mapping


def _gold_relations(gold: dict) -> dict[tuple[str, str, str], bool]:
    out = {}
    for r in gold.get("relations", []):
        pred, swap = _GOLD_REL.get(r["type"], (r["type"], False))
        s, o = (r["object"], r["subject"]) if swap else (r["subject"], r["object"])
        out[(s, pred, o)] = r.get("required", True)
        if r["type"] == "leadSchoolOf":
            out.setdefault((r["subject"], "memberOf", r["object"]), r.get("required", True))
    return out


def _match_relations(gold: dict, facts: set, mapping: dict[str, str], score: ArticleScore) -> None:
    wanted = _gold_relations(gold)
    seen = set()
    for s, p, o in facts:
        key = (mapping.get(s), p, mapping.get(o))
        if key in wanted:
            if key not in seen and wanted[key]:
                score.relations[p].tp += 1
            seen.add(key)
        else:
            score.relations[p].fp += 1
            score.spurious.append(f"relation {p}: {_short(s)} -> {_short(o)}")
    for key, required in wanted.items():
        if required and key not in seen:
            score.relations[key[1]].fn += 1
            score.missed.append(f"relation {key[1]}: {key[0]} -> {key[2]}")


def _short(iri: str) -> str:
    return iri.rsplit("/id/", 1)[-1]


def _unit_id(unit: str) -> str:
    from .lexicon import units

    u = unit.lower()
    for row in units():
        if u in {row.id, row.en.lower(), *(a.lower() for a in row.en_aliases)}:
            return row.id
    return "other"


def _match_figures(gold: dict, obs: list[dict], score: ArticleScore) -> None:
    found = [(Decimal(o["value"]), o["unit"].rsplit("/", 1)[-1], o["quote"]) for o in obs]
    used: set[int] = set()
    for g in gold.get("metrics", []):
        value, unit = Decimal(str(g["value"])), _unit_id(g["unit"])
        hit = next(
            (i for i, (v, u, _) in enumerate(found) if i not in used and v == value and (unit == "other" or u == unit)),
            None,
        )
        if hit is not None:
            used.add(hit)
            if g.get("required", True):
                score.figures.tp += 1
        elif g.get("required", True):
            score.figures.fn += 1
            score.missed.append(f"figure {g['value']} {g['unit']}: {g['quote']}")
    for i, (v, u, q) in enumerate(found):
        if i not in used:
            score.figures.fp += 1
            score.spurious.append(f"figure {v} {u}: {q}")


def evaluate(store, gold_dir: str | Path) -> dict[str, Any]:
    """Scores of the store against every gold file whose article is in it."""
    from .store import rows

    gold = load_gold(gold_dir)
    articles = {r["file"]: r["a"] for r in rows(store, _Q_ARTICLES)}
    scores = []
    for file, g in gold.items():
        if file not in articles:
            continue
        from .vocab import graph_iri

        found = _store_article(store, graph_iri(articles[file]))
        score = ArticleScore(file)
        mapping = _match_entities(g, found["entities"], score)
        _match_relations(g, found["facts"], mapping, score)
        _match_figures(g, found["observations"], score)
        scores.append(score)
    return _summary(scores, sorted(set(gold) - set(articles)))


def _summary(scores: list[ArticleScore], absent: list[str]) -> dict[str, Any]:
    ent, rel = defaultdict(PRF), defaultdict(PRF)
    fig, ent_all, rel_all = PRF(), PRF(), PRF()
    for s in scores:
        for k, v in s.entities.items():
            ent[k].add(v)
            ent_all.add(v)
        for k, v in s.relations.items():
            rel[k].add(v)
            rel_all.add(v)
        fig.add(s.figures)
    return {
        "articles": [{"file": s.file, "missed": s.missed, "spurious": s.spurious} for s in scores],
        "absent": absent,
        "entity_types": {k: ent[k].as_dict() for k in KINDS if k in ent}
        | {k: v.as_dict() for k, v in ent.items() if k not in KINDS},
        "relation_types": {k: rel[k].as_dict() for k in RELATIONS if k in rel},
        "entities": ent_all.as_dict(),
        "relations": rel_all.as_dict(),
        "figures": fig.as_dict(),
    }


def _line(name: str, d: dict) -> str:
    return f"{name:<22} P={d['p']:.3f} R={d['r']:.3f} F1={d['f1']:.3f}  (tp={d['tp']} fp={d['fp']} fn={d['fn']})"


def format_report(result: dict[str, Any]) -> str:
    """Plain-text report: per-article misses first, the summary lines last."""
    out = []
    for art in result["articles"]:
        out.append(f"== {art['file']}")
        out += [f"  missed   {m}" for m in art["missed"]]
        out += [f"  spurious {m}" for m in art["spurious"]]
    for file in result["absent"]:
        out.append(f"== {file}: not in the store")
    out.append("")
    out += [_line(f"entity {k}", v) for k, v in result["entity_types"].items()]
    out += [_line(f"relation {k}", v) for k, v in result["relation_types"].items()]
    out.append(_line("entities", result["entities"]))
    out.append(_line("relations", result["relations"]))
    out.append(_line("figures", result["figures"]))
    return "\n".join(out)
