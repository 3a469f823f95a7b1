"""Hand-computed values for ``event_scores`` / ``span_scores`` and the local ``evaluate`` modules."""

from __future__ import annotations

import pytest

from sucesos.training.metrics import load_metric
from sucesos.training.metrics.core import event_scores, span_scores



def approx(expected):
    """``pytest.approx`` for nested dicts/lists (None compares equal only to None)."""
    if isinstance(expected, dict):
        return _Nested(expected)
    if isinstance(expected, (list, tuple)):
        return pytest.approx(expected)
    return pytest.approx(expected) if expected is not None else None


class _Nested:
    def __init__(self, expected):
        self.expected = expected

    def __eq__(self, actual):
        return _same(actual, self.expected)

    def __repr__(self):
        return f"approx({self.expected!r})"


def _same(actual, expected) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and all(
            _same(actual[k], expected[k]) for k in expected)
    if expected is None or isinstance(expected, (str, bool)):
        return actual == expected and type(actual) is type(expected)
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and actual == pytest.approx(expected)
    return actual == expected

# ------------------------------------------------------------------ events
TYPES = ["ambush", "arrest", "threat", "kidnapping"]
# 4 sentences
EV_PRED = [["ambush", "arrest"], ["ambush"], [], ["threat"]]
EV_GOLD = [["ambush"], ["arrest"], [], ["threat"]]
# ambush:     pred in s0,s1; gold in s0        -> tp 1, pred 2, gold 1 -> P 1/2, R 1,   F1 2/3
# arrest:     pred in s0;    gold in s1        -> tp 0, pred 1, gold 1 -> P 0,   R 0,   F1 0
# threat:     pred in s3;    gold in s3        -> tp 1, pred 1, gold 1 -> P 1,   R 1,   F1 1
# kidnapping: no pred, no gold                 -> None everywhere, left out of the macro average
# macro over 3 present types: P (1/2+0+1)/3 = 1/2, R (1+0+1)/3 = 2/3, F1 (2/3+0+1)/3 = 5/9
# micro: tp 2, pred 4, gold 3 -> P 1/2, R 2/3, F1 2*(1/2)(2/3)/(1/2+2/3) = (2/3)/(7/6) = 4/7
# exact match: s0 no, s1 no, s2 yes ([] == []), s3 yes -> 2/4
EV_EXPECTED = {
    "per_type": {
        "ambush": {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1, "predicted": 2},
        "arrest": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 1},
        "threat": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1},
        "kidnapping": {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0},
    },
    "macro_precision": 0.5, "macro_recall": 2 / 3, "macro_f1": 5 / 9,
    "micro_precision": 0.5, "micro_recall": 2 / 3, "micro_f1": 4 / 7,
    "exact_match": 0.5, "n_sentences": 4,
}


def test_event_scores_hand_computed():
    assert event_scores(EV_PRED, EV_GOLD, TYPES) == approx(EV_EXPECTED)


def test_event_type_without_gold_or_prediction_is_excluded_from_macro():
    # same data scored with only the three present types: identical macro
    three = event_scores(EV_PRED, EV_GOLD, TYPES[:3])
    assert three["macro_f1"] == approx(5 / 9)
    assert event_scores(EV_PRED, EV_GOLD, TYPES)["per_type"]["kidnapping"]["f1"] is None


def test_event_type_with_only_false_positives_counts_as_zero():
    # kidnapping predicted once, never gold: P 0 (0/1), R 0 (zero_division=0), F1 0 -> in the macro
    # macro F1 = (2/3 + 0 + 1 + 0) / 4 = 5/12
    pred = [p + (["kidnapping"] if i == 2 else []) for i, p in enumerate(EV_PRED)]
    res = event_scores(pred, EV_GOLD, TYPES)
    assert res["per_type"]["kidnapping"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 1}
    assert res["macro_f1"] == approx(5 / 12)
    # micro: tp 2, pred 5, gold 3 -> P 2/5, R 2/3, F1 2*(2/5)(2/3)/(2/5+2/3) = (8/15)/(16/15) = 1/2
    assert (res["micro_precision"], res["micro_recall"], res["micro_f1"]) == approx((0.4, 2 / 3, 0.5))
    assert res["exact_match"] == approx(0.25)


def test_event_scores_nothing_anywhere():
    res = event_scores([[], []], [[], []], ["ambush"])
    assert res["macro_f1"] is None and res["micro_f1"] is None
    assert res["exact_match"] == 1.0
    empty = event_scores([], [], ["ambush"])
    assert empty["exact_match"] is None and empty["n_sentences"] == 0


