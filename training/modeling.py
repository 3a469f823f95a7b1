"""``SucesosModel``: any Hugging Face encoder with two jointly trained heads.

- an event head: multi-label (sigmoid) over the schema's event types, on the mean of the
  sentence's token states (e5 and most sentence encoders are trained with mean pooling), or
  with ``event_pooling="attention"`` on one attention-weighted average of the states per type;
- a span head: BIO tags over actor roles on every token (first sub-word of each word is labeled).

>>> from transformers import BertConfig
>>> enc = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
>>> model = SucesosModel.from_encoder_config(enc, event_types=["ambush", "arrest"], roles=["VICTIM"])
>>> import torch
>>> out = model(input_ids=torch.tensor([[1, 5, 6, 2]]), attention_mask=torch.ones(1, 4, dtype=torch.long))
>>> tuple(out.event_logits.shape), tuple(out.span_logits.shape)
((1, 2), (1, 4, 3))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from sucesos.training.config import EVENT_POOLINGS
from sucesos.training.configuration import SucesosConfig
from sucesos.training.frozen_cache import encode_from_layer

LAYER_INDEX = re.compile(r"\.layers?\.(\d+)\.")  # encoder.layer.7. (BERT, XLM-R, DeBERTa, ...)
# what encoder configs call their dropout rates (BERT/XLM-R/DeBERTa first; DistilBERT-style after)
HIDDEN_DROPOUT_KEYS = ("hidden_dropout_prob", "dropout")
ATTENTION_DROPOUT_KEYS = ("attention_probs_dropout_prob", "attention_dropout")


class EncoderDropoutError(ValueError):
    """The encoder's config has no setting for a dropout rate that was asked for."""


def set_encoder_dropout(encoder_config, hidden: float | None = None, attention: float | None = None):
    """Set an encoder config's hidden-state and attention-probability dropout (``None``: leave it).

    >>> from transformers import BertConfig
    >>> c = set_encoder_dropout(BertConfig(), attention=0.0)
    >>> c.hidden_dropout_prob, c.attention_probs_dropout_prob
    (0.1, 0.0)
    """
    for value, keys, what in ((hidden, HIDDEN_DROPOUT_KEYS, "hidden"), (attention, ATTENTION_DROPOUT_KEYS, "attention")):
        if value is None:
            continue
        present = [k for k in keys if hasattr(encoder_config, k)]
        if not present:
            raise EncoderDropoutError(f"the encoder's config ({type(encoder_config).__name__}) has no {what} dropout "
                             f"setting ({' or '.join(keys)})")
        setattr(encoder_config, present[0], value)
    return encoder_config


@dataclass
class SucesosOutput(ModelOutput):
    loss: torch.Tensor | None = None
    event_logits: torch.Tensor | None = None
    span_logits: torch.Tensor | None = None


