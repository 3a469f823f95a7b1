"""Would blending in the TF-IDF model's event scores help? Checked on out-of-fold CV scores.

For each fold f, a TF-IDF + logistic-regression model (``training/baseline.py``) is trained on the
other folds' sentences and scores fold f; the blended logit is ``(1 - b) * model + b * tfidf``,
thresholds are tuned on the other folds (shrunk halfway, as training does on dev) and fold f is
scored. "nested" picks b on the other folds only. Not part of the product: a measurement of
whether a lexical side-model is worth building.

    python benchmarks/lexical_blend_cv.py reports/cv5-context/cv_predictions.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from oof_folds import nested_choice, print_nested

from sucesos.training.baseline import TfidfLogReg
from sucesos.training.context import logit
from sucesos.training.evaluation import tune_thresholds
from sucesos.training.metrics.core import event_scores

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="cv_predictions.jsonl from sucesos evaluate --cv")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in open(args.predictions, encoding="utf-8")]
    types = list(rows[0]["scores"])
    fold_of = np.array([r["fold"] for r in rows])
    folds = sorted(set(fold_of))
    gold = [r["gold_events"] for r in rows]
    model = np.array([[r["scores"][t] for t in types] for r in rows])
    lexical = np.zeros_like(model)
    for f in folds:
        train = [{"text": r["text"], "events": r["gold_events"]} for r in rows if r["fold"] != f]
        held = np.where(fold_of == f)[0]
        lexical[held] = TfidfLogReg(types).fit(train).predict_proba([rows[i]["text"] for i in held])
    table = {}
    for b in WEIGHTS:
        blended = 1 / (1 + np.exp(-((1 - b) * logit(model) + b * logit(lexical))))
        for f in folds:
            tr, te = np.where(fold_of != f)[0], np.where(fold_of == f)[0]
            th = tune_thresholds(blended[tr], [{"events": gold[i]} for i in tr], types, shrinkage=0.5)
            pred = [[t for j, t in enumerate(types) if blended[i, j] >= th[t]] for i in te]
            table[b, f] = event_scores(pred, [gold[i] for i in te], types)["macro_f1"]
    base = np.array([table[0.0, f] for f in folds])
    print(f"{len(rows)} out-of-fold sentences; TF-IDF weight b | macro-F1 per fold | mean change | folds better")
    for b in WEIGHTS:
        v = np.array([table[b, f] for f in folds])
        print(f"{b:.1f} | {' '.join(f'{x:.3f}' for x in v)} | {v.mean() - base.mean():+.4f} | {int((v > base).sum())}/{len(folds)}")
    print_nested(nested_choice(lambda b, g: table[b, g], WEIGHTS, folds, reference=0.0),
                 lambda f, chosen, gain: f"nested: {f} b chosen on the other folds {chosen}, gain {gain:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
