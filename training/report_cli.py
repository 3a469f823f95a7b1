"""``sucesos evaluate`` (placeholder parser until the report module lands)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="score a trained model against labeled data and write a report")
    p.add_argument("--model", required=True)
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--output-dir", required=True)
    p.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args) -> int:
    from sucesos.training.report import run_evaluation

    return run_evaluation(args)
