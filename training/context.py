"""Article context for event scores: each sentence's event logits nudged by the other sentences'.

Why: many sentences name their event only through the article around them ("The truck had been
hit by about 20 bullets" is an armed attack because the sentence before says who fired), and
annotators label them from that context. Re-encoding neighbouring text with every sentence was
tried and hurt (benchmarks/README.md); this instead reuses the scores already computed. For
each event type t, with z the logit of a sentence's own score:

    z'_t = z_t + neighbour_weight * max(z_t of the previous and the next sentence)
               + article_weight  * max(z_t of every other sentence of the article)

The two weights are hyperparameters chosen by cross-validation on out-of-fold scores; the
thresholds applied to in-context scores are tuned on dev separately from the sentence-alone
ones. An article of one sentence has no context and is scored as a sentence alone.

>>> import numpy as np
>>> probs = np.array([[0.9, 0.01], [0.3, 0.01]])      # two sentences of one article, two types
>>> out = contextual_probabilities(probs, neighbour_weight=0.3, article_weight=0.1)
>>> bool(out[1, 0] > probs[1, 0]), bool(out[1, 1] < probs[1, 1])
(True, True)
"""

from __future__ import annotations

import numpy as np

# Scores are clipped to [FLOOR, 1 - FLOOR] before taking logits, so that one sentence scored
# 0.0 or 1.0 (scores are rounded to 4 decimals) moves its neighbours by a bounded amount.
FLOOR = 1e-4


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of scores clipped to [FLOOR, 1 - FLOOR] (also used by the lexical blend)."""
    p = np.clip(p, FLOOR, 1 - FLOOR)
    return np.log(p / (1 - p))


def contextual_probabilities(probs: np.ndarray, neighbour_weight: float, article_weight: float) -> np.ndarray:
    """In-context scores of ONE article's sentences, given in reading order (shape: sentences x types)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < 2:
        raise ValueError("article context needs a 2-D array with at least two sentences")
    z = logit(probs)
    floor = np.full((1, z.shape[1]), -np.inf)
    previous = np.vstack([floor, z[:-1]])
    following = np.vstack([z[1:], floor])
    neighbour = np.maximum(previous, following)
    # max over the OTHER sentences: the article maximum, or the runner-up for the sentence holding it
    ranked = np.sort(z, axis=0)
    others = np.where(z >= ranked[-1], ranked[-2], ranked[-1])
    adjusted = z + neighbour_weight * neighbour + article_weight * others
    return 1.0 / (1.0 + np.exp(-adjusted))


def article_groups(keys) -> list[list[int]]:
    """Positions of the sentences of each article, articles in order of first appearance and
    sentences in the order given.

    >>> article_groups(["a", "a", "b", "a"])
    [[0, 1, 3], [2]]
    """
    groups: dict = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return list(groups.values())
