from __future__ import annotations

import pytest

from kg.evaluate import PRF, evaluate, format_report, norm_label

# Ratchet: the seed scores reached so far; raise these as the extractors improve.
THRESHOLDS = {"entities": 0.95, "relations": 0.93, "figures": 0.95}


def test_evaluate_prf():
    assert (PRF(3, 1, 1).precision, PRF(3, 1, 1).recall, PRF(3, 1, 1).f1) == (0.75, 0.75, 0.75)
    assert norm_label("Luoyang  No.50 Middle-School") == norm_label("luoyang no 50 middle school")


@pytest.mark.slow
def test_evaluate_seed_scores(seed_store_path, gold_dir):
    from kg.store import open_store

    result = evaluate(open_store(seed_store_path, read_only=True), gold_dir)
    report = format_report(result)
    assert report.splitlines()[-1].startswith("figures")
    for name, floor in THRESHOLDS.items():
        assert result[name]["f1"] >= floor, report
