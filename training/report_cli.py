"""``sucesos evaluate``: report on a trained model, K-fold CV, or cross-lingual transfer."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sucesos.errors import SucesosError

# a config override (training.epochs=5.0); --cv-extra-train's FILE... would otherwise swallow it
OVERRIDE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+=")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="score a model against labeled data and write a report",
                              description="Report mode: --model DIR --data FILE... --output-dir DIR. "
                                          "CV mode: --cv K --config CONFIG. Cross-lingual mode: --config CONFIG "
                                          "--train-language en --eval-language es.")
    p.add_argument("--model", help="trained model directory (report mode)")
    p.add_argument("--data", nargs="+", help="labeled JSONL files to evaluate on (report mode)")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--train-data", help="train split for the baselines (default: the model's data.train)")
    p.add_argument("--second-annotation", nargs="+", metavar="FILE",
                   help="the same sentences labeled by a second annotator, shown as a reference (report mode)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation grouped by article (trains K models)")
    p.add_argument("--keep-fold-models", action="store_true",
                   help="--cv: keep each fold's split files and model under OUTPUT_DIR/folds")
    p.add_argument("--cv-extra-train", nargs="+", action="extend", metavar="FILE",
                   help="--cv: labeled files added to every fold's training split, never held out "
                        "(folds stay those of the config's data, to measure what a new batch adds); "
                        "KEY=VALUE overrides written after the files still count as overrides")
    p.add_argument("--config", help="training config for --cv / cross-lingual modes")
    p.add_argument("--train-language")
    p.add_argument("--eval-language")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides (CV / cross-lingual)")
    p.set_defaults(handler=cmd_evaluate)


def split_overrides(files: list[str] | None, overrides: list[str]) -> tuple[list[str] | None, list[str]]:
    """Move ``section.key=value`` words that ``--cv-extra-train FILE...`` took (argparse gives a
    flag with ``nargs="+"`` every following word) back to the overrides; existing files stay files.

    >>> split_overrides(["b.jsonl", "training.epochs=5.0"], ["seed.x=1"])
    (['b.jsonl'], ['seed.x=1', 'training.epochs=5.0'])
    """
    if not files:
        return files, overrides
    moved = [w for w in files if OVERRIDE.match(w) and not Path(w).exists()]
    if len(moved) == len(files):
        raise SucesosError(f"--cv-extra-train needs at least one FILE before the overrides ({' '.join(moved)})")
    return [w for w in files if w not in moved], list(overrides) + moved


def cmd_evaluate(args) -> int:
    from sucesos.training.evaluation import headline

    args.cv_extra_train, args.overrides = split_overrides(args.cv_extra_train, args.overrides)

    if args.cv or args.train_language or args.eval_language:
        from sucesos.training import crossval
        from sucesos.training.config import load_config

        if not args.config:
            raise SucesosError("--cv and cross-lingual modes need --config")
        config = load_config(args.config, args.overrides)
        if args.cv:
            result = crossval.cross_validate(config, args.cv, args.output_dir, keep_models=args.keep_fold_models,
                                             extra_train=args.cv_extra_train)
        else:
            if not (args.train_language and args.eval_language):
                raise SucesosError("cross-lingual mode needs both --train-language and --eval-language")
            result = crossval.cross_lingual(config, args.train_language, args.eval_language, args.output_dir)
        for key, v in result["summary"].items():
            std = f" ± {v['std']:.3f}" if v["std"] is not None else ""
            mean = "n/a" if v["mean"] is None else f"{v['mean']:.3f}"
            print(f"{key}: {mean}{std}")
        return 0
    if not args.model or not args.data:
        raise SucesosError("report mode needs --model and --data")
    from sucesos.training.report import run_report

    report = run_report(args.model, args.data, args.output_dir, args.train_data, args.bootstrap,
                        second_annotation=args.second_annotation)
    print(headline(report["metrics"]))
    print(f"report: {args.output_dir}/report.html, report.md, metrics.json", file=sys.stderr)
    return 0
