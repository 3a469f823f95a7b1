"""Lexical side-model: TF-IDF word and character n-grams with one logistic regression per event
type, whose event logits can be blended with the encoder's (``model.lexical_weight``).

Why: on out-of-fold CV scores the blend gained event macro-F1 although TF-IDF alone is far weaker
(benchmarks/lexical_blend_cv.py): character n-grams catch cue words the fine-tuned encoder misses.
It is stored without pickle: the vocabularies in ``lexical.json``, the idf weights and the
regression coefficients in ``lexical.safetensors``.

>>> train = [{"text": "gunmen ambushed a convoy", "events": ["ambush"]},
...          {"text": "the president said", "events": []}] * 4
>>> scorer = LexicalScorer.fit(train, ["ambush"])
>>> bool(scorer.predict_proba(["gunmen ambushed a convoy"])[0, 0] > 0.5)
True
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sucesos.errors import SucesosError
from sucesos.fileio import write_text_atomic
from sucesos.training.baseline import TfidfLogReg, make_vectorizers
from sucesos.training.context import logit

LEXICAL_JSON = "lexical.json"
LEXICAL_WEIGHTS = "lexical.safetensors"
CONSTANT_LOGIT = 20.0  # a type all or none of the training sentences carry: its score is (almost) 1 or 0


def blend(model_probs: np.ndarray, lexical_probs: np.ndarray, weight: float) -> np.ndarray:
    """``sigmoid((1 - weight) * logit(model) + weight * logit(lexical))``; weight 0 is the model."""
    mixed = (1 - weight) * logit(np.asarray(model_probs, dtype=np.float64)) + weight * logit(lexical_probs)
    return 1.0 / (1.0 + np.exp(-mixed))


class LexicalScorer:
    def __init__(self, event_types, word_vocabulary: dict, char_vocabulary: dict, word_idf, char_idf,
                 coef: np.ndarray, intercept: np.ndarray):
        self.event_types = list(event_types)
        self.word, self.char = make_vectorizers(word_vocabulary, char_vocabulary)
        self.word.idf_ = np.asarray(word_idf, dtype=np.float64)
        self.char.idf_ = np.asarray(char_idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)  # event types x (word + char features)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        if self.coef.shape != (len(self.event_types), len(word_vocabulary) + len(char_vocabulary)):
            raise SucesosError(f"lexical model: coefficients of shape {self.coef.shape} do not match "
                               f"{len(self.event_types)} types and the stored vocabularies")

    @classmethod
    def fit(cls, records: list[dict], event_types, seed: int = 0) -> "LexicalScorer":
        base = TfidfLogReg(event_types, seed=seed).fit(records)
        n_features = len(base.word.vocabulary_) + len(base.char.vocabulary_)
        coef = np.zeros((len(event_types), n_features))
        intercept = np.zeros(len(event_types))
        for j, t in enumerate(event_types):
            m = base.models[t]
            if isinstance(m, bool):
                intercept[j] = CONSTANT_LOGIT if m else -CONSTANT_LOGIT
            else:
                coef[j], intercept[j] = m.coef_[0], m.intercept_[0]
        vocab = lambda v: {term: int(i) for term, i in v.vocabulary_.items()}  # noqa: E731 (numpy ints -> JSON)
        return cls(event_types, vocab(base.word), vocab(base.char), base.word.idf_, base.char.idf_, coef, intercept)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        from scipy.sparse import hstack

        x = hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return 1.0 / (1.0 + np.exp(-(x @ self.coef.T + self.intercept)))

    def save(self, directory: str | Path) -> None:
        from safetensors.numpy import save_file

        directory = Path(directory)
        tensors = {"word_idf": self.word.idf_, "char_idf": self.char.idf_, "coef": self.coef,
                   "intercept": self.intercept}
        save_file({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in tensors.items()},
                  str(directory / LEXICAL_WEIGHTS))
        write_text_atomic(directory / LEXICAL_JSON, json.dumps(
            {"event_types": self.event_types, "word_vocabulary": self.word.vocabulary,
             "char_vocabulary": self.char.vocabulary}, ensure_ascii=False))

    @classmethod
    def load(cls, directory: str | Path) -> "LexicalScorer":
        from safetensors.numpy import load_file

        directory = Path(directory)
        for name in (LEXICAL_JSON, LEXICAL_WEIGHTS):
            if not (directory / name).exists():
                raise SucesosError(f"model has model.lexical_weight > 0 but no {name}", path=str(directory))
        meta = json.loads((directory / LEXICAL_JSON).read_text(encoding="utf-8"))
        t = load_file(str(directory / LEXICAL_WEIGHTS))
        return cls(meta["event_types"], meta["word_vocabulary"], meta["char_vocabulary"], t["word_idf"],
                   t["char_idf"], t["coef"], t["intercept"])
