"""``sucesos train --resume``: a run interrupted after an epoch checkpoint, resumed, ends exactly
where the uninterrupted run ends (same data order, same dropout stream: the Trainer restores
torch's RNG, from which ``training.fast_dropout`` seeds its masks)."""

import copy

import pytest
import torch
from safetensors.torch import load_file

from sucesos.errors import SucesosError
from sucesos.training import trainer as trainer_module
from sucesos.training.trainer import CHECKPOINTS, run_training


def _interrupting_logger(after_epochs: int):
    from transformers import TrainerCallback

    class Interrupt(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kwargs):
            if state.epoch and state.epoch >= after_epochs:  # checkpoint-<epoch 2> is on disk by now
                raise KeyboardInterrupt

    return Interrupt()


@pytest.mark.parametrize("fast_dropout", [True, False])
def test_resume_after_interruption_matches_uninterrupted(tiny_config, tmp_path, monkeypatch, fast_dropout):
    tiny_config.training.fast_dropout = fast_dropout
    full = copy.deepcopy(tiny_config)
    full.output.dir = str(tmp_path / "full")
    expected = run_training(full)

    interrupted = copy.deepcopy(tiny_config)
    interrupted.output.dir = str(tmp_path / "resumed")
    with monkeypatch.context() as patch:
        patch.setattr(trainer_module, "_epoch_logger", lambda: _interrupting_logger(2))
        with pytest.raises(KeyboardInterrupt):
            run_training(interrupted)
    out = tmp_path / "resumed"
    assert not (out / "config.json").exists()  # nothing that looks like a finished model
    assert sorted(p.name for p in (out / CHECKPOINTS).glob("checkpoint-*"))
    with pytest.raises(SucesosError, match="not empty"):
        run_training(interrupted)  # neither overwritten nor silently restarted
    resumed = run_training(interrupted, resume=True)

    # the same weights to the bit, hence the same scores (the logged train loss is averaged over a
    # different window after a resume, so it is not compared)
    weights = {name: load_file(str(tmp_path / name / "model.safetensors")) for name in ("full", "resumed")}
    assert weights["full"].keys() == weights["resumed"].keys()
    assert all(torch.equal(weights["full"][k], weights["resumed"][k]) for k in weights["full"])
    eval_scores = lambda m: {k: v for k, v in m["run"]["dev_history"][-1].items() if k != "train_loss"}  # noqa: E731
    assert eval_scores(resumed) == eval_scores(expected)
    assert resumed["test"]["events"] == expected["test"]["events"]
    assert resumed["test"]["actors"] == expected["test"]["actors"]


def test_resume_without_checkpoint_is_refused(tiny_config):
    with pytest.raises(SucesosError, match="no checkpoint to resume from"):
        run_training(tiny_config, resume=True)