class SucesosModel(PreTrainedModel):
    config_class = SucesosConfig
    base_model_prefix = "encoder"
    supports_gradient_checkpointing = True
    _no_split_modules: list[str] = []

    def __init__(self, config: SucesosConfig, encoder: nn.Module | None = None):
        super().__init__(config)
        # Built from its config: when loading a trained model its weights are overwritten anyway.
        self.encoder = encoder if encoder is not None else AutoModel.from_config(config.encoder_pretrained_config())
        if getattr(self.encoder, "pooler", None) is not None:
            self.encoder.pooler = None  # unused; would only collect unused-parameter warnings
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        # Mean-pooled encoder states are strongly anisotropic (for e5-small the shared mean vector
        # carries ~90% of the norm, per-dimension std ~0.1), so a bare linear head learns the
        # sentence types very slowly; normalising the pooled vector first makes it learn in a
        # few hundred steps (benchmarks/README.md).
        self.event_norm = nn.LayerNorm(hidden)
        self.event_head = nn.Linear(hidden, len(config.event_types))
        if config.event_pooling == "attention":
            # One learned query per type scores every token: a type's cue ("emboscaron", "kidnapped")
            # is one token of ~40, which the sentence mean dilutes. Zero-initialised, so training
            # starts from exact mean pooling.
            self.event_attention = nn.Linear(hidden, len(config.event_types))
        elif config.event_pooling not in EVENT_POOLINGS:
            raise ValueError(f"event_pooling must be one of {EVENT_POOLINGS}, got {config.event_pooling!r}")
        self.span_head = nn.Linear(hidden, len(config.span_labels))
        pos_weight = config.event_pos_weight or [1.0] * len(config.event_types)
        self.register_buffer("event_pos_weight", torch.tensor(pos_weight, dtype=torch.float), persistent=False)
        self.post_init()

    def _init_weights(self, module):
        if module is getattr(self, "event_attention", None):
            module.weight.data.zero_()
            module.bias.data.zero_()
        elif module in (getattr(self, "event_head", None), getattr(self, "span_head", None)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            module.bias.data.zero_()
        elif hasattr(self, "encoder") and hasattr(self.encoder, "_init_weights") and module is not self:
            self.encoder._init_weights(module)

    @classmethod
    def from_encoder_config(cls, encoder_config, event_types, roles, **kwargs) -> "SucesosModel":
        """A randomly initialised model (tests, tiny encoders)."""
        config = SucesosConfig(encoder_config=encoder_config.to_dict(), event_types=event_types, roles=roles, **kwargs)
        return cls(config)

    @classmethod
    def from_encoder(cls, name_or_path: str, event_types, roles, encoder_dropout: float | None = None,
                     attention_dropout: float | None = None, **kwargs) -> "SucesosModel":
        """Pretrained encoder weights + fresh heads (the start of training); the two dropout rates
        replace the encoder config's own unless ``None``."""
        encoder_config = set_encoder_dropout(AutoConfig.from_pretrained(name_or_path), encoder_dropout, attention_dropout)
        try:  # the pooler is unused (we mean-pool); not loading it avoids a "missing weights" report
            encoder = AutoModel.from_pretrained(name_or_path, config=encoder_config, add_pooling_layer=False)
        except TypeError:  # encoders without a pooler option (DeBERTa, ...)
            encoder = AutoModel.from_pretrained(name_or_path, config=encoder_config)
        config = SucesosConfig(encoder_config=encoder.config.to_dict(), base_encoder=kwargs.pop("base_encoder", name_or_path),
                               event_types=event_types, roles=roles, **kwargs)
        model = cls(config, encoder=encoder)
        return model

    def freeze_word_embeddings(self) -> None:
        self.encoder.get_input_embeddings().weight.requires_grad_(False)

    def freeze_lower_layers(self, n_layers: int) -> int:
        """Freeze the whole embedding block and the first ``n_layers`` transformer layers.

        Nothing below layer ``n_layers`` then needs a gradient, so back-propagation stops there:
        with 4 of e5-small's 12 layers frozen a CPU training step is ~1.2x faster
        (benchmarks/train_step_speed.py). Returns the number of parameters frozen.

        >>> from transformers import BertConfig
        >>> m = SucesosModel.from_encoder_config(BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=3,
        ...     num_attention_heads=2, intermediate_size=8), event_types=["a"], roles=["VICTIM"])
        >>> m.freeze_lower_layers(2) > 0
        True
        >>> [layer.output.dense.weight.requires_grad for layer in m.encoder.encoder.layer]
        [False, False, True]
        """
        depth = getattr(self.encoder.config, "num_hidden_layers", None)
        if depth is not None and n_layers >= depth:
            raise ValueError(f"freeze_layers = {n_layers} freezes all {depth} layers of the encoder; "
                             f"use at most {depth - 1}")
        frozen = 0
        for name, param in self.encoder.named_parameters():
            found = LAYER_INDEX.search("." + name)
            # rel_embeddings (DeBERTa) sit outside "embeddings." and are shared by all layers: kept
            if name.startswith("embeddings.") or (found and int(found.group(1)) < n_layers):
                param.requires_grad_(False)
                frozen += param.numel()
        return frozen

    def _event_logits(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.config.event_pooling == "attention":
            scores = self.event_attention(hidden).float()  # (batch, tokens, types)
            scores = scores.masked_fill(attention_mask.unsqueeze(-1) == 0, float("-inf"))
            weights = scores.softmax(dim=1).to(hidden.dtype)
            pooled = torch.einsum("btk,bth->bkh", weights, hidden)  # one vector per type
            # type k's logit is the head's output k for type k's own vector: the diagonal of
            # (batch, types, types). Calling the module (not reading .weight) keeps it working
            # when the head is swapped for a quantized Linear.
            logits = self.event_head(self.dropout(self.event_norm(pooled)))
            return logits.diagonal(dim1=1, dim2=2)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.event_head(self.dropout(self.event_norm(pooled)))

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, event_labels=None,
                span_labels=None, frozen_hidden=None, frozen_layers=0, **kwargs) -> SucesosOutput:
        if frozen_hidden is not None:  # training with the frozen lower layers cached (frozen_cache.py)
            hidden = encode_from_layer(self.encoder, frozen_hidden, input_ids, attention_mask, frozen_layers)
        else:
            encoder_kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                encoder_kwargs["token_type_ids"] = token_type_ids
            hidden = self.encoder(**encoder_kwargs).last_hidden_state
        # The heads run in the heads' own dtype (fp32) even under bf16/fp16 autocast: their argmax
        # and threshold decisions are where low precision flips labels (bf16 inference: 99.45% ->
        # 99.60% of sentences identical to fp32, benchmarks/README.md), and they cost next to nothing.
        with torch.autocast(hidden.device.type, enabled=False):
            hidden = hidden.to(self.event_norm.weight.dtype)  # (a LayerNorm: never int8-quantized)
            event_logits = self._event_logits(hidden, attention_mask)
            span_logits = self.span_head(self.dropout(hidden))
        loss = None
        if event_labels is not None or span_labels is not None:
            loss = hidden.new_zeros(())
            if event_labels is not None and self.config.event_loss_weight:
                bce = nn.functional.binary_cross_entropy_with_logits(
                    event_logits.float(), event_labels.float(), pos_weight=self.event_pos_weight)
                loss = loss + self.config.event_loss_weight * bce
            if span_labels is not None and self.config.span_loss_weight:
                ce = nn.functional.cross_entropy(span_logits.float().reshape(-1, span_logits.size(-1)),
                                                 span_labels.reshape(-1), ignore_index=-100)
                loss = loss + self.config.span_loss_weight * ce
        return SucesosOutput(loss=loss, event_logits=event_logits, span_logits=span_logits)
