"""How far to shrink dev-tuned thresholds back to 0.5, checked on a CV's out-of-fold scores.

Training tunes each event type's threshold on the dev split (150 sentences, 10 articles) and moves
it ``training.threshold_shrinkage`` of the way back to 0.5, because F1-optimal thresholds on so few
positives are noisy. This script asks which shrinkage carries best to unseen articles, with the
current model's scores instead of one dev split: for each fold of ``sucesos evaluate --cv K``, it
draws ``--draws`` pseudo-dev sets from the other folds' articles (whole articles, in random order,
until ``--dev-sentences`` sentences), tunes thresholds on each at every shrinkage, scores the fold's
out-of-fold sentences with them and averages over the draws. "nested" picks the shrinkage on the
other folds only, so its gain over the default was not chosen on the fold it is measured on.

The scores are the in-context ones the fold models wrote (``scores``), as training decides events.
Pseudo-dev sentences come from other fold models than the fold scored, so thresholds travel a bit
worse here than in training, where one model scores dev and test: a lean towards shrinking.

    python benchmarks/threshold_shrinkage_cv.py reports/cv5-h36-h91-e5-fused/cv_predictions.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import sys

import numpy as np
from oof_folds import nested_choice, print_nested

from sucesos.training.evaluation import tune_thresholds
from sucesos.training.metrics.core import event_scores

SHRINKAGES = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT = 0.5


def pseudo_dev(articles: list[list[int]], rng: np.random.Generator, sentences: int) -> np.ndarray:
    """Row indices of whole articles drawn in random order until at least ``sentences`` rows."""
    chosen: list[int] = []
    for a in rng.permutation(len(articles)):
        chosen.extend(articles[a])
        if len(chosen) >= sentences:
            break
    return np.array(chosen)


def fold_table(rows, types, probs, draws: int, dev_sentences: int, seed: int) -> dict[str, dict[float, float]]:
    """Mean macro-F1 of each fold at each shrinkage, over ``draws`` pseudo-dev sets per fold."""
    fold_of = np.array([r["fold"] for r in rows])
    gold = [r["gold_events"] for r in rows]
    table: dict[str, dict[float, float]] = {}
    for f in sorted(set(fold_of)):
        held = np.where(fold_of == f)[0]
        by_article = collections.defaultdict(list)
        for i in np.where(fold_of != f)[0]:
            by_article[rows[i]["article_id"]].append(int(i))
        articles = [by_article[a] for a in sorted(by_article)]
        rng = np.random.default_rng(seed)
        sums = dict.fromkeys(SHRINKAGES, 0.0)
        for _ in range(draws):
            dev = pseudo_dev(articles, rng, dev_sentences)
            dev_gold = [{"events": gold[i]} for i in dev]
            for s in SHRINKAGES:
                th = tune_thresholds(probs[dev], dev_gold, types, shrinkage=s)
                pred = [[t for j, t in enumerate(types) if probs[i, j] >= th[t]] for i in held]
                sums[s] += event_scores(pred, [gold[i] for i in held], types)["macro_f1"]
        table[f] = {s: total / draws for s, total in sums.items()}
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="cv_predictions.jsonl from sucesos evaluate --cv")
    parser.add_argument("--draws", type=int, default=200, help="pseudo-dev sets per fold")
    parser.add_argument("--dev-sentences", type=int, default=150, help="size of each pseudo-dev set")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with open(args.predictions, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    types = list(rows[0]["scores"])
    probs = np.array([[r["scores"][t] for t in types] for r in rows])
    table = fold_table(rows, types, probs, args.draws, args.dev_sentences, args.seed)
    folds = sorted(table)
    base = np.array([table[f][DEFAULT] for f in folds])
    print(f"{len(rows)} out-of-fold sentences; {args.draws} pseudo-dev sets of >= {args.dev_sentences} "
          "sentences per fold")
    print("shrinkage | mean macro-F1 per fold | mean | vs 0.5 | folds better")
    for s in SHRINKAGES:
        v = np.array([table[f][s] for f in folds])
        print(f"{s:9.2f} | {' '.join(f'{x:.4f}' for x in v)} | {v.mean():.4f} | {v.mean() - base.mean():+.4f} | "
              f"{int((v > base).sum())}/{len(folds)}")
    print_nested(nested_choice(lambda s, g: table[g][s], SHRINKAGES, folds, reference=DEFAULT),
                 lambda f, chosen, gain: f"nested: {f} picks {chosen} on the other folds, gain {gain:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
