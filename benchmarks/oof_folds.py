"""Helpers shared by the scripts that re-check settings on a CV's out-of-fold predictions.

``nested_choice``: the nested estimate every such script reports (a candidate is picked on the
other folds only, so its gain is not chosen on the fold it is measured on); ``print_nested``
prints it, a line per fold and the summary line. ``held_out_positions``:
where a rebuilt fold's held-out sentences sit in ``cv_predictions.jsonl``, refusing a rebuild that
does not match the CV (other data, overrides or K than the CV ran with).

>>> scores = {("a", "f0"): 0.75, ("a", "f1"): 0.5, ("b", "f0"): 1.0, ("b", "f1"): 0.25}
>>> nested_choice(lambda c, f: scores[c, f], ["a", "b"], ["f0", "f1"], reference="a")
[('f0', 'a', 0.0), ('f1', 'b', -0.25)]
"""

from __future__ import annotations

from typing import Callable, Hashable, Sequence

import numpy as np


def nested_choice(score: Callable[[Hashable, str], float], candidates: Sequence, folds: Sequence[str],
                  reference) -> list[tuple[str, Hashable, float]]:
    """For each fold: the candidate with the best mean ``score`` over the other folds, and its gain
    on this fold over ``reference`` (the current setting)."""
    result = []
    for f in folds:
        chosen = max(candidates, key=lambda c: np.mean([score(c, g) for g in folds if g != f]))
        result.append((f, chosen, score(chosen, f) - score(reference, f)))
    return result


def print_nested(choices: list[tuple[str, Hashable, float]], describe: Callable[[str, Hashable, float], str]
                 ) -> list[float]:
    """Print ``describe(fold, chosen, gain)`` for each of ``nested_choice``'s folds, then the mean
    gain and how many folds gained; return the gains."""
    gains = [gain for _, _, gain in choices]
    for f, chosen, gain in choices:
        print(describe(f, chosen, gain))
    print(f"nested mean gain {np.mean(gains):+.4f}, better in {sum(g > 0 for g in gains)}/{len(choices)} folds")
    return gains


def held_out_positions(rows: list[dict], fold_index: int, held_out: list[dict]) -> list[int]:
    """Row numbers in ``rows`` (the CV's predictions) of a rebuilt fold's held-out sentences."""
    position = {r["id"]: i for i, r in enumerate(rows)}
    name = f"fold{fold_index}"
    held = [position.get(r["id"]) for r in held_out]
    if None in held or any(rows[i]["fold"] != name for i in held) or \
            sum(r["fold"] == name for r in rows) != len(held_out):
        raise SystemExit(f"fold {fold_index}: the rebuilt split does not match the CV's held-out sentences "
                         "(run with the config, overrides and --cv-extra-train the CV ran with)")
    return held
