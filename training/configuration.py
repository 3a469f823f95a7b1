"""``SucesosConfig``: everything a trained model needs to be reloaded and trusted.

It nests the encoder's own config, stores both label maps (event types; BIO actor tags),
the tuned per-type thresholds (for sentences alone and for sentences in article context), the schema version and the package version that saved it.

>>> cfg = SucesosConfig(event_types=["ambush"], roles=["VICTIM"])
>>> cfg.span_labels
['O', 'B-VICTIM', 'I-VICTIM']
"""

from __future__ import annotations

import warnings

from transformers import AutoConfig, PretrainedConfig

from sucesos import __version__
from sucesos.labels.schema import bio_tags


class SucesosConfig(PretrainedConfig):
    model_type = "sucesos"

    def __init__(
        self,
        encoder_config: dict | None = None,
        base_encoder: str | None = None,
        event_types: list[str] | None = None,
        roles: list[str] | None = None,
        thresholds: dict[str, float] | None = None,
        schema_version: str | None = None,
        sucesos_version: str | None = None,
        max_seq_length: int = 128,
        classifier_dropout: float = 0.1,
        event_loss_weight: float = 1.0,
        span_loss_weight: float = 1.0,
        event_pos_weight: list[float] | None = None,
        input_prefix: str = "",
        event_pooling: str = "mean",
        context_neighbour_weight: float = 0.0,
        context_article_weight: float = 0.0,
        context_thresholds: dict[str, float] | None = None,
        lexical_weight: float = 0.0,
        **kwargs,
    ):
        self.encoder_config = encoder_config or {}
        self.base_encoder = base_encoder
        self.event_types = list(event_types or [])
        self.roles = list(roles or [])
        self.thresholds = dict(thresholds or {t: 0.5 for t in self.event_types})
        self.schema_version = schema_version
        self.sucesos_version = sucesos_version or __version__
        self.max_seq_length = max_seq_length
        self.classifier_dropout = classifier_dropout
        self.event_loss_weight = event_loss_weight
        self.span_loss_weight = span_loss_weight
        self.event_pos_weight = event_pos_weight
        # Text put before every sentence, as the encoder was pre-trained ("query: " for e5);
        # its tokens carry no actor tags (-100) and are sliced off before span decoding.
        self.input_prefix = input_prefix
        # How the event head reads the token states: "mean" (the sentence mean, as e5 was trained)
        # or "attention" (one learned query per type; see modeling.py).
        self.event_pooling = event_pooling
        # Article context (context.py): how much the neighbouring sentences' and the rest of the
        # article's event scores move a sentence's own, and the thresholds tuned on dev for those
        # in-context scores. Both weights 0 (and models saved without these fields): no context.
        self.context_neighbour_weight = float(context_neighbour_weight)
        self.context_article_weight = float(context_article_weight)
        self.context_thresholds = dict(context_thresholds or self.thresholds)
        # Weight of the lexical side-model's event logits (lexical.py, stored beside the weights);
        # 0: the encoder's scores alone.
        self.lexical_weight = float(lexical_weight)
        # The two label maps: ids are positions in these lists, stored with the weights.
        self.event_id2label = {i: t for i, t in enumerate(self.event_types)}
        self.event_label2id = {t: i for i, t in enumerate(self.event_types)}
        self.span_id2label = {i: t for i, t in enumerate(self.span_labels)}
        self.span_label2id = {t: i for i, t in enumerate(self.span_labels)}
        kwargs.pop("event_id2label", None), kwargs.pop("event_label2id", None)
        kwargs.pop("span_id2label", None), kwargs.pop("span_label2id", None)
        super().__init__(**kwargs)
        if sucesos_version and sucesos_version != __version__:
            warnings.warn(f"this model was saved by sucesos {sucesos_version}; you run {__version__}",
                          stacklevel=2)

    @property
    def span_labels(self) -> list[str]:
        return bio_tags(self.roles)

    def encoder_pretrained_config(self) -> PretrainedConfig:
        cfg = dict(self.encoder_config)
        model_type = cfg.pop("model_type")
        return AutoConfig.for_model(model_type, **cfg)


# Registered so that ``AutoConfig``/``AutoTokenizer`` read a sucesos model dir without falling back
# to a bare ``PretrainedConfig`` (and warning about the model type).
AutoConfig.register(SucesosConfig.model_type, SucesosConfig, exist_ok=True)
