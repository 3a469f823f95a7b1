"""The lexical side-model: stored without pickle, reloaded exactly, blended into the tagger's scores."""

import json
from pathlib import Path

import numpy as np
import pytest

from sucesos.errors import SucesosError
from sucesos.training.baseline import TfidfLogReg
from sucesos.training.lexical import LEXICAL_JSON, LEXICAL_WEIGHTS, LexicalScorer, blend

TYPES = ["ambush", "firefight", "assassination", "policy_statement", "armed_attack", "kidnapping", "threat", "arrest"]


def _records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_saved_and_reloaded_scores_equal_the_fitted_baselines(tiny_corpus, tmp_path):
    train, texts = _records(tiny_corpus["train"]), [r["text"] for r in _records(tiny_corpus["test"])]
    expected = TfidfLogReg(TYPES).fit(train).predict_proba(texts)
    scorer = LexicalScorer.fit(train, TYPES)
    np.testing.assert_allclose(scorer.predict_proba(texts), expected, rtol=0, atol=1e-12)
    scorer.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([LEXICAL_JSON, LEXICAL_WEIGHTS])
    np.testing.assert_allclose(LexicalScorer.load(tmp_path).predict_proba(texts), expected, rtol=0, atol=1e-12)


def test_a_type_no_training_sentence_carries_scores_near_zero(tiny_corpus):
    train = [r for r in _records(tiny_corpus["train"]) if "arrest" not in r["events"]]
    probs = LexicalScorer.fit(train, TYPES).predict_proba(["Federal agents arrested two suspects in Culiacan."])
    assert probs[0, TYPES.index("arrest")] < 1e-6


def test_blend_weights():
    model, lexical = np.array([[0.9, 0.2]]), np.array([[0.1, 0.8]])
    np.testing.assert_allclose(blend(model, lexical, 0.0), model)
    np.testing.assert_allclose(blend(model, lexical, 1.0), lexical)
    np.testing.assert_allclose(blend(model, lexical, 0.5), [[0.5, 0.5]])  # logits cancel


def test_missing_side_model_files_are_named(tmp_path):
    with pytest.raises(SucesosError, match="no lexical.json"):
        LexicalScorer.load(tmp_path)


def test_training_with_a_lexical_weight_saves_and_reloads_the_blend(tiny_config):
    from sucesos.inference import EventTagger
    from sucesos.labels.corpus import load_corpus
    from sucesos.labels.schema import load_schema
    from sucesos.training.evaluation import evaluate_tagger
    from sucesos.training.trainer import run_training

    tiny_config.model.lexical_weight = 1.0  # scores = the lexical model's alone: easy to check
    tiny_config.training.epochs = 1.0
    reported = run_training(tiny_config)["test"]
    model_dir = Path(tiny_config.output.dir)
    assert (model_dir / LEXICAL_JSON).exists() and (model_dir / LEXICAL_WEIGHTS).exists()
    assert not list(model_dir.glob("*.pkl")) and not list(model_dir.glob("*.joblib"))
    tagger = EventTagger.from_pretrained(model_dir, precision="fp32")
    records = load_corpus([tiny_config.data.test], load_schema(None))
    again, _ = evaluate_tagger(tagger, records)
    assert again["events"] == reported["events"]  # metrics.json is reproducible from the saved directory
    texts = [r["text"] for r in records]
    lexical = LexicalScorer.fit(load_corpus([tiny_config.data.train], load_schema(None)), tagger.event_types,
                                seed=tiny_config.training.seed).predict_proba(texts)
    scores = np.array([[p["scores"][t] for t in tagger.event_types] for p in tagger.predict_sentences(texts)])
    np.testing.assert_allclose(scores, np.round(lexical, 4), atol=1e-4)
    # retraining without the blend into the same directory removes the old side-model
    tiny_config.model.lexical_weight = 0.0
    run_training(tiny_config, overwrite=True)
    assert not (model_dir / LEXICAL_JSON).exists() and not (model_dir / LEXICAL_WEIGHTS).exists()
    assert EventTagger.from_pretrained(model_dir).lexical is None
