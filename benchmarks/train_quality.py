"""Train the default model and a TF-IDF + logistic-regression baseline on the same split.

    python benchmarks/train_quality.py [--config training/configs/default.yaml] [KEY=VALUE ...] [--output bench.json]
"""

from __future__ import annotations

import argparse
import json
import time

from sucesos.labels.corpus import load_corpus
from sucesos.labels.schema import load_schema
from sucesos.training.baseline import TfidfLogReg
from sucesos.training.config import load_config
from sucesos.training.metrics.core import event_scores
from sucesos.training.trainer import run_training


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="training/configs/default.yaml")
    parser.add_argument("--output")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    config = load_config(args.config, args.overrides + ["output.dir=models/bench-train-quality"])
    schema = load_schema(config.data.schema)
    train = load_corpus([config.data.train], schema)
    test = load_corpus([config.data.test], schema)

    t0 = time.time()
    baseline = TfidfLogReg(schema.event_types).fit(train)
    base = event_scores(baseline.predict([r["text"] for r in test]), [r["events"] for r in test], schema.event_types)
    base_seconds = time.time() - t0

    t0 = time.time()
    metrics = run_training(config, overwrite=True)["test"]
    model_seconds = time.time() - t0

    rows = [("system", "train+eval s", "event macro-F1", "event micro-F1", "actor overlap F1", "actor strict F1"),
            ("TF-IDF + LR", f"{base_seconds:.1f}", f"{base['macro_f1']:.3f}", f"{base['micro_f1']:.3f}", "-", "-"),
            ("sucesos default", f"{model_seconds:.1f}", f"{metrics['events']['macro_f1']:.3f}",
             f"{metrics['events']['micro_f1']:.3f}", f"{metrics['actors']['overlap']['micro_f1']:.3f}",
             f"{metrics['actors']['strict']['micro_f1']:.3f}")]
    for row in rows:
        print(" | ".join(f"{c:>16}" for c in row))
    print("per type F1 (model / baseline):")
    for t in schema.event_types:
        m, b = metrics["events"]["per_type"][t]["f1"], base["per_type"][t]["f1"]
        print(f"  {t:18} {m if m is None else round(m, 3)} / {b if b is None else round(b, 3)}")
    for lang, lm in metrics["by_language"].items():
        print(f"  [{lang}] event macro-F1 {lm['events']['macro_f1']:.3f} actor overlap F1 {lm['actors']['overlap']['micro_f1']:.3f}")
    if args.output:
        with open(args.output, "w") as fh:
            json.dump({"baseline": base, "model": metrics, "seconds": {"baseline": base_seconds, "model": model_seconds}},
                      fh, indent=2)


if __name__ == "__main__":
    main()
