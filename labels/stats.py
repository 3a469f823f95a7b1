"""Corpus statistics as a plain-text table (``sucesos labels stats``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sucesos.labels.schema import Schema


def corpus_stats(files_records: dict[str, list[dict]], schema: Schema) -> dict:
    """Counts per split (file stem) and in total.

    >>> from sucesos.labels import load_schema
    >>> rec = {"language": "es", "article_id": "a", "events": ["ambush"], "actors": [{"role": "VICTIM"}]}
    >>> stats = corpus_stats({"train": [rec]}, load_schema())
    >>> stats["total"]["events"]["ambush"], stats["total"]["roles"]["VICTIM"]
    (1, 1)
    """
    result = {}
    for split, records in list(files_records.items()) + [("total", [r for rs in files_records.values() for r in rs])]:
        events = Counter(e for r in records for e in r["events"])
        roles = Counter(a["role"] for r in records for a in r["actors"])
        result[split] = {
            "articles": len({r["article_id"] for r in records}),
            "sentences": len(records),
            "none": sum(1 for r in records if not r["events"]),
            "languages": dict(sorted(Counter(r["language"] for r in records).items())),
            "events": {t: events.get(t, 0) for t in schema.event_types},
            "roles": {t: roles.get(t, 0) for t in schema.roles},
            "spans": sum(roles.values()),
        }
    return result


def format_stats(stats: dict, schema: Schema) -> str:
    """Render :func:`corpus_stats` as a Markdown table (one column per split)."""
    columns = list(stats)
    languages = sorted({lang for s in stats.values() for lang in s["languages"]})
    rows = [("articles", [stats[c]["articles"] for c in columns]), ("sentences", [stats[c]["sentences"] for c in columns])]
    for lang in languages:
        rows.append((f"language {lang}", [_pct(stats[c]["languages"].get(lang, 0), stats[c]["sentences"]) for c in columns]))
    rows.append(("none (no event)", [_pct(stats[c]["none"], stats[c]["sentences"]) for c in columns]))
    rows += [(f"event {t}", [stats[c]["events"][t] for c in columns]) for t in schema.event_types]
    rows.append(("actor spans", [stats[c]["spans"] for c in columns]))
    rows += [(f"role {r}", [stats[c]["roles"][r] for c in columns]) for r in schema.roles]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'':{width}} | " + " | ".join(f"{c:>12}" for c in columns) + " |",
             f"|{'-' * (width + 2)}|" + "|".join("-" * 13 + ":" for _ in columns) + "|"]
    lines += [f"| {name:{width}} | " + " | ".join(f"{str(v):>12}" for v in values) + " |" for name, values in rows]
    return "\n".join(lines)


def _pct(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f}%)" if total else "0"


def split_name(path) -> str:
    return Path(path).stem
