"""Baselines trained on the same train split: majority class and TF-IDF + logistic regression.

They predict event types only (no actor spans), so the fine-tuned model's margin is visible.

>>> train = [{"text": "gunmen ambushed a convoy", "events": ["ambush"]},
...          {"text": "the president said", "events": []}] * 4
>>> model = TfidfLogReg(["ambush"]).fit(train)
>>> model.predict(["gunmen ambushed a convoy"])[0]
['ambush']
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def make_vectorizers(word_vocabulary: dict | None = None, char_vocabulary: dict | None = None):
    """The word (1-2 gram) and character (2-5 gram, within words) TF-IDF vectorizers; with
    vocabularies given, ready to take the stored ``idf_`` of fitted ones (``training/lexical.py``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True, vocabulary=word_vocabulary)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                           vocabulary=char_vocabulary)
    return word, char


class MajorityBaseline:
    """Predicts, for every sentence, the most frequent label set of the training data."""

    def __init__(self, event_types):
        self.event_types = list(event_types)
        self.labels: list[str] = []

    def fit(self, records):
        counts = Counter(tuple(sorted(r["events"])) for r in records)
        self.labels = list(counts.most_common(1)[0][0]) if counts else []
        return self

    def predict(self, texts):
        return [list(self.labels) for _ in texts]


class TfidfLogReg:
    """One logistic regression per type over word and character n-gram TF-IDF features."""

    def __init__(self, event_types, seed: int = 0, c: float = 10.0, class_weight: str | None = "balanced"):
        self.event_types = list(event_types)
        self.seed = seed
        self.c, self.class_weight = c, class_weight  # inverse regularization strength; per-type class weights

    def fit(self, records):
        from scipy.sparse import hstack
        from sklearn.linear_model import LogisticRegression

        texts = [r["text"] for r in records]
        self.word, self.char = make_vectorizers()
        x = hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self.models = {}
        for t in self.event_types:
            y = np.array([t in r["events"] for r in records])
            if y.all() or not y.any():
                self.models[t] = bool(y.any())  # constant: cannot fit a classifier
                continue
            clf = LogisticRegression(C=self.c, class_weight=self.class_weight, max_iter=2000, random_state=self.seed)
            self.models[t] = clf.fit(x, y)
        self._hstack = hstack
        return self

    def predict_proba(self, texts) -> np.ndarray:
        x = self._hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        cols = []
        for t in self.event_types:
            m = self.models[t]
            cols.append(np.full(len(texts), float(m)) if isinstance(m, bool) else m.predict_proba(x)[:, 1])
        return np.stack(cols, axis=1) if cols else np.zeros((len(texts), 0))

    def predict(self, texts, threshold: float = 0.5):
        probs = self.predict_proba(texts)
        return [[t for j, t in enumerate(self.event_types) if row[j] >= threshold] for row in probs]
