"""Re-check the lexical side-model (its regularization and class weights) and the blend weight on
the out-of-fold scores of a finished CV, without retraining a single encoder.

The fold models of ``sucesos evaluate --cv K`` blended their encoder's sentence logits with the
side-model's: ``z = (1 - w) * z_encoder + w * z_lexical``. The side-model is a deterministic
TF-IDF + logistic regression fitted on the fold's train split, so this script rebuilds each fold's
splits (``fold_splits``: same data files, K and seed), refits that side-model, checks that every
held-out sentence is where the CV put it, and recovers the encoder's own logits from the saved
sentence-alone scores: ``z_encoder = (z - w * z_lexical) / (1 - w)``. Scores were saved to 4
decimals, so recovered logits are exact near the thresholds and approximate only far from them.

Then for each side-model variant and each blend weight, the pipeline runs as in training: blend,
article context (the config's weights), thresholds tuned and shrunk halfway on the other folds'
sentences (as ``article_context_cv.py``: no fold's dev scores were kept), each fold scored.
"nested" picks the (variant, weight) pair on the other folds only.

    python benchmarks/lexical_variants_cv.py reports/cv5-batches-h36-h91 \\
        --config training/configs/default.yaml data.train=/tmp/train_before.jsonl \\
        --cv-extra-train /tmp/batches_all7.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from article_context_cv import fold_scores, in_context, load  # noqa: E402
from oof_folds import held_out_positions, nested_choice, print_nested  # noqa: E402

from sucesos.labels.corpus import load_corpus  # noqa: E402
from sucesos.labels.schema import load_schema  # noqa: E402
from sucesos.training.baseline import TfidfLogReg  # noqa: E402
from sucesos.training.config import load_config  # noqa: E402
from sucesos.training.context import logit  # noqa: E402
from sucesos.training.crossval import fold_splits, pool_records  # noqa: E402

# (name, C, class_weight); "C10-balanced" is the side-model the CV ran with
VARIANTS = [("C10-balanced", 10.0, "balanced"), ("C3-balanced", 3.0, "balanced"),
            ("C30-balanced", 30.0, "balanced"), ("C1-balanced", 1.0, "balanced"),
            ("C10-none", 10.0, None), ("C30-none", 30.0, None)]
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cv_dir", help="--output-dir of a finished sucesos evaluate --cv run")
    parser.add_argument("--config", required=True, help="the config the CV ran with")
    parser.add_argument("overrides", nargs="*", help="the dotted overrides the CV ran with")
    parser.add_argument("--cv-extra-train", nargs="*", default=[])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", help="write the table here")
    args = parser.parse_intermixed_args(argv)
    config = load_config(args.config, args.overrides)
    schema = load_schema(config.data.schema)
    extra = load_corpus(args.cv_extra_train, schema) if args.cv_extra_train else []
    splits = fold_splits(pool_records(config, schema), extra, args.k)
    rows, types, articles, blended = load(str(Path(args.cv_dir) / "cv_predictions.jsonl"))
    w_cv = config.model.lexical_weight
    if not 0 < w_cv < 1:
        raise SystemExit("the CV must have run with 0 < model.lexical_weight < 1 to recover encoder logits")
    lexical = {name: np.zeros_like(blended) for name, _, _ in VARIANTS}
    for f, (train, _dev, test) in enumerate(splits):
        held = held_out_positions(rows, f, test)
        for name, c, class_weight in VARIANTS:
            start = time.perf_counter()
            model = TfidfLogReg(types, seed=config.training.seed, c=c, class_weight=class_weight).fit(train)
            lexical[name][held] = model.predict_proba([r["text"] for r in test])
            print(f"fold {f} {name}: {len(train)} train sentences, {time.perf_counter() - start:.1f} s", flush=True)
    encoder_logit = (logit(blended) - w_cv * logit(lexical["C10-balanced"])) / (1 - w_cv)
    table = {}
    for name, _, _ in VARIANTS:
        for w in WEIGHTS + (1.0,):  # 1.0: the side-model alone, in context
            z = (1 - w) * encoder_logit + w * logit(lexical[name])
            probs = in_context(1 / (1 + np.exp(-z)), articles,
                               (config.model.context_neighbour_weight, config.model.context_article_weight))
            table[name, w] = fold_scores(rows, types, probs)
    folds = sorted(table["C10-balanced", w_cv])
    current = np.array([table["C10-balanced", w_cv][f] for f in folds])
    print(f"\n{len(rows)} out-of-fold sentences; variant, weight | macro-F1 per fold | mean | vs current | folds better")
    for (name, w), scores in table.items():
        v = np.array([scores[f] for f in folds])
        print(f"{name:13s} {w:.1f} | {' '.join(f'{x:.4f}' for x in v)} | {v.mean():.4f} | "
              f"{v.mean() - current.mean():+.4f} | {int((v > current).sum())}/{len(folds)}")
    candidates = [key for key in table if key[1] < 1.0]
    gains = print_nested(nested_choice(lambda key, g: table[key][g], candidates, folds,
                                       reference=("C10-balanced", w_cv)),
                         lambda f, chosen, gain: f"nested: {f} picks {chosen[0]} w={chosen[1]} on the other folds, "
                                                 f"gain {gain:+.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"folds": folds, "table": [{"variant": n, "weight": w, "macro_f1": s} for (n, w), s in table.items()],
             "nested_gains": gains}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
