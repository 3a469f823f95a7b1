"""Out-of-fold event scores split by where the sentences come from.

Input: the ``cv_predictions.jsonl`` written by ``sucesos evaluate --cv K``. Each sentence there was
scored by the fold model that did not train on it. The corpus mixes a few real news reports (the
``seed-*`` articles, whose text is the source's own) with many composed articles written in batches
(``en-h12-...``: batch h12); this prints event macro-/micro-F1 for each group, so a gap between real
and composed text shows up before anyone reads it off the small test split.

    python benchmarks/cv_by_source.py reports/cv5-context/cv_predictions.jsonl

``--split NAME=FILE`` (repeatable) adds a row per fixed split: the out-of-fold scores of the
sentences of that file, e.g. the shipped test split's, against the rest. ``--tfidf`` also refits
the CV's TF-IDF + logistic-regression baseline on every fold's training sentences (the folds are
rebuilt from the config the CV ran with, and checked sentence by sentence against the CV's) and
adds its out-of-fold macro-F1 per row, so each group's margin is read off the same sentences::

    python benchmarks/cv_by_source.py reports/cv5-h36-h91-e5-fused/cv_predictions.jsonl \\
        --split test=labels/corpus/test.jsonl --split dev=labels/corpus/dev.jsonl \\
        --tfidf --config training/configs/default.yaml data.train=/tmp/train_before.jsonl \\
        --cv-extra-train /tmp/batches_all7.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import re

from oof_folds import held_out_positions

from sucesos.training.metrics.core import event_scores

REST = "not in any --split"


def source_group(article_id: str) -> str:
    """``seed`` for real reports, ``hNN`` for a composed batch, ``other`` otherwise.

    >>> source_group("seed-002"), source_group("es-h31-2019-x"), source_group("misc")
    ('seed', 'h31', 'other')
    """
    if article_id.startswith("seed-"):
        return "seed"
    match = re.match(r"^[a-z]{2}-(h\d+)-", article_id)
    return match.group(1) if match else "other"


def group_members(rows: list[dict], splits: dict[str, set[str]]) -> dict[str, list[int]]:
    """Row indices of each group: real vs composed, each batch, and each fixed split (and the rest)."""
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for i, row in enumerate(rows):
        group = source_group(row["article_id"])
        groups["real (seed)" if group == "seed" else "composed"].append(i)
        if group != "seed":  # the seed row would repeat "real (seed)"
            groups[group].append(i)
        if splits:
            keys = [f"split {name}" for name, ids in splits.items() if row["id"] in ids]
            for key in keys or [REST]:
                groups[key].append(i)
    return groups


def scores_by_group(rows: list[dict], types: list[str], splits: dict[str, set[str]] | None = None,
                    baseline: list[list[str]] | None = None) -> dict[str, dict]:
    """Event macro-/micro-F1 of each group; ``baseline``: another system's events for the same rows
    (the TF-IDF baseline's out-of-fold predictions), scored on the same members."""
    table = {}
    for name, members in group_members(rows, splits or {}).items():
        gold = [rows[i]["gold_events"] for i in members]
        result = event_scores([rows[i]["events"] for i in members], gold, types)
        table[name] = {
            "sentences": len(members),
            "articles": len({rows[i]["article_id"] for i in members}),
            "macro_f1": result["macro_f1"],
            "micro_f1": result["micro_f1"],
        }
        if baseline is not None:
            table[name]["tfidf_macro_f1"] = event_scores([baseline[i] for i in members], gold, types)["macro_f1"]
    return table


def read_split(spec: str) -> tuple[str, set[str]]:
    """``NAME=FILE`` -> (NAME, the sentence ids in FILE)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise SystemExit(f"--split {spec}: expected NAME=FILE, e.g. test=labels/corpus/test.jsonl")
    with open(path, encoding="utf-8") as handle:
        return name, {json.loads(line)["id"] for line in handle if line.strip()}


def tfidf_out_of_fold(rows: list[dict], types: list[str], config_path: str, overrides: list[str],
                      extra_files: list[str], k: int) -> list[list[str]]:
    """The CV's TF-IDF baseline refitted on each fold's training sentences, events per row.

    The folds are rebuilt as ``sucesos evaluate --cv`` built them (``fold_splits``); a fold whose
    held-out sentences differ from the CV's stops the script (wrong config, overrides or files)."""
    from sucesos.labels.corpus import load_corpus
    from sucesos.labels.schema import load_schema
    from sucesos.training.baseline import TfidfLogReg
    from sucesos.training.config import load_config
    from sucesos.training.crossval import fold_splits, pool_records

    config = load_config(config_path, overrides)
    schema = load_schema(config.data.schema)
    extra = load_corpus(extra_files, schema) if extra_files else []
    events: list[list[str] | None] = [None] * len(rows)
    for f, (train, _dev, test) in enumerate(fold_splits(pool_records(config, schema), extra, k)):
        held = held_out_positions(rows, f, test)
        model = TfidfLogReg(types, seed=config.training.seed).fit(train)
        for i, predicted in zip(held, model.predict([r["text"] for r in test])):
            events[i] = predicted
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="cv_predictions.jsonl from sucesos evaluate --cv")
    parser.add_argument("--split", action="append", default=[], metavar="NAME=FILE",
                        help="also score the sentences of this labeled file apart (repeatable)")
    parser.add_argument("--tfidf", action="store_true", help="add the TF-IDF baseline's out-of-fold macro-F1")
    parser.add_argument("--config", help="with --tfidf: the config the CV ran with")
    parser.add_argument("overrides", nargs="*", help="with --tfidf: the dotted overrides the CV ran with")
    parser.add_argument("--cv-extra-train", nargs="*", default=[])
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_intermixed_args()
    if args.tfidf and not args.config:
        parser.error("--tfidf needs --config (and the overrides the CV ran with)")
    with open(args.predictions, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    types = list(rows[0]["scores"])
    splits = dict(read_split(spec) for spec in args.split)
    baseline = tfidf_out_of_fold(rows, types, args.config, args.overrides, args.cv_extra_train, args.k) \
        if args.tfidf else None
    table = scores_by_group(rows, types, splits, baseline)

    def order(name: str):  # the summary rows first, then the splits, then batches in number order
        number = re.sub(r"\D", "", name)
        first = name in ("real (seed)", "composed")
        split = name.startswith("split ") or name == REST
        return (not first, not split, int(number) if number and not split else -1, name)

    extra_head, extra_rule = (" TF-IDF macro-F1 | margin |", "---:|---:|") if baseline else ("", "")
    print(f"| group | articles | sentences | event macro-F1 | micro-F1 |{extra_head}")
    print(f"|---|---:|---:|---:|---:|{extra_rule}")
    for name in sorted(table, key=order):
        row = table[name]
        tail = f" {row['tfidf_macro_f1']:.3f} | {row['macro_f1'] - row['tfidf_macro_f1']:+.3f} |" if baseline else ""
        print(f"| {name} | {row['articles']} | {row['sentences']} | {row['macro_f1']:.3f} | {row['micro_f1']:.3f} |{tail}")


if __name__ == "__main__":
    main()