def test_event_scores_single_type_is_not_read_as_binary():
    # one label column: tp 1, pred 1, gold 2 -> P 1, R 1/2, F1 2/3
    res = event_scores([["ambush"], []], [["ambush"], ["ambush"]], ["ambush"])
    assert res["per_type"]["ambush"]["f1"] == approx(2 / 3)
    assert res["macro_f1"] == approx(2 / 3)


def test_event_scores_length_mismatch():
    with pytest.raises(ValueError):
        event_scores([[]], [[], []], TYPES)


# ------------------------------------------------------------------ spans
ROLES = ["PERPETRATOR", "VICTIM", "AUTHORITY"]
P, V, A = ROLES


def test_span_scores_strict_vs_overlap():
    gold = [[(0, 6, P), (16, 31, V)], [(0, 11, A)]]
    pred = [[(0, 6, P), (18, 31, V)], [(0, 11, V)]]
    # strict: P: (0,6) exact -> tp 1/1/1 -> F1 1
    #         V: (18,31) vs (16,31) not exact; (0,11,V) vs no gold V in s1 -> tp 0, pred 2, gold 1 -> F1 0
    #         A: gold 1, pred 0 -> P 0, R 0, F1 0
    #         micro: tp 1, pred 3, gold 3 -> 1/3, 1/3, 1/3; macro (1+0+0)/3 = 1/3
    # overlap: V (18,31) shares 13 chars with (16,31) -> tp 1, pred 2, gold 1 -> P 1/2, R 1, F1 2/3
    #          (the role must match: (0,11,V) does not match the AUTHORITY span)
    #         micro: tp 2, pred 3, gold 3 -> 2/3 each; macro (1 + 2/3 + 0)/3 = 5/9
    res = span_scores(pred, gold, ROLES)
    s, o = res["strict"], res["overlap"]
    assert s["per_role"][P] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1}
    assert s["per_role"][V] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 2}
    assert s["per_role"][A] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert (s["micro_precision"], s["micro_recall"], s["micro_f1"], s["macro_f1"]) == approx((1 / 3,) * 4)
    assert o["per_role"][V] == approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1, "predicted": 2})
    assert o["per_role"][A]["f1"] == 0.0
    assert (o["micro_precision"], o["micro_recall"], o["micro_f1"]) == approx((2 / 3,) * 3)
    assert o["macro_f1"] == approx(5 / 9)


def test_two_predictions_overlapping_one_gold_span():
    gold = [[(10, 30, V)]]
    pred = [[(10, 18, V), (20, 30, V)]]
    # overlap, one-to-one: (20,30) shares 10 chars, (10,18) 8 -> (20,30) matched; (10,18) is a FP
    #   tp 1, pred 2, gold 1 -> P 1/2, R 1, F1 2/3
    # strict: no exact match -> tp 0 -> P 0, R 0, F1 0
    res = span_scores(pred, gold, [V])
    assert res["overlap"]["per_role"][V] == approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                                                   "support": 1, "predicted": 2})
    assert res["strict"]["per_role"][V]["f1"] == 0.0


def test_one_long_prediction_cannot_claim_two_gold_spans():
    gold = [[(0, 5, P), (10, 20, P)]]
    pred = [[(0, 20, P)]]
    # overlap: tp 1 (largest overlap: [10,20) with 10 chars), pred 1, gold 2 -> P 1, R 1/2, F1 2/3
    res = span_scores(pred, gold, [P])
    assert res["overlap"]["per_role"][P] == approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3,
                                                   "support": 2, "predicted": 1})


def test_overlap_matching_is_globally_sensible():
    # pred a=(0,10) overlaps g1=(0,4) by 4 and g2=(6,14) by 4; pred b=(8,14) overlaps g2 by 6
    # largest first: (b,g2)=6, then (a,g1)=4 -> 2 matches (a greedy "first pred first" would give 1)
    gold = [[(0, 4, V), (6, 14, V)]]
    pred = [[(0, 10, V), (8, 14, V)]]
    res = span_scores(pred, gold, [V])
    assert res["overlap"]["per_role"][V]["f1"] == 1.0
    assert res["strict"]["per_role"][V]["f1"] == 0.0


