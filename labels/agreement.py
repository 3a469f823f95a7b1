"""Inter-annotator agreement between two labelings of the same sentences (``sucesos labels agreement``).

Two annotators label the same sentences independently; how often they agree bounds what any
model can score against either of them, so it belongs next to every reported test score.

Per event type: Cohen's kappa (chance-corrected, from scikit-learn) and the pairwise F1 between
the two annotators. F1 is symmetric in the two annotators (swapping them swaps false positives
and false negatives), so neither file has to be "the gold". Actor spans: strict and overlap F1,
with the same matching rules as the model metrics.

>>> from sucesos.labels import load_schema
>>> a = [{"id": "x", "language": "en", "text": "t", "events": ["arrest"], "actors": []},
...      {"id": "y", "language": "en", "text": "u", "events": [], "actors": []}]
>>> b = [{"id": "x", "language": "en", "text": "t", "events": ["arrest"], "actors": []},
...      {"id": "y", "language": "en", "text": "u", "events": ["threat"], "actors": []}]
>>> result = agreement(a, b, load_schema())
>>> result["events"]["per_type"]["arrest"]["f1"], result["events"]["per_type"]["threat"]["f1"]
(1.0, 0.0)
>>> result["events"]["identical_sentences"]
0.5
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import cohen_kappa_score

from sucesos.errors import SucesosError
from sucesos.labels.schema import Schema
from sucesos.training.evaluation import score_predictions


def pair_records(records_a: list[dict], records_b: list[dict], where_b: str = "second file") -> list[tuple[dict, dict]]:
    """Match the two labelings by sentence id; both must hold exactly the same sentences and texts."""
    by_id = {r["id"]: r for r in records_b}
    missing = [r["id"] for r in records_a if r["id"] not in by_id]
    if missing:
        raise SucesosError(f"sentence '{missing[0]}' is missing ({len(missing)} missing in all)", path=where_b)
    extra = set(by_id) - {r["id"] for r in records_a}
    if extra:
        raise SucesosError(f"sentence '{sorted(extra)[0]}' is not in the first file ({len(extra)} in all)", path=where_b)
    pairs = []
    for rec in records_a:
        other = by_id[rec["id"]]
        if other["text"] != rec["text"]:
            raise SucesosError(f"sentence '{rec['id']}' has a different text in the two files", path=where_b)
        pairs.append((rec, other))
    return pairs


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    # Kappa is undefined when both annotators use a single value throughout (no variance).
    if len(set(a.tolist()) | set(b.tolist())) < 2:
        return None
    return float(cohen_kappa_score(a, b))


def agreement(records_a: list[dict], records_b: list[dict], schema: Schema, where_b: str = "second file") -> dict:
    """Event and actor agreement of two labelings; see the module docstring."""
    pairs = pair_records(records_a, records_b, where_b)
    # B scored against A as a model would be (F1 is symmetric, so the direction does not matter)
    scores = score_predictions([b for _, b in pairs], [a for a, _ in pairs], schema.event_types, schema.roles)
    result_events, actors = scores["events"], scores["actors"]
    for t, row in result_events["per_type"].items():
        a = np.array([t in r["events"] for r, _ in pairs], dtype=int)
        b = np.array([t in r["events"] for _, r in pairs], dtype=int)
        row["kappa"] = _kappa(a, b)
        row["count_a"], row["count_b"] = int(a.sum()), int(b.sum())
        del row["support"], row["predicted"], row["precision"], row["recall"]
    kappas = [row["kappa"] for row in result_events["per_type"].values() if row["kappa"] is not None]
    return {
        "n_sentences": len(pairs),
        "events": {
            "per_type": result_events["per_type"],
            "macro_f1": result_events["macro_f1"],
            "micro_f1": result_events["micro_f1"],
            "mean_kappa": float(np.mean(kappas)) if kappas else None,
            "identical_sentences": result_events["exact_match"],
        },
        "actors": {mode: {"micro_f1": actors[mode]["micro_f1"],
                          "per_role": {r: v["f1"] for r, v in actors[mode]["per_role"].items()}}
                   for mode in ("strict", "overlap")},
    }


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_agreement(result: dict, name_a: str, name_b: str) -> str:
    """Markdown tables of :func:`agreement`."""
    ev = result["events"]
    lines = [f"Agreement between {name_a} and {name_b} on {result['n_sentences']} sentences",
             "", "| event type | count A | count B | F1 | kappa |", "|---|---:|---:|---:|---:|"]
    for t, row in ev["per_type"].items():
        lines.append(f"| {t} | {row['count_a']} | {row['count_b']} | {_fmt(row['f1'])} | {_fmt(row['kappa'])} |")
    lines += [f"| **macro** | | | **{_fmt(ev['macro_f1'])}** | {_fmt(ev['mean_kappa'])} |",
              f"| micro | | | {_fmt(ev['micro_f1'])} | |",
              "", f"Identical event sets: {_fmt(ev['identical_sentences'])} of sentences.", "",
              "| actor role | strict F1 | overlap F1 |", "|---|---:|---:|"]
    act = result["actors"]
    for role in act["strict"]["per_role"]:
        lines.append(f"| {role} | {_fmt(act['strict']['per_role'][role])} | {_fmt(act['overlap']['per_role'][role])} |")
    lines.append(f"| **all (micro)** | **{_fmt(act['strict']['micro_f1'])}** | **{_fmt(act['overlap']['micro_f1'])}** |")
    return "\n".join(lines)
