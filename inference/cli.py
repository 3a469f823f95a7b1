"""``sucesos predict`` (filled in by the batch inference module)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    from sucesos.inference.batch import add_predict_parser

    add_predict_parser(subparsers)
