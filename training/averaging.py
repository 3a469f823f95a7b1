"""Checkpoint weight averaging: the final model is the mean of the last N epoch checkpoints.

Why it exists: the mean of a plateau's weights (checkpoint averaging in translation models,
stochastic weight averaging) often generalises better than any one checkpoint, at no inference
cost. Off by default: on the shipped corpus the mean of the last 4 of 7 epochs was better
calibrated on dev and scored higher on the test split, but lower in every fold of a 5-fold CV
(benchmarks/README.md, "Checkpoint averaging").

>>> import torch
>>> average_state_dicts([{"w": torch.tensor([1.0, 3.0]), "i": torch.tensor([7])},
...                      {"w": torch.tensor([3.0, 5.0]), "i": torch.tensor([7])}])["w"].tolist()
[2.0, 4.0]
"""

from __future__ import annotations

from pathlib import Path

from sucesos.errors import SucesosError

WEIGHTS = "model.safetensors"


def epoch_checkpoints(checkpoint_dir: Path) -> list[Path]:
    """The Trainer's ``checkpoint-<step>`` folders, oldest first."""
    found = [p for p in Path(checkpoint_dir).glob("checkpoint-*") if p.name.split("-", 1)[1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]))


def average_state_dicts(states) -> dict:
    """Element-wise mean of floating-point tensors; other tensors (ids, counters) from the last state.

    ``states`` may be a generator: one state is held at a time next to the running sum.
    """
    total, count, last = None, 0, None
    for state in states:
        if total is None:
            total = {k: v.double() for k, v in state.items() if v.is_floating_point()}
        else:
            if state.keys() != last.keys():
                raise ValueError("checkpoints hold different tensors")
            for k in total:
                total[k] += state[k].double()
        last, count = state, count + 1
    if count == 0:
        raise ValueError("no state dicts to average")
    return {k: (total[k] / count).to(v.dtype) if k in total else v for k, v in last.items()}


def average_last_checkpoints(checkpoint_dir: Path, n: int) -> tuple[dict, list[str]]:
    """Mean weights of the last ``n`` checkpoints in ``checkpoint_dir`` and their names."""
    from safetensors.torch import load_file

    chosen = epoch_checkpoints(checkpoint_dir)[-n:]
    if not chosen:
        raise SucesosError("no checkpoints to average", path=str(checkpoint_dir))
    missing = [c for c in chosen if not (c / WEIGHTS).is_file()]
    if missing:
        raise SucesosError(f"checkpoint has no {WEIGHTS} to average (set training.average_checkpoints=0)",
                           path=str(missing[0]))
    return average_state_dicts(load_file(str(c / WEIGHTS)) for c in chosen), [c.name for c in chosen]
