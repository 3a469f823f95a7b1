"""Local ``evaluate`` module: actor span P/R/F1 per role, strict and overlap.

Spans are dicts ``{"start", "end", "role"}`` (character offsets, end exclusive). Strict = same
offsets and role; overlap = same role and a shared character, matched one-to-one. See
``sucesos.training.metrics.core`` for the conventions.
"""

import datasets
import evaluate

from sucesos.training.metrics.core import span_scores

_DESCRIPTION = "Actor span precision, recall and F1 per role (strict and overlap matching)."
_KWARGS = """
Args:
    predictions: per sentence, a list of {"start": int, "end": int, "role": str}.
    references: per sentence, a list of {"start": int, "end": int, "role": str}.
    roles: every role name of the schema.
Returns:
    {"strict": {...}, "overlap": {...}}, each with per_role, micro_* and macro_f1.
"""

_SPAN = {"start": datasets.Value("int32"), "end": datasets.Value("int32"), "role": datasets.Value("string")}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class SpanF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({
                "predictions": [_SPAN],
                "references": [_SPAN],
            }),
        )

    def _compute(self, predictions, references, roles):
        def as_tuples(batch):
            # datasets hands a Sequence of dicts back as a dict of lists
            out = []
            for spans in batch:
                if isinstance(spans, dict):
                    spans = [dict(zip(spans, v)) for v in zip(*spans.values())] if spans else []
                out.append([(s["start"], s["end"], s["role"]) for s in spans])
            return out

        return span_scores(as_tuples(predictions), as_tuples(references), list(roles))
