"""The project's metrics as plain functions (the ``evaluate`` modules beside this file wrap them).

Conventions, fixed here once:

- ``zero_division=0``: a precision or recall whose denominator is 0 is 0.
- A type (or role) with no gold and no predicted instance has P/R/F1 = ``None`` and is left out
  of the macro average: it carries no evidence either way. Micro averages pool all instances.
- Strict span match: same start, end and role. Overlap match: same role and at least one shared
  character, matched one-to-one (largest overlap first), so one long prediction cannot claim
  several gold spans.

>>> event_scores([["ambush"], []], [["ambush"], ["arrest"]], ["ambush", "arrest", "threat"])["macro_f1"]
0.5
>>> gold = [[(0, 6, "PERPETRATOR")]]
>>> span_scores([[(0, 6, "PERPETRATOR")]], gold, ["PERPETRATOR"])["strict"]["micro_f1"]
1.0
>>> span_scores([[(0, 4, "PERPETRATOR")]], gold, ["PERPETRATOR"])["overlap"]["micro_f1"]
1.0
"""

from __future__ import annotations

import numpy as np


def _prf(tp: int, n_pred: int, n_gold: int):
    if n_pred == 0 and n_gold == 0:
        return None, None, None
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def event_scores(predictions: list[list[str]], references: list[list[str]], labels: list[str]) -> dict:
    """Multi-label event-type scores (per type, micro, macro, exact match)."""
    if len(predictions) != len(references):
        raise ValueError("predictions and references differ in length")
    index = {t: i for i, t in enumerate(labels)}
    y_true = np.zeros((len(references), len(labels)), dtype=int)
    y_pred = np.zeros_like(y_true)
    for row, (pred, gold) in enumerate(zip(predictions, references)):
        for t in gold:
            y_true[row, index[t]] = 1
        for t in pred:
            y_pred[row, index[t]] = 1
    per_type = {}
    # Counted directly: scikit-learn reads a one-column indicator matrix as binary labels.
    for i, t in enumerate(labels):
        tp, n_pred, n_gold = int((y_true[:, i] & y_pred[:, i]).sum()), int(y_pred[:, i].sum()), int(y_true[:, i].sum())
        p, r, f = _prf(tp, n_pred, n_gold)
        per_type[t] = {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}
    present = [v for v in per_type.values() if v["f1"] is not None]
    tp = int((y_true & y_pred).sum())
    micro = _prf(tp, int(y_pred.sum()), int(y_true.sum()))
    return {
        "per_type": per_type,
        "macro_precision": _mean([v["precision"] for v in present]),
        "macro_recall": _mean([v["recall"] for v in present]),
        "macro_f1": _mean([v["f1"] for v in present]),
        "micro_precision": micro[0], "micro_recall": micro[1], "micro_f1": micro[2],
        "exact_match": float((y_true == y_pred).all(axis=1).mean()) if len(references) else None,
        "n_sentences": len(references),
    }


def _mean(values):
    return float(np.mean(values)) if values else None


def _match_overlap(pred, gold) -> int:
    """One-to-one matching of same-role overlapping spans, largest overlap first."""
    pairs = []
    for i, (ps, pe, pr) in enumerate(pred):
        for j, (gs, ge, gr) in enumerate(gold):
            shared = min(pe, ge) - max(ps, gs)
            if pr == gr and shared > 0:
                pairs.append((shared, i, j))
    used_p, used_g, matched = set(), set(), 0
    for _, i, j in sorted(pairs, key=lambda x: (-x[0], x[1], x[2])):
        if i not in used_p and j not in used_g:
            used_p.add(i), used_g.add(j)
            matched += 1
    return matched


def span_scores(predictions, references, roles: list[str]) -> dict:
    """Actor span P/R/F1 per role and averaged, strict and overlap.

    ``predictions``/``references``: per sentence, a list of ``(start, end, role)``.
    """
    if len(predictions) != len(references):
        raise ValueError("predictions and references differ in length")
    result = {}
    for mode in ("strict", "overlap"):
        counts = {r: [0, 0, 0] for r in roles}  # tp, n_pred, n_gold
        for pred, gold in zip(predictions, references):
            for role in roles:
                p = [tuple(s) for s in pred if s[2] == role]
                g = [tuple(s) for s in gold if s[2] == role]
                if mode == "strict":
                    remaining = list(g)
                    tp = 0
                    for s in p:
                        if s in remaining:
                            remaining.remove(s)
                            tp += 1
                else:
                    tp = _match_overlap(p, g)
                counts[role][0] += tp
                counts[role][1] += len(p)
                counts[role][2] += len(g)
        per_role = {}
        for role, (tp, n_pred, n_gold) in counts.items():
            p, r, f = _prf(tp, n_pred, n_gold)
            per_role[role] = {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}
        tot = np.array(list(counts.values())).sum(axis=0) if counts else np.zeros(3, dtype=int)
        micro = _prf(int(tot[0]), int(tot[1]), int(tot[2]))
        present = [v for v in per_role.values() if v["f1"] is not None]
        result[mode] = {"per_role": per_role, "micro_precision": micro[0], "micro_recall": micro[1],
                        "micro_f1": micro[2], "macro_f1": _mean([v["f1"] for v in present])}
    return result
