"""Out-of-fold event scores split by where the sentences come from.

Input: the ``cv_predictions.jsonl`` written by ``sucesos evaluate --cv K``. Each sentence there was
scored by the fold model that did not train on it. The corpus mixes a few real news reports (the
``seed-*`` articles, whose text is the source's own) with many composed articles written in batches
(``en-h12-...``: batch h12); this prints event macro-/micro-F1 for each group, so a gap between real
and composed text shows up before anyone reads it off the small test split.

    python benchmarks/cv_by_source.py reports/cv5-context/cv_predictions.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import re

from sucesos.training.metrics.core import event_scores


def source_group(article_id: str) -> str:
    """``seed`` for real reports, ``hNN`` for a composed batch, ``other`` otherwise.

    >>> source_group("seed-002"), source_group("es-h31-2019-x"), source_group("misc")
    ('seed', 'h31', 'other')
    """
    if article_id.startswith("seed-"):
        return "seed"
    match = re.match(r"^[a-z]{2}-(h\d+)-", article_id)
    return match.group(1) if match else "other"


def scores_by_group(rows: list[dict], types: list[str]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = collections.defaultdict(list)
    for row in rows:
        group = source_group(row["article_id"])
        groups["real (seed)" if group == "seed" else "composed"].append(row)
        if group != "seed":  # the seed row would repeat "real (seed)"
            groups[group].append(row)
    table = {}
    for name, members in groups.items():
        result = event_scores(
            [r["events"] for r in members], [r["gold_events"] for r in members], types
        )
        table[name] = {
            "sentences": len(members),
            "articles": len({r["article_id"] for r in members}),
            "macro_f1": result["macro_f1"],
            "micro_f1": result["micro_f1"],
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="cv_predictions.jsonl from sucesos evaluate --cv")
    args = parser.parse_args()
    with open(args.predictions, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    types = list(rows[0]["scores"])
    table = scores_by_group(rows, types)

    def order(name: str):  # the two summary rows first, then batches in number order
        number = re.sub(r"\D", "", name)
        return (name not in ("real (seed)", "composed"), int(number) if number else -1, name)

    print("| group | articles | sentences | event macro-F1 | micro-F1 |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(table, key=order):
        row = table[name]
        print(
            f"| {name} | {row['articles']} | {row['sentences']} "
            f"| {row['macro_f1']:.3f} | {row['micro_f1']:.3f} |"
        )


if __name__ == "__main__":
    main()
