"""A fixed, article-grouped, stratified train/dev/test split.

The split is computed once (``sucesos labels split``) and stored as three files, so every run
uses the same one. Sentences of one article never cross splits.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from sucesos.errors import SucesosError
from sucesos.labels.schema import Schema


def _covers(records: list[dict], schema: Schema, languages: set[str]) -> bool:
    """Each split must hold every event type, every role and every language."""
    events = {e for r in records for e in r["events"]}
    roles = {a["role"] for r in records for a in r["actors"]}
    langs = {r["language"] for r in records}
    return set(schema.event_types) <= events and set(schema.roles) <= roles and languages <= langs


def assign_splits(records: list[dict], schema: Schema, fractions=(0.7, 0.15, 0.15),
                  seed: int = 13, tries: int = 2000) -> dict[str, str]:
    """Map ``article_id`` → ``train``/``dev``/``test``.

    Articles are shuffled per language (so both languages are spread across splits) and cut by
    sentence count; among ``tries`` seeded shuffles, the one whose per-type proportions in dev and
    test are closest to the corpus-wide ones, with every type/role/language present, wins.
    """
    by_article: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_article[r["article_id"]].append(r)
    languages = {r["language"] for r in records}
    total = Counter(e for r in records for e in r["events"])
    rng = random.Random(seed)
    best, best_cost = None, float("inf")
    for _ in range(tries):
        assignment: dict[str, str] = {}
        for lang in sorted(languages):
            arts = sorted(a for a, rs in by_article.items() if rs[0]["language"] == lang)
            rng.shuffle(arts)
            n_sent = sum(len(by_article[a]) for a in arts)
            acc = 0
            for a in arts:
                frac = acc / n_sent
                assignment[a] = "test" if frac < fractions[2] else "dev" if frac < fractions[2] + fractions[1] else "train"
                acc += len(by_article[a])
        splits = {s: [r for a, rs in by_article.items() if assignment[a] == s for r in rs] for s in ("train", "dev", "test")}
        if not all(_covers(rs, schema, languages) for rs in splits.values()):
            continue
        cost = 0.0
        for name, frac in (("dev", fractions[1]), ("test", fractions[2])):
            counts = Counter(e for r in splits[name] for e in r["events"])
            cost += sum(abs(counts[t] / max(total[t], 1) - frac) for t in schema.event_types)
        if cost < best_cost:
            best, best_cost = assignment, cost
    if best is None:
        raise SucesosError("no split puts every event type, role and language in train, dev and test; "
                           "label more articles for the rare types")
    return best