def test_touching_spans_do_not_overlap():
    # [0,5) and [5,9) share no character
    res = span_scores([[(5, 9, V)]], [[(0, 5, V)]], [V])
    assert res["overlap"]["per_role"][V]["f1"] == 0.0


def test_duplicate_predictions_count_once_in_strict():
    # two identical predictions for one gold span: 1 TP + 1 FP -> P 1/2, R 1, F1 2/3
    res = span_scores([[(0, 6, P), (0, 6, P)]], [[(0, 6, P)]], [P])
    assert res["strict"]["per_role"][P] == approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                                                  "support": 1, "predicted": 2})
    assert res["overlap"]["per_role"][P]["f1"] == approx(2 / 3)


def test_empty_span_lists():
    res = span_scores([[], []], [[], []], ROLES)
    for mode in ("strict", "overlap"):
        assert res[mode]["macro_f1"] is None
        assert res[mode]["micro_f1"] is None
        assert all(v["f1"] is None for v in res[mode]["per_role"].values())
    # gold spans but no predictions: recall 0, precision 0 (zero_division=0)
    res = span_scores([[]], [[(0, 3, P)]], ROLES)
    assert res["strict"]["per_role"][P] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert res["strict"]["per_role"][V]["f1"] is None
    assert res["strict"]["macro_f1"] == 0.0  # only PERPETRATOR is present
    # no sentences at all
    assert span_scores([], [], ROLES)["overlap"]["micro_f1"] is None


def test_span_scores_length_mismatch():
    with pytest.raises(ValueError):
        span_scores([[]], [], ROLES)


# ------------------------------------------------------------------ local evaluate modules
@pytest.fixture(scope="module")
def event_metric():
    return load_metric("event_f1")


@pytest.fixture(scope="module")
def span_metric():
    return load_metric("span_f1")


def test_load_metric_unknown_name():
    with pytest.raises(ValueError, match="unknown metric"):
        load_metric("accuracy")


def test_event_metric_module_matches_core(event_metric):
    res = event_metric.compute(predictions=EV_PRED, references=EV_GOLD, labels=TYPES)
    assert res == approx(EV_EXPECTED)


def _dicts(batch):
    return [[{"start": s, "end": e, "role": r} for s, e, r in spans] for spans in batch]


def test_span_metric_module_matches_core(span_metric):
    gold = [[(0, 6, P), (16, 31, V)], [(0, 11, A)], [], [(10, 30, V)]]
    pred = [[(0, 6, P), (18, 31, V)], [(0, 11, V)], [(2, 4, P)], [(10, 18, V), (20, 30, V)]]
    res = span_metric.compute(predictions=_dicts(pred), references=_dicts(gold), roles=ROLES)
    assert res == approx(span_scores(pred, gold, ROLES))
    # by hand: overlap VICTIM: s0 (18,31)~(16,31) TP, s1 (0,11,V) FP, s3 1 TP + 1 FP -> tp 2, pred 4, gold 2
    #   P 1/2, R 1, F1 2/3
    assert res["overlap"]["per_role"][V]["f1"] == approx(2 / 3)
    # strict PERPETRATOR: s0 exact TP, s2 (2,4) FP -> P 1/2, R 1, F1 2/3
    assert res["strict"]["per_role"][P]["f1"] == approx(2 / 3)


def test_span_metric_module_all_empty(span_metric):
    res = span_metric.compute(predictions=[[], []], references=[[], []], roles=ROLES)
    assert res["strict"]["micro_f1"] is None and res["overlap"]["macro_f1"] is None


def test_threshold_shrinkage_moves_tuned_thresholds_towards_default():
    import numpy as np

    from sucesos.training.evaluation import tune_thresholds

    # type a: positives score 0.3 and 0.25, the negative 0.1 -> 0.15, 0.2 and 0.25 all give F1 1.0 and
    # the tie goes to the one nearest 0.5; type b has no positive -> the default
    probs = np.array([[0.3, 0.9], [0.25, 0.1], [0.1, 0.2]])
    gold = [{"events": ["a"]}, {"events": ["a"]}, {"events": []}]
    tuned = tune_thresholds(probs, gold, ["a", "b"])
    assert tuned == {"a": 0.25, "b": 0.5}
    assert tune_thresholds(probs, gold, ["a", "b"], shrinkage=0.5) == {"a": 0.375, "b": 0.5}
    assert tune_thresholds(probs, gold, ["a", "b"], shrinkage=1.0) == {"a": 0.5, "b": 0.5}
