"""Run the frozen lower layers once per training sentence instead of once per step.

With ``model.freeze_layers: 4`` nothing below layer 4 learns, yet every training step still runs
the embeddings and those 4 layers forward (~17% of a CPU step of the default model). With
``training.cache_frozen_layers: true`` the trainer computes their output once for every training
sentence before the first step (in eval mode, so without dropout in those layers: a training
change, checked by CV in benchmarks/README.md), and each step starts at layer 4 from that cache.
Evaluation and inference are untouched: they always run the whole encoder.

Works for encoders whose model class feeds ``embeddings`` straight into ``encoder.layer`` (BERT,
XLM-R, RoBERTa, CamemBERT, hence e5); ``frozen_states`` refuses others, and the trainer then runs
every layer each step as before and says so on its log.

>>> from transformers import BertConfig
>>> from sucesos.training.modeling import SucesosModel
>>> m = SucesosModel.from_encoder_config(BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=3,
...     num_attention_heads=2, intermediate_size=8), event_types=["a"], roles=["VICTIM"]).eval()
>>> ids, mask = torch.tensor([[1, 5, 6, 2]]), torch.ones(1, 4, dtype=torch.long)
>>> cache = frozen_states(m.encoder, [ids[0].tolist()], n_layers=2)
>>> full = m(input_ids=ids, attention_mask=mask).event_logits
>>> from_cache = m(input_ids=ids, attention_mask=mask, frozen_hidden=cache[0][None], frozen_layers=2).event_logits
>>> torch.allclose(full, from_cache, atol=1e-6)
True
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from sucesos.training.data import PAD_MULTIPLE, pad_rows

SUPPORTED = ("BertModel", "XLMRobertaModel", "RobertaModel", "CamembertModel")


class _Given(nn.Module):
    """Stands in for the embedding block and returns states computed beforehand."""

    def __init__(self, hidden: torch.Tensor):
        super().__init__()
        self.hidden = hidden

    def forward(self, *args, **kwargs) -> torch.Tensor:
        return self.hidden


def check_supported(encoder: nn.Module) -> None:
    name = type(encoder).__name__
    if name not in SUPPORTED or not hasattr(getattr(encoder, "encoder", None), "layer"):
        raise ValueError(f"training.cache_frozen_layers works with {', '.join(SUPPORTED)} encoders, "
                         f"not {name}")


@contextlib.contextmanager
def _swapped(encoder: nn.Module, embeddings: nn.Module, layers: nn.ModuleList):
    """The encoder's own forward (its mask handling included) with another input block and layer stack."""
    saved_embeddings, saved_layers = encoder.embeddings, encoder.encoder.layer
    encoder.embeddings, encoder.encoder.layer = embeddings, layers
    try:
        yield
    finally:
        encoder.embeddings, encoder.encoder.layer = saved_embeddings, saved_layers


def encode_from_layer(encoder: nn.Module, hidden: torch.Tensor, input_ids: torch.Tensor,
                      attention_mask: torch.Tensor, n_layers: int) -> torch.Tensor:
    """Last hidden state of ``encoder`` given the output of its first ``n_layers`` layers."""
    with _swapped(encoder, _Given(hidden), encoder.encoder.layer[n_layers:]):
        return encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


@torch.no_grad()
def frozen_states(encoder: nn.Module, input_ids: list[list[int]], n_layers: int, batch_size: int = 64,
                  autocast_dtype: torch.dtype | None = None, pad_token_id: int = 0) -> list[torch.Tensor]:
    """The output of the embeddings + first ``n_layers`` layers for each sequence, unpadded, fp32.

    Runs in eval mode (no dropout) in length-sorted batches; ``autocast_dtype`` should be the
    training precision, so that the cached states are what a training step would have computed.
    """
    check_supported(encoder)
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    order = sorted(range(len(input_ids)), key=lambda i: len(input_ids[i]))
    states: list[torch.Tensor | None] = [None] * len(input_ids)
    try:
        with _swapped(encoder, encoder.embeddings, encoder.encoder.layer[:n_layers]):
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                ids, mask = pad_rows([input_ids[i] for i in chunk], pad_token_id, PAD_MULTIPLE)
                with torch.autocast(device.type, dtype=autocast_dtype or torch.float32,
                                    enabled=autocast_dtype is not None):
                    hidden = encoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
                for row, i in enumerate(chunk):
                    states[i] = hidden[row, :len(input_ids[i])].float().cpu().clone()
    finally:
        encoder.train(was_training)
    return states


class CachedStatesCollator:
    """Wraps the padding collator: training features carry ``cache_index``, and the batch gets
    the cached states padded to its width as ``frozen_hidden``. Features without it (the dev
    set, evaluated by the same Trainer) are collated as before."""

    def __init__(self, collate, states: list[torch.Tensor], n_layers: int):
        self.collate, self.states, self.n_layers = collate, states, n_layers

    def __call__(self, features: list[dict]) -> dict:
        batch = self.collate(features)
        if not features or "cache_index" not in features[0]:
            return batch
        n, width = batch["input_ids"].shape
        frozen = torch.zeros((n, width, self.states[0].shape[-1]), dtype=self.states[0].dtype)
        for row, f in enumerate(features):
            state = self.states[f["cache_index"]]
            frozen[row, :state.shape[0]] = state
        batch["frozen_hidden"] = frozen
        batch["frozen_layers"] = self.n_layers
        return batch
