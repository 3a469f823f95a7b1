"""Choose the article-context weights on out-of-fold scores, with a nested check.

Input: the ``cv_predictions.jsonl`` written by ``sucesos evaluate --cv K`` (every sentence scored
by the fold model that did not train on it). For each fold f and each candidate pair of weights
(neighbour, article), the in-context scores of every sentence are computed from its article's
sentence-alone scores (``sucesos.training.context``), thresholds are tuned on the other folds'
sentences exactly as training tunes them on dev (``tune_thresholds``, shrinkage 0.5), and fold f
is scored with them. "nested" picks the pair by its mean over the other folds only, so the gain
it reports was not selected on the fold it is measured on.

    python benchmarks/article_context_cv.py reports/cv5-default-fp32/cv_predictions.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import sys

import numpy as np
from oof_folds import nested_choice, print_nested

from sucesos.training.context import contextual_probabilities
from sucesos.training.evaluation import tune_thresholds
from sucesos.training.metrics.core import event_scores

NEIGHBOUR = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
ARTICLE = (0.0, 0.05, 0.1, 0.2, 0.3)


def load(path: str):
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    types = list(rows[0]["scores"])
    by_article = collections.defaultdict(list)
    for i, r in enumerate(rows):
        by_article[r["article_id"]].append(i)
    for members in by_article.values():  # reading order: the sentence number in the id
        members.sort(key=lambda i: int(rows[i]["id"].rsplit("-s", 1)[1]))
    # sentence-alone scores: "sentence_scores" when the fold models had context on, else "scores"
    alone = np.array([[r.get("sentence_scores", r["scores"])[t] for t in types] for r in rows])
    return rows, types, list(by_article.values()), alone


def in_context(alone: np.ndarray, articles, weights) -> np.ndarray:
    if not any(weights):
        return alone
    out = alone.copy()
    for members in articles:
        if len(members) > 1:
            out[members] = contextual_probabilities(alone[members], *weights)
    return out


def fold_scores(rows, types, probs) -> dict[str, float]:
    """Macro-F1 of each fold at thresholds tuned (and shrunk halfway) on the other folds."""
    folds = sorted({r["fold"] for r in rows})
    fold_of = np.array([r["fold"] for r in rows])
    result = {}
    for f in folds:
        train, test = np.where(fold_of != f)[0], np.where(fold_of == f)[0]
        gold_train = [{"events": rows[i]["gold_events"]} for i in train]
        th = tune_thresholds(probs[train], gold_train, types, shrinkage=0.5)
        pred = [[t for j, t in enumerate(types) if probs[i, j] >= th[t]] for i in test]
        result[f] = event_scores(pred, [rows[i]["gold_events"] for i in test], types)["macro_f1"]
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="cv_predictions.jsonl from sucesos evaluate --cv")
    args = parser.parse_args(argv)
    rows, types, articles, alone = load(args.predictions)
    grid = [(n, a) for n in NEIGHBOUR for a in ARTICLE]
    table = {w: fold_scores(rows, types, in_context(alone, articles, w)) for w in grid}
    folds = sorted(table[(0.0, 0.0)])
    base = np.array([table[(0.0, 0.0)][f] for f in folds])
    print(f"{len(rows)} out-of-fold sentences, {len(articles)} articles, folds {', '.join(folds)}")
    print("neighbour article | macro-F1 per fold | mean gain over sentences alone | folds better")
    for w in grid:
        v = np.array([table[w][f] for f in folds])
        print(f"{w[0]:9.2f} {w[1]:7.2f} | {' '.join(f'{x:.3f}' for x in v)} | {v.mean() - base.mean():+.4f} | "
              f"{int((v > base).sum())}/{len(folds)}")
    print_nested(nested_choice(lambda w, g: table[w][g], grid, folds, reference=(0.0, 0.0)),
                 lambda f, chosen, gain: f"nested: {f} weights chosen on the other folds {chosen}, "
                                         f"gain on {f} {gain:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
