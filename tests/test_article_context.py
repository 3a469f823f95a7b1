"""Article context: the score adjustment itself, and how the tagger applies it (and when not)."""

import numpy as np
import pytest

from sucesos.errors import SucesosError
from sucesos.training.context import FLOOR, article_groups, contextual_probabilities

ARTICLE = ("Gunmen ambushed a police convoy near Aguililla. The officers returned fire for an hour. "
           "Federal agents later arrested two suspects.")


def _logit(p):
    p = np.clip(p, FLOOR, 1 - FLOOR)
    return np.log(p / (1 - p))


def test_adjustment_matches_the_formula():
    probs = np.array([[0.9, 0.2], [0.3, 0.01], [0.05, 0.6], [0.4, 0.0]])
    out = contextual_probabilities(probs, neighbour_weight=0.3, article_weight=0.1)
    z = _logit(probs)
    # sentence 1: neighbours are sentences 0 and 2; the others' maximum is sentence 0 (type 0), 2 (type 1)
    expected = z[1] + 0.3 * np.maximum(z[0], z[2]) + 0.1 * np.array([z[0, 0], z[2, 1]])
    np.testing.assert_allclose(out[1], 1 / (1 + np.exp(-expected)))
    # sentence 0 holds the article maximum of type 0, so its article term is the runner-up (sentence 3)
    assert out[0, 0] == pytest.approx(1 / (1 + np.exp(-(z[0, 0] + 0.3 * z[1, 0] + 0.1 * z[3, 0]))))
    # the first and last sentences have one neighbour each
    assert out[3, 1] == pytest.approx(1 / (1 + np.exp(-(z[3, 1] + 0.3 * z[2, 1] + 0.1 * z[2, 1]))))


def test_a_likely_neighbour_raises_a_sentence_more_than_a_distant_one():
    probs = np.array([[0.95], [0.3], [0.3], [0.3]])
    out = contextual_probabilities(probs, neighbour_weight=0.3, article_weight=0.1)
    assert out[1, 0] > out[2, 0] and out[1, 0] > probs[1, 0]
    # unlikely everywhere: context pushes a doubtful sentence down, not up
    low = contextual_probabilities(np.array([[0.01], [0.4], [0.01]]), 0.3, 0.1)
    assert low[1, 0] < 0.4


def test_zero_weights_change_nothing_and_one_sentence_is_refused():
    probs = np.array([[0.9, 0.2], [0.3, 0.5]])
    np.testing.assert_allclose(contextual_probabilities(probs, 0.0, 0.0), probs)
    with pytest.raises(ValueError, match="at least two sentences"):
        contextual_probabilities(probs[:1], 0.3, 0.1)


def test_article_groups_keep_first_appearance_order():
    assert article_groups(["b", "a", "b", "c", "a"]) == [[0, 2], [1, 4], [3]]
    assert article_groups([]) == []


@pytest.fixture()
def tagger(tiny_encoder):
    """An untrained tiny model with context weights and two deliberately different threshold sets."""
    from transformers import AutoConfig, AutoTokenizer

    from sucesos.inference import EventTagger
    from sucesos.training.modeling import SucesosModel

    types = ["ambush", "firefight", "arrest"]
    model = SucesosModel.from_encoder_config(
        AutoConfig.from_pretrained(tiny_encoder), types, ["PERPETRATOR", "VICTIM"], max_seq_length=64,
        context_neighbour_weight=0.3, context_article_weight=0.1,
        thresholds={t: 1.0 for t in types}, context_thresholds={t: 0.0 for t in types})
    return EventTagger(model, AutoTokenizer.from_pretrained(tiny_encoder), device="cpu", precision="fp32")


def test_articles_are_scored_in_context_with_their_own_thresholds(tagger):
    article = tagger.predict(ARTICLE, language="en")
    sentences = [s["text"] for s in article["sentences"]]
    assert len(sentences) == 3
    alone = tagger.predict_sentences(sentences)
    probs = np.array([[r["scores"][t] for t in tagger.event_types] for r in alone])
    expected = np.round(contextual_probabilities(probs, 0.3, 0.1), 4)
    got = np.array([[s["scores"][t] for t in tagger.event_types] for s in article["sentences"]])
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert not np.allclose(got, probs)
    assert all(s["events"] == tagger.event_types for s in article["sentences"])  # in-context thresholds: 0
    assert all(r["events"] == [] for r in alone)  # sentence-alone thresholds: 1
    assert article["summary"]["events"] == {t: max(got[:, j]) for j, t in enumerate(tagger.event_types)}
    # the same through predict_sentences when it is told the sentences form one article
    told = tagger.predict_sentences(sentences, articles=["x"] * 3)
    assert [(r["scores"], r["events"]) for r in told] == [(s["scores"], s["events"]) for s in article["sentences"]]


def test_one_sentence_articles_and_context_off_score_sentences_alone(tagger, tiny_encoder):
    from sucesos.inference import EventTagger

    text = "Gunmen ambushed a police convoy near Aguililla."
    one = tagger.predict(text, language="en")["sentences"][0]
    alone = tagger.predict_sentences(text)
    assert one["scores"] == alone["scores"] and one["events"] == alone["events"] == []
    off = EventTagger(tagger.model, tagger.tokenizer, device="cpu", precision="fp32", article_context=False)
    assert off.context_weights is None
    sentences = [s["text"] for s in off.predict(ARTICLE, language="en")["sentences"]]
    assert [s["scores"] for s in off.predict(ARTICLE, language="en")["sentences"]] == \
        [r["scores"] for r in off.predict_sentences(sentences)]
    # a model saved without context weights (both 0) has no context either
    tagger.model.config.context_neighbour_weight = tagger.model.config.context_article_weight = 0.0
    assert EventTagger(tagger.model, tagger.tokenizer, device="cpu").context_weights is None


def test_an_explicit_threshold_applies_in_context_too(tagger):
    from sucesos.inference import EventTagger

    chosen = EventTagger(tagger.model, tagger.tokenizer, device="cpu", precision="fp32",
                         thresholds={"ambush": 0.5, "firefight": 0.5, "arrest": 0.5})
    assert chosen.thresholds == chosen.context_thresholds == {"ambush": 0.5, "firefight": 0.5, "arrest": 0.5}


def test_article_keys_must_match_the_sentences(tagger):
    with pytest.raises(SucesosError, match="one key per sentence"):
        tagger.predict_sentences(["One.", "Two."], articles=["a"])
    with pytest.raises(SucesosError, match="one key per sentence"):
        tagger.predict_sentences("One.", articles=["a"])


def test_evaluation_from_earlier_scores_decides_events_with_the_current_thresholds(tagger, tiny_corpus):
    """Training tunes thresholds on dev predictions and then scores dev from those same predictions."""
    from sucesos.labels.corpus import load_corpus
    from sucesos.labels.schema import load_schema
    from sucesos.training.evaluation import evaluate_tagger

    records = [{**r, "events": [t for t in r["events"] if t in tagger.event_types]}  # the fixture has 3 types
               for r in load_corpus([tiny_corpus["dev"]], load_schema(None))]
    earlier = tagger.predict_sentences([r["text"] for r in records])  # sentence-alone thresholds 1.0: no events
    assert all(r["events"] == [] for r in earlier)
    tagger.thresholds = {t: 0.0 for t in tagger.event_types}
    again, predictions_again = evaluate_tagger(tagger, records)
    reused, predictions_reused = evaluate_tagger(tagger, records, scored=earlier)
    assert reused == again and predictions_reused == predictions_again
    assert again["events_sentence_alone"]["micro_recall"] == 1.0
