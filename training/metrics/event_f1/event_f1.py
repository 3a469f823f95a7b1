"""Local ``evaluate`` module: multi-label event-type P/R/F1 (NumPy counts; see core.py).

Loaded by path, never from the hub::

    >>> import evaluate                                     # doctest: +SKIP
    >>> from sucesos.training.metrics import load_metric    # doctest: +SKIP
    >>> m = load_metric("event_f1")                         # doctest: +SKIP
    >>> m.compute(predictions=[["ambush"]], references=[["ambush"]], labels=["ambush"])["macro_f1"]  # doctest: +SKIP
    1.0

Conventions (zero_division=0; types with no gold and no prediction excluded from the macro
average) are documented in ``sucesos.training.metrics.core``.
"""

import datasets
import evaluate

from sucesos.training.metrics.core import event_scores

_DESCRIPTION = "Multi-label event-type precision, recall and F1 per type, micro and macro, and exact match."
_KWARGS = """
Args:
    predictions: list of lists of predicted type names, one list per sentence.
    references: list of lists of gold type names, one list per sentence.
    labels: every type name of the schema (order of the per-type report).
Returns:
    dict with per_type, macro_*/micro_* precision/recall/f1, exact_match, n_sentences.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class EventF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({
                "predictions": datasets.Sequence(datasets.Value("string")),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
        )

    def _compute(self, predictions, references, labels):
        return event_scores(predictions, references, list(labels))
