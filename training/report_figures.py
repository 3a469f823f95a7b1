"""PNG figures for the evaluation report (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import io

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, types: list[str]) -> bytes:
    """Left: TP/FP/FN per type. Right: for false positives of type P (columns), which gold types
    the sentence had (rows; 'none' = no gold type): what gets mistaken for what."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.8))
    tp = (y_true & y_pred).sum(0)
    fp = (~y_true & y_pred).sum(0)
    fn = (y_true & ~y_pred).sum(0)
    x = np.arange(len(types))
    a.bar(x - 0.27, tp, 0.27, label="TP")
    a.bar(x, fp, 0.27, label="FP")
    a.bar(x + 0.27, fn, 0.27, label="FN")
    a.set_xticks(x, types, rotation=40, ha="right")
    a.set_title("Per-type confusion counts")
    a.legend()
    rows = types + ["none"]
    mat = np.zeros((len(rows), len(types)), dtype=int)
    for i in range(len(y_true)):
        for p in np.where(y_pred[i] & ~y_true[i])[0]:
            gold = np.where(y_true[i])[0]
            for g in gold if len(gold) else [len(types)]:
                mat[g, p] += 1
    b.imshow(mat, cmap="Reds")
    for (r, c), v in np.ndenumerate(mat):
        if v:
            b.text(c, r, str(v), ha="center", va="center", fontsize=8)
    b.set_xticks(range(len(types)), types, rotation=40, ha="right")
    b.set_yticks(range(len(rows)), rows)
    b.set_xlabel("wrongly predicted type")
    b.set_ylabel("gold type of that sentence")
    b.set_title("Which types get mistaken for which")
    return _png(fig)


def pr_curves_figure(y_true: np.ndarray, probs: np.ndarray, types: list[str], thresholds: dict) -> bytes:
    """Precision-recall curve per type, the chosen threshold marked with a dot."""
    from sklearn.metrics import precision_recall_curve

    plt = _plt()
    cols = 4
    rows = int(np.ceil(len(types) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.0 * rows), squeeze=False)
    for k, t in enumerate(types):
        ax = axes[k // cols][k % cols]
        ax.set_title(t, fontsize=10)
        ax.set_xlim(0, 1.02), ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall", fontsize=8), ax.set_ylabel("precision", fontsize=8)
        if not y_true[:, k].any():
            ax.text(0.5, 0.5, "no gold positives", ha="center")
            continue
        p, r, th = precision_recall_curve(y_true[:, k], probs[:, k])
        ax.plot(r, p)
        chosen = thresholds.get(t, 0.5)
        pred = probs[:, k] >= chosen
        tp = (pred & y_true[:, k]).sum()
        ax.plot([tp / max(y_true[:, k].sum(), 1)], [tp / max(pred.sum(), 1)], "o", color="red",
                label=f"threshold {chosen:.2f}")
        ax.legend(fontsize=7, loc="lower left")
    for k in range(len(types), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.tight_layout()
    return _png(fig)


def calibration(y_true: np.ndarray, probs: np.ndarray, bins: int = 10):
    """Reliability bins over all (sentence, type) probabilities and the expected calibration error.

    >>> ece = calibration(np.array([[1], [0]]), np.array([[1.0], [0.0]]))[3]
    >>> round(ece, 6)
    0.0
    """
    p, y = probs.ravel(), y_true.ravel().astype(float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    conf, acc, count = np.zeros(bins), np.zeros(bins), np.zeros(bins)
    for b in range(bins):
        m = idx == b
        count[b] = m.sum()
        if count[b]:
            conf[b], acc[b] = p[m].mean(), y[m].mean()
    ece = float((count / max(count.sum(), 1) * np.abs(acc - conf)).sum())
    return conf, acc, count, ece


def reliability_figure(y_true: np.ndarray, probs: np.ndarray) -> tuple[bytes, float]:
    plt = _plt()
    conf, acc, count, ece = calibration(y_true, probs)
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    m = count > 0
    ax.plot(conf[m], acc[m], "o-", label="model")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("fraction positive")
    ax.set_title(f"Reliability (all types), ECE = {ece:.3f}")
    ax.legend(loc="upper left")
    return _png(fig), ece
