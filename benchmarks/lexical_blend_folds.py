"""The lexical blend on kept CV fold models, exactly as training would apply it.

For each fold kept by ``sucesos evaluate --cv K --keep-fold-models --output-dir DIR``: fit the
TF-IDF side-model on the fold's train split, tune both threshold sets on its dev split with the
blend weight b (``tune_tagger_thresholds``, as ``run_training`` does), and score its test split in
article context and alone. The weight the CV ran with (0 before the blend became the default, 0.5
since) must reproduce the CV's own fold scores (checked).

    python benchmarks/lexical_blend_folds.py reports/cv5-kept --weights 0 0.5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sucesos.inference import EventTagger
from sucesos.labels.corpus import load_corpus
from sucesos.labels.schema import load_schema
from sucesos.training.evaluation import evaluate_tagger
from sucesos.training.lexical import LexicalScorer
from sucesos.training.trainer import tune_tagger_thresholds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cv_dir", help="--output-dir of a CV run made with --keep-fold-models")
    parser.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.5])
    parser.add_argument("--shrinkage", type=float, default=0.5)
    parser.add_argument("--folds", nargs="+", type=int, help="only these folds (default: every finished one)")
    args = parser.parse_args(argv)
    cv_dir = Path(args.cv_dir)
    reported = json.loads((cv_dir / "cv_metrics.json").read_text())["folds"]
    schema = load_schema(None)
    rows = []
    for f, fold_metrics in enumerate(reported):
        if args.folds is not None and f not in args.folds:
            continue
        base = cv_dir / "folds" / f"fold{f}"
        split = {n: load_corpus([f"{base}-{n}.jsonl"], schema) for n in ("train", "dev", "test")}
        lexical = LexicalScorer.fit(split["train"], schema.event_types, seed=42)
        for b in args.weights:
            tagger = EventTagger.from_pretrained(f"{base}-model", precision="fp32")
            trained_with = tagger.lexical_weight  # the weight the CV itself ran with
            tagger.lexical_weight, tagger.lexical = b, (lexical if b else None)
            tune_tagger_thresholds(tagger, split["dev"], args.shrinkage, 64)
            metrics, _ = evaluate_tagger(tagger, split["test"])
            context, alone = metrics["events"]["macro_f1"], metrics["events_sentence_alone"]["macro_f1"]
            if b == trained_with and abs(context - fold_metrics["events"]["macro_f1"]) > 1e-9:
                raise SystemExit(f"fold {f}: b={b} gives {context:.4f}, the CV reported "
                                 f"{fold_metrics['events']['macro_f1']:.4f}: not the same pipeline")
            rows.append((f, b, context, alone))
            print(f"fold {f} b={b:.2f}: event macro-F1 in context {context:.4f}, alone {alone:.4f}", flush=True)
    for b in args.weights:
        picked = [r for r in rows if r[1] == b]
        print(f"b={b:.2f}: mean in context {sum(r[2] for r in picked) / len(picked):.4f}, "
              f"alone {sum(r[3] for r in picked) / len(picked):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
