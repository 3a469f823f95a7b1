"""The typed training config: YAML file + dotted command-line overrides.

Unknown keys and wrong types are rejected with the key's path; the merged config is saved
with every run (``training_config.yaml``).

>>> cfg = load_config(None, ["training.learning_rate=2e-5", "training.epochs=1"])
>>> cfg.training.learning_rate, cfg.training.epochs
(2e-05, 1.0)
>>> load_config(None, ["training.lr=1"])
Traceback (most recent call last):
...
sucesos.errors.SucesosError: <overrides>: unknown key 'training.lr' (known: ...)
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sucesos.errors import SucesosError

EVENT_POOLINGS = ("mean", "attention")  # how the event head reads the token states (modeling.py)


@dataclass
class DataConfig:
    train: str = "labels/corpus/train.jsonl"
    dev: str = "labels/corpus/dev.jsonl"
    test: typing.Optional[str] = "labels/corpus/test.jsonl"
    schema: typing.Optional[str] = None  # null = the shipped labels/schema.yaml
    languages: typing.Optional[typing.List[str]] = None  # keep only these languages (null = all)

    def check(self, where: str) -> None:
        if self.languages is not None and not self.languages:
            raise SucesosError(f"{where}: data.languages must be null or a non-empty list")


@dataclass
class ModelConfig:
    encoder: str = "bundled:multilingual-e5-small"
    max_length: int = 128  # subword tokens per window; longer sentences are windowed at inference
    dropout: float = 0.1  # before both heads
    # the encoder's own dropout: hidden states and attention probabilities (null = as its config has it)
    encoder_dropout: typing.Optional[float] = None
    attention_dropout: typing.Optional[float] = None
    event_loss_weight: float = 1.0
    span_loss_weight: float = 1.0
    freeze_word_embeddings: bool = True  # ~2.3x faster steps on CPU; embeddings barely move on small data
    freeze_layers: int = 4  # also freeze the embedding block and this many lowest layers (faster backward)
    event_pos_weight: str = "sqrt_balanced"  # none | balanced | sqrt_balanced (rare types weigh more)
    input_prefix: str = ""  # text before every sentence, as in pre-training: "query: " for e5 encoders
    event_pooling: str = "attention"  # attention (one learned query per event type) | mean
    # article context (context.py): weight of the neighbouring sentences' event logits and of the
    # rest of the article's; 0 and 0 score every sentence on its own
    context_neighbour_weight: float = 0.3
    context_article_weight: float = 0.1
    # event logits = (1 - w) * encoder + w * a TF-IDF + logistic-regression model fitted on the same
    # train split (lexical.py); 0 = the encoder alone
    lexical_weight: float = 0.5

    def check(self, where: str) -> None:
        _in_range(where, "model.max_length", self.max_length, 16, 8192)
        _in_range(where, "model.freeze_layers", self.freeze_layers, 0, 1000)
        _in_range(where, "model.dropout", self.dropout, 0.0, 0.9)
        for key in ("encoder_dropout", "attention_dropout"):
            if getattr(self, key) is not None:
                _in_range(where, f"model.{key}", getattr(self, key), 0.0, 0.9)
        _in_range(where, "model.event_loss_weight", self.event_loss_weight, 0.0, 100.0)
        _in_range(where, "model.span_loss_weight", self.span_loss_weight, 0.0, 100.0)
        if self.event_loss_weight == 0 and self.span_loss_weight == 0:
            raise SucesosError(f"{where}: model.event_loss_weight and model.span_loss_weight cannot both be 0")
        _one_of(where, "model.event_pos_weight", self.event_pos_weight, ("none", "balanced", "sqrt_balanced"))
        _one_of(where, "model.event_pooling", self.event_pooling, EVENT_POOLINGS)
        _in_range(where, "model.context_neighbour_weight", self.context_neighbour_weight, 0.0, 2.0)
        _in_range(where, "model.context_article_weight", self.context_article_weight, 0.0, 2.0)
        _in_range(where, "model.lexical_weight", self.lexical_weight, 0.0, 1.0)


@dataclass
class TrainingConfig:
    seed: int = 42
    epochs: float = 5.0
    max_steps: int = -1  # > 0 overrides epochs (smoke tests)
    batch_size: int = 16
    eval_batch_size: int = 64
    gradient_accumulation_steps: int = 1
    learning_rate: float = 8.0e-5
    head_learning_rate: float = 1.0e-3  # the freshly initialised heads learn faster
    layer_lr_decay: float = 1.0  # encoder layer k of L learns at learning_rate * decay**(L - k); 1.0 = off
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    threshold_shrinkage: float = 0.5  # dev-tuned per-type thresholds moved this far back to 0.5 (0 = as tuned)
    early_stopping_patience: int = 3  # epochs without dev improvement; 0 = off
    average_checkpoints: int = 0  # final weights = mean of the last N epoch checkpoints; 0 or 1 = the best checkpoint
    selection_metric: str = "event_macro_f1"  # event_macro_f1 | actor_overlap_f1 | combined_f1
    precision: str = "auto"  # auto (bf16/fp16 on GPU, bf16 on AMX CPUs, else fp32) | fp32 | bf16 | fp16
    num_threads: int = 0  # torch CPU threads; 0 = torch's default
    fast_dropout: bool = True  # CPU training: dropout masks from numpy's PCG64 (same dropout, cheaper; fast_dropout.py)
    cache_frozen_layers: bool = True  # run the frozen lower layers once per sentence, not per step (frozen_cache.py)
    fused_optimizer: bool = True  # AdamW's fused kernel on CPU and CUDA (the per-tensor loop took ~11% of a CPU step)
    logging_steps: int = 10

    def check(self, where: str) -> None:
        _in_range(where, "training.seed", self.seed, 0, 2**32 - 1)
        _in_range(where, "training.num_threads", self.num_threads, 0, 1024)
        _in_range(where, "training.epochs", self.epochs, 0.0, 1000.0)
        _in_range(where, "training.batch_size", self.batch_size, 1, 4096)
        _in_range(where, "training.eval_batch_size", self.eval_batch_size, 1, 4096)
        _in_range(where, "training.gradient_accumulation_steps", self.gradient_accumulation_steps, 1, 1024)
        _in_range(where, "training.learning_rate", self.learning_rate, 1e-8, 1.0)
        _in_range(where, "training.head_learning_rate", self.head_learning_rate, 1e-8, 1.0)
        _in_range(where, "training.layer_lr_decay", self.layer_lr_decay, 0.1, 1.0)
        _in_range(where, "training.weight_decay", self.weight_decay, 0.0, 1.0)
        _in_range(where, "training.warmup_ratio", self.warmup_ratio, 0.0, 1.0)
        _in_range(where, "training.threshold_shrinkage", self.threshold_shrinkage, 0.0, 1.0)
        _in_range(where, "training.early_stopping_patience", self.early_stopping_patience, 0, 1000)
        _in_range(where, "training.average_checkpoints", self.average_checkpoints, 0, 100)
        _in_range(where, "training.logging_steps", self.logging_steps, 1, 100000)
        _one_of(where, "training.selection_metric", self.selection_metric,
                ("event_macro_f1", "actor_overlap_f1", "combined_f1"))
        _one_of(where, "training.precision", self.precision, ("auto", "fp32", "bf16", "fp16"))
        if self.epochs == 0 and self.max_steps <= 0:
            raise SucesosError(f"{where}: set training.epochs > 0 or training.max_steps > 0")


@dataclass
class OutputConfig:
    dir: str = "models/sucesos-e5-small"
    keep_checkpoints: bool = False  # checkpoints (for --resume) are removed after a finished run


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _in_range(where, key, value, low, high):
    if not low <= value <= high:
        raise SucesosError(f"{where}: {key} = {value!r} is outside [{low}, {high}]")


def _one_of(where, key, value, allowed):
    if value not in allowed:
        raise SucesosError(f"{where}: {key} = {value!r} is not one of: {', '.join(allowed)}")


def _coerce(value, annotation, key: str, where: str):
    """Check ``value`` against a field annotation; numeric strings become numbers (PyYAML reads
    ``1e-5`` as a string, and command-line values arrive as strings)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], key, where)
    if origin in (list, typing.List):
        if not isinstance(value, list):
            raise SucesosError(f"{where}: {key} must be a list, got {type(value).__name__} {value!r}")
        (item_type,) = typing.get_args(annotation)
        return [_coerce(v, item_type, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif annotation is str:
        if isinstance(value, str):
            return value
    expected = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}.get(annotation, str(annotation))
    raise SucesosError(f"{where}: {key} must be {expected}, got {type(value).__name__} {value!r}")


def _build(cls, raw, prefix: str, where: str):
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SucesosError(f"{where}: {prefix or 'config'} must be a mapping")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in names:
            path = f"{prefix}.{key}" if prefix else key
            raise SucesosError(f"{where}: unknown key '{path}' (known: {', '.join(names)})")
    values = {}
    for name in names:
        if name not in raw:
            continue
        path = f"{prefix}.{name}" if prefix else name
        annotation = hints[name]
        if dataclasses.is_dataclass(annotation):
            values[name] = _build(annotation, raw[name], path, where)
        else:
            values[name] = _coerce(raw[name], annotation, path, where)
    return cls(**values)


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """Apply ``section.key=value`` strings (values parsed as YAML) onto a raw config dict."""
    for item in overrides:
        if "=" not in item:
            raise SucesosError(f"<overrides>: expected key=value, got {item!r}")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        node = raw
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if node.get(part) is None:  # absent, or an empty section ('training:' in YAML)
                node[part] = {}
            node = node[part]
            if not isinstance(node, dict):
                raise SucesosError(f"<overrides>: {key} does not name a config key")
        node[parts[-1]] = value
    return raw


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> Config:
    """Read a YAML config (``None`` = all defaults), apply overrides, validate everything."""
    raw: dict = {}
    where = str(path) if path else "<defaults>"
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise SucesosError(f"cannot read config: {exc.strerror}", path=str(path)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise SucesosError(f"invalid YAML ({getattr(exc, 'problem', exc)})", path=str(path),
                               line=None if mark is None else mark.line + 1) from None
    if overrides:
        _build(Config, raw, "", where)  # report the file's own errors against the file first
        raw = apply_overrides(raw, overrides)
        where = f"{where} + overrides" if path else "<overrides>"
    config = _build(Config, raw, "", where)
    for section in (config.data, config.model, config.training):
        section.check(where)
    return config
