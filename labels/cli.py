"""``sucesos labels ...`` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from sucesos.errors import SucesosError
from sucesos.fileio import write_jsonl_atomic, write_text_atomic, write_json_atomic
from sucesos.labels import labelstudio
from sucesos.labels.corpus import check_record, load_corpus, validate_files
from sucesos.labels.paths import SPLITS, split_files
from sucesos.labels.schema import load_schema
from sucesos.labels.splits import assign_splits
from sucesos.labels.stats import corpus_stats, format_stats, split_name


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("labels", help="validate, count, split and convert labeled data")
    sub = parser.add_subparsers(dest="labels_command", required=True)
    schema_help = "label schema YAML (default: the shipped labels/schema.yaml)"

    p = sub.add_parser("validate", help="check corpus files; print file:line: problem for each defect")
    p.add_argument("files", nargs="*", help="JSONL files (default: the shipped train/dev/test splits)")
    p.add_argument("--schema", help=schema_help)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("stats", help="counts per type, role, language and split")
    p.add_argument("files", nargs="*", help="JSONL files, one per split (default: the shipped splits)")
    p.add_argument("--schema", help=schema_help)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("export-labelstudio", help="write a Label Studio JSON import file (+ labeling config)")
    p.add_argument("files", nargs="+")
    p.add_argument("--output", "-o", required=True, help="tasks JSON to write")
    p.add_argument("--config-output", help="also write the Label Studio labeling config XML here")
    p.add_argument("--schema", help=schema_help)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-labelstudio", help="convert a Label Studio JSON export back to corpus JSONL")
    p.add_argument("export", help="Label Studio JSON export")
    p.add_argument("--output", "-o", required=True, help="corpus JSONL to write")
    p.add_argument("--schema", help=schema_help)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("split", help="assign articles to train/dev/test (grouped, stratified) and write them")
    p.add_argument("files", nargs="+", help="labeled JSONL files to pool")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--schema", help=schema_help)
    p.set_defaults(handler=cmd_split)

    p = sub.add_parser("agreement", help="inter-annotator agreement of two labelings of the same sentences")
    p.add_argument("first", help="labeled JSONL (annotator A)")
    p.add_argument("second", help="labeled JSONL with the same sentence ids and texts (annotator B)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--output", "-o", help="also write the result as JSON here")
    p.add_argument("--schema", help=schema_help)
    p.set_defaults(handler=cmd_agreement)


def _files(args) -> list[str]:
    return args.files or [str(p) for p in split_files()]


def cmd_validate(args) -> int:
    schema = load_schema(args.schema)
    files = _files(args)
    problems = validate_files(files, schema)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    n = sum(1 for f in files for line in Path(f).read_text(encoding="utf-8").splitlines() if line.strip())
    print(f"ok: {n} sentences in {len(files)} file(s)")
    return 0


def cmd_stats(args) -> int:
    schema = load_schema(args.schema)
    files = _files(args)
    load_corpus(files, schema)  # refuse to count invalid data
    per_split = {split_name(f): load_corpus([f], schema) for f in files}
    stats = corpus_stats(per_split, schema)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats, schema))
    return 0


def cmd_export(args) -> int:
    schema = load_schema(args.schema)
    records = load_corpus(args.files, schema)
    write_json_atomic(args.output, labelstudio.to_tasks(records))
    if args.config_output:
        write_text_atomic(args.config_output, labelstudio.labeling_config(schema))
    print(f"wrote {len(records)} tasks to {args.output}")
    return 0


def cmd_import(args) -> int:
    schema = load_schema(args.schema)
    try:
        tasks = json.loads(Path(args.export).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SucesosError(f"cannot read Label Studio export: {exc}", path=args.export) from None
    records = labelstudio.from_tasks(tasks, where=args.export)
    tmp_problems = []
    for i, rec in enumerate(records):
        tmp_problems += [f"{args.export}: task {i}: {m}" for m in check_record(rec, schema)]
    if tmp_problems:
        raise SucesosError(tmp_problems[0] + (f" (and {len(tmp_problems) - 1} more)" if len(tmp_problems) > 1 else ""))
    write_jsonl_atomic(args.output, records)
    print(f"wrote {len(records)} sentences to {args.output}")
    return 0


def cmd_split(args) -> int:
    schema = load_schema(args.schema)
    records = load_corpus(args.files, schema)
    assignment = assign_splits(records, schema, seed=args.seed)
    by_split = defaultdict(list)
    for rec in records:
        by_split[assignment[rec["article_id"]]].append(rec)
    for split in SPLITS:
        write_jsonl_atomic(Path(args.output_dir) / f"{split}.jsonl", by_split[split])
        print(f"{split}: {len({r['article_id'] for r in by_split[split]})} articles, {len(by_split[split])} sentences")
    return 0


def cmd_agreement(args) -> int:
    # imported here: scikit-learn would add ~1.5 s to every other sucesos command's start-up
    from sucesos.labels.agreement import agreement, format_agreement

    schema = load_schema(args.schema)
    # Read separately: the two files hold the same ids by design.
    result = agreement(load_corpus([args.first], schema), load_corpus([args.second], schema), schema,
                       where_b=args.second)
    if args.output:
        write_json_atomic(args.output, result)
    print(json.dumps(result, indent=2) if args.json else format_agreement(result, args.first, args.second))
    return 0
