"""The project's metrics: plain functions in ``core`` and local ``evaluate`` modules.

``load_metric(name)`` loads ``event_f1`` or ``span_f1`` by path: nothing is fetched from a hub.

>>> m = load_metric("event_f1")
>>> m.compute(predictions=[["ambush"], []], references=[["ambush"], []], labels=["ambush"])["macro_f1"]
1.0
"""

from __future__ import annotations

import os
from pathlib import Path

from sucesos.training.metrics.core import event_scores, span_scores

METRICS_DIR = Path(__file__).resolve().parent


def load_metric(name: str):
    """Load one of the project's ``evaluate`` modules by local path (offline)."""
    import evaluate

    path = METRICS_DIR / name / f"{name}.py"
    if not path.exists():
        raise ValueError(f"unknown metric {name!r}; available: event_f1, span_f1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    return evaluate.load(str(path))


__all__ = ["event_scores", "load_metric", "span_scores"]
