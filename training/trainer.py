"""``sucesos train``: config → fine-tuned model directory.

The Hugging Face ``Trainer`` does the loop (so ``accelerate launch`` / ``torchrun`` scale it
out unchanged); the subclass only adds a separate learning rate for the fresh heads. Around it:
data checks before anything is written, early stopping on the dev selection metric, threshold
tuning on dev, test scores at the end, and an atomic save of the model directory.

>>> from sucesos.training.config import load_config
>>> result = run_training(load_config("training/configs/default.yaml"))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from sucesos.errors import SucesosError
from sucesos.fileio import write_json_atomic, write_text_atomic
from sucesos.labels.corpus import load_corpus
from sucesos.labels.schema import load_schema
from sucesos.training.config import Config
from sucesos.training.encoders import resolve_encoder
from sucesos.training.evaluation import evaluate_tagger, headline, tune_thresholds

CHECKPOINTS = "checkpoints"
RUN_CONFIG = "training_config.yaml"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- checks
def load_splits(config: Config, schema) -> dict[str, list[dict]]:
    """Validate all split files together (ids, cross-split articles), then filter languages."""
    paths = {"train": config.data.train, "dev": config.data.dev}
    if config.data.test:
        paths["test"] = config.data.test
    for name, path in paths.items():
        if not Path(path).is_file():
            raise SucesosError(f"data.{name} file not found", path=path)
    load_corpus(list(paths.values()), schema)
    splits = {name: load_corpus([path], schema) for name, path in paths.items()}
    if config.data.languages:
        splits = {n: [r for r in rs if r["language"] in config.data.languages] for n, rs in splits.items()}
    for name in ("train", "dev"):
        if not splits[name]:
            which = f" in languages {config.data.languages}" if config.data.languages else ""
            raise SucesosError(f"data.{name} has no sentences{which}", path=paths[name])
    return splits


def check_output_dir(out: Path, overwrite: bool, resume: bool) -> None:
    if resume:
        if not any((out / CHECKPOINTS).glob("checkpoint-*")):
            raise SucesosError("--resume: no checkpoint to resume from", path=str(out / CHECKPOINTS))
        return
    if (out / "config.json").exists() and not overwrite:
        raise SucesosError("output dir already holds a model; pass --overwrite to replace it "
                           "or set output.dir=OTHER", path=str(out))
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise SucesosError("output dir is not empty; pass --overwrite, --resume, or set output.dir=OTHER",
                           path=str(out))


def pos_weights(records, event_types, mode: str) -> list[float] | None:
    """Per-type positive weights for the BCE loss so rare types are not drowned out."""
    if mode == "none":
        return None
    counts = Counter(t for r in records for t in r["events"])
    n = len(records)
    weights = []
    for t in event_types:
        ratio = (n - counts[t]) / max(counts[t], 1)
        weights.append(float(min(ratio if mode == "balanced" else math.sqrt(ratio), 50.0)))
    return weights


# ---------------------------------------------------------------------------- trainer
def param_groups(model, learning_rate: float, head_learning_rate: float, weight_decay: float,
                 layer_lr_decay: float = 1.0) -> list[dict]:
    """AdamW groups: fresh heads at ``head_learning_rate``; encoder weights (decayed) and biases and
    norms (not decayed) at ``learning_rate``, scaled by ``layer_lr_decay ** depth`` where depth is 0
    for the top layer, grows by one per layer down, and is deepest for the embeddings.

    >>> from transformers import BertConfig
    >>> from sucesos.training.modeling import SucesosModel
    >>> m = SucesosModel.from_encoder_config(BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=2,
    ...     num_attention_heads=2, intermediate_size=8), event_types=["a"], roles=["VICTIM"])
    >>> sorted({g["lr"] for g in param_groups(m, 1.0, 5.0, 0.01, layer_lr_decay=0.5)})
    [0.25, 0.5, 1.0, 5.0]
    """
    from sucesos.training.modeling import LAYER_INDEX

    layers = [int(m.group(1)) for n, _ in model.named_parameters() if (m := LAYER_INDEX.search(n))]
    top = max(layers, default=0)
    groups: dict[tuple[float, float], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if not name.startswith("encoder."):
            key = (head_learning_rate, 0.0)
        else:
            found = LAYER_INDEX.search(name)
            depth = top - int(found.group(1)) if found else top + 1  # embeddings sit below every layer
            lr = learning_rate * layer_lr_decay ** depth  # exactly learning_rate when the decay is 1.0
            no_decay = param.ndim < 2 or "LayerNorm" in name or "layer_norm" in name
            key = (lr, 0.0 if no_decay else weight_decay)
        groups.setdefault(key, []).append(param)
    return [{"params": params, "lr": lr, "weight_decay": wd} for (lr, wd), params in groups.items()]


def fused_adamw_supported(groups: list[dict]) -> bool:
    """Whether AdamW's fused kernel can take these parameters: all floating point, all on the CPU or
    all on one CUDA device. Why fused: torch does not default to it, and on the CPU it otherwise
    updates tensor by tensor from Python (73 ms against 15 ms a step for the default's 14 M trainable
    parameters, weights equal to 7e-9 after 33 steps; whole training steps 1.26x faster with the same
    logged losses, ``benchmarks/epoch_speed.py``).

    >>> import torch
    >>> fused_adamw_supported([{"params": [torch.nn.Parameter(torch.zeros(2))]}])
    True
    """
    params = [p for g in groups for p in g["params"]]
    devices = {p.device for p in params}
    return bool(params) and len(devices) == 1 and next(iter(devices)).type in ("cpu", "cuda") and \
        all(p.is_floating_point() for p in params)


def _make_trainer_class():
    import torch
    from transformers import Trainer

    class SucesosTrainer(Trainer):
        """Trainer with a separate (higher) learning rate for the freshly initialised heads and,
        optionally, layer-wise learning-rate decay in the encoder."""

        head_learning_rate: float = 1e-3
        layer_lr_decay: float = 1.0
        fused_optimizer: bool = True

        def create_optimizer(self, model=None):
            if self.optimizer is not None:
                return self.optimizer
            groups = param_groups(model or self.model, self.args.learning_rate, self.head_learning_rate,
                                  self.args.weight_decay, self.layer_lr_decay)
            self.optimizer = torch.optim.AdamW(groups, lr=self.args.learning_rate,
                                               fused=fused_adamw_supported(groups) if self.fused_optimizer else None)
            return self.optimizer

    return SucesosTrainer


def make_compute_metrics(model_config):
    """Dev metrics during training: event macro-F1 and word-level actor F1 (seqeval).

    Event F1 is taken at per-type thresholds tuned on these dev sentences, the same procedure
    that sets the thresholds the saved model ships with: at a fixed 0.5, a model whose scores
    already rank well but sit low (rare types, early epochs) would read as F1 0 and could be
    early-stopped before it learns.
    """
    from seqeval.metrics import f1_score

    from sucesos.training.metrics.core import event_scores

    def compute(eval_pred):
        event_logits, span_logits = eval_pred.predictions
        event_labels, span_labels = eval_pred.label_ids
        probs = 1 / (1 + np.exp(-event_logits))
        types = model_config.event_types
        gold = [[t for j, t in enumerate(types) if row[j] >= 0.5] for row in event_labels]
        thresholds = tune_thresholds(probs, [{"events": g} for g in gold], types)
        pred = [[t for j, t in enumerate(types) if row[j] >= thresholds[t]] for row in probs]
        ev = event_scores(pred, gold, types)
        tags = span_logits.argmax(-1)
        names = model_config.span_labels
        y_true, y_pred = [], []
        for t_row, g_row in zip(tags, span_labels):
            keep = g_row != -100
            y_true.append([names[i] for i in g_row[keep]])
            y_pred.append([names[i] for i in t_row[keep]])
        actor = float(f1_score(y_true, y_pred, zero_division=0))
        macro = ev["macro_f1"] or 0.0
        return {"event_macro_f1": macro, "event_micro_f1": ev["micro_f1"] or 0.0, "actor_f1": actor,
                "combined_f1": (macro + actor) / 2}

    return compute


def dev_history(log_history: list[dict]) -> list[dict]:
    """Per evaluation (each epoch): epoch, last training loss and the dev scores, for metrics.json.

    >>> dev_history([{"loss": 0.9, "epoch": 0.5}, {"eval_event_macro_f1": 0.61234, "eval_runtime": 1.2, "epoch": 1.0}])
    [{'epoch': 1.0, 'train_loss': 0.9, 'event_macro_f1': 0.6123}]
    """
    history, loss = [], None
    for entry in log_history:
        if "loss" in entry:
            loss = entry["loss"]
        if any(k.startswith("eval_") for k in entry):
            row = {"epoch": entry.get("epoch"), "train_loss": loss}
            row.update({k[5:]: round(v, 4) for k, v in entry.items() if k.startswith("eval_")
                        and not k.endswith(("_runtime", "_per_second"))})
            history.append(row)
    return history


def _epoch_logger():
    from transformers import TrainerCallback

    class EpochLog(TrainerCallback):
        """One line per epoch: training loss and dev scores."""

        def __init__(self):
            self.started = time.time()

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            losses = [h["loss"] for h in state.log_history if "loss" in h]
            loss = f"{losses[-1]:.4f}" if losses else "n/a"
            m = metrics or {}
            log(f"epoch {state.epoch:.0f}: train loss {loss} | dev event macro-F1 {m.get('eval_event_macro_f1', 0):.3f} "
                f"micro-F1 {m.get('eval_event_micro_f1', 0):.3f} | dev actor F1 {m.get('eval_actor_f1', 0):.3f} "
                f"| {time.time() - self.started:.0f}s")

    return EpochLog()


# ---------------------------------------------------------------------------- main entry
def _model_from_encoder(config: Config, schema, splits: dict, encoder_path: str):
    """The pretrained encoder with fresh heads, set up as the config says."""
    from sucesos.training.modeling import SucesosModel

    return SucesosModel.from_encoder(
        encoder_path, schema.event_types, schema.roles, base_encoder=config.model.encoder,
        encoder_dropout=config.model.encoder_dropout, attention_dropout=config.model.attention_dropout,
        schema_version=schema.version, max_seq_length=config.model.max_length, classifier_dropout=config.model.dropout,
        event_loss_weight=config.model.event_loss_weight, span_loss_weight=config.model.span_loss_weight,
        input_prefix=config.model.input_prefix, event_pooling=config.model.event_pooling,
        event_pos_weight=pos_weights(splits["train"], schema.event_types, config.model.event_pos_weight),
        context_neighbour_weight=config.model.context_neighbour_weight,
        context_article_weight=config.model.context_article_weight, lexical_weight=config.model.lexical_weight)


def _cache_frozen_layers(config: Config, model, train_ds, collate, precision: str):
    """The training split's frozen-layer states, computed once (training.cache_frozen_layers).

    Returns the training dataset with a ``cache_index`` column and a collator that adds the
    cached states to each training batch; the dev set is collated and evaluated as before.
    """
    from sucesos.training.frozen_cache import CachedStatesCollator, check_supported, frozen_states

    # On by default, so a config that cannot use it (nothing frozen, another encoder family)
    # trains as before, and says so on the log rather than stopping
    if config.model.freeze_layers <= 0:
        log("training.cache_frozen_layers: nothing frozen (model.freeze_layers = 0), every layer runs each step")
        return train_ds, collate
    try:
        check_supported(model.encoder)
    except ValueError as exc:
        log(f"{exc}; every layer runs each step")
        return train_ds, collate
    import torch

    started = time.time()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    if torch.cuda.is_available():
        model.to("cuda")  # where the Trainer would put it anyway; the states come back to the CPU
    states = frozen_states(model.encoder, train_ds["input_ids"], config.model.freeze_layers,
                           batch_size=config.training.eval_batch_size, autocast_dtype=dtype,
                           pad_token_id=collate.pad_token_id)
    megabytes = sum(t.numel() for t in states) * 4 / 2**20
    log(f"cached the frozen layers' output for {len(states)} training sentences ({megabytes:.0f} MB, "
        f"{time.time() - started:.0f}s)")
    train_ds = train_ds.add_column("cache_index", list(range(len(train_ds))))
    return train_ds, CachedStatesCollator(collate, states, config.model.freeze_layers)


def run_training(config: Config, overwrite: bool = False, resume: bool = False,
                 test_predictions: list | None = None) -> dict:
    """Train, tune thresholds, evaluate and save. Returns the metrics dict.

    ``test_predictions``, if given, is extended with the test split's predictions (one dict per
    sentence, in order), so callers such as cross-validation need not score the test split again.
    """
    import torch
    from transformers import AutoTokenizer, EarlyStoppingCallback, TrainingArguments, set_seed

    from sucesos.inference.tagger import EventTagger, cpu_has_bf16_matrix_units
    from sucesos.training.averaging import average_last_checkpoints
    from sucesos.training.data import Collator, build_dataset
    from sucesos.training.fast_dropout import cpu_math_attention, fast_cpu_dropout
    from sucesos.training.model_card import render_model_card
    from sucesos.training.modeling import EncoderDropoutError

    started = time.time()
    schema = load_schema(config.data.schema)
    splits = load_splits(config, schema)
    out = Path(config.output.dir)
    check_output_dir(out, overwrite, resume)
    run_yaml = config.to_yaml()
    ckpt_dir = out / CHECKPOINTS
    if resume and (ckpt_dir / RUN_CONFIG).exists() and (ckpt_dir / RUN_CONFIG).read_text() != run_yaml:
        raise SucesosError("--resume with a different config than the interrupted run; use the same config "
                           "and overrides", path=str(ckpt_dir / RUN_CONFIG))
    unseen = [t for t in schema.event_types if not any(t in r["events"] for r in splits["train"])]
    if unseen:
        log(f"warning: event types never seen in training: {', '.join(unseen)}")
    if config.training.num_threads:
        torch.set_num_threads(config.training.num_threads)

    encoder_path = resolve_encoder(config.model.encoder)
    try:
        tokenizer = AutoTokenizer.from_pretrained(encoder_path)
    except (OSError, ValueError) as exc:
        raise SucesosError(
            f"cannot load encoder {config.model.encoder!r} ({str(exc).splitlines()[0][:160]}). Without network, use "
            "the offline default 'model.encoder=bundled:multilingual-e5-small' or a local directory") from None
    if not tokenizer.is_fast:
        raise SucesosError(f"encoder {config.model.encoder!r} has no fast tokenizer (needed for word alignment)")

    set_seed(config.training.seed)
    try:
        model = _model_from_encoder(config, schema, splits, encoder_path)
    except EncoderDropoutError as exc:  # an encoder without the dropout setting asked for
        raise SucesosError(f"model.encoder_dropout/attention_dropout: {exc}") from None
    if config.model.freeze_word_embeddings:
        model.freeze_word_embeddings()
    if config.model.freeze_layers:
        try:  # still before anything is written to the output dir
            model.freeze_lower_layers(config.model.freeze_layers)
        except ValueError as exc:
            raise SucesosError(f"model.{exc}") from None

    train_ds = build_dataset(splits["train"], tokenizer, model.config, config.model.max_length)
    dev_ds = build_dataset(splits["dev"], tokenizer, model.config, config.model.max_length)
    cuda = torch.cuda.is_available()
    precision = config.training.precision
    if precision == "auto":
        # bf16 autocast where the hardware has bf16 matrix units: GPUs, and CPUs with AMX, where a
        # training step runs ~1.6x faster (benchmarks/README.md); exact fp32 on other CPUs
        if cuda:
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "bf16" if cpu_has_bf16_matrix_units() else "fp32"
    collate = Collator(tokenizer.pad_token_id or 0)
    if config.training.cache_frozen_layers:
        train_ds, collate = _cache_frozen_layers(config, model, train_ds, collate, precision)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(ckpt_dir / RUN_CONFIG, run_yaml)
    args = TrainingArguments(
        output_dir=str(ckpt_dir),
        num_train_epochs=config.training.epochs,
        max_steps=config.training.max_steps,
        per_device_train_batch_size=config.training.batch_size,
        per_device_eval_batch_size=config.training.eval_batch_size,
        gradient_accumulation_steps=config.training.gradient_accumulation_steps,
        learning_rate=config.training.learning_rate,
        weight_decay=config.training.weight_decay,
        warmup_steps=config.training.warmup_ratio,  # a float < 1 is a ratio in transformers >= 5
        eval_strategy="epoch" if config.training.max_steps <= 0 else "steps",
        save_strategy="epoch" if config.training.max_steps <= 0 else "steps",
        eval_steps=max(1, config.training.max_steps) if config.training.max_steps > 0 else None,
        save_steps=max(1, config.training.max_steps) if config.training.max_steps > 0 else None,
        # averaging needs the last N checkpoints; +1 because the Trainer also keeps the best one
        save_total_limit=max(2, config.training.average_checkpoints + 1),
        load_best_model_at_end=True,
        metric_for_best_model=config.training.selection_metric if config.training.selection_metric != "actor_overlap_f1" else "actor_f1",
        greater_is_better=True,
        logging_steps=config.training.logging_steps,
        seed=config.training.seed,
        data_seed=config.training.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not cuda,
        report_to=[],
        remove_unused_columns=False,
        label_names=["event_labels", "span_labels"],
        dataloader_num_workers=0,
        train_sampling_strategy="group_by_length",  # batches of similar length: less padding, faster CPU steps
        disable_tqdm=not sys.stderr.isatty(),
    )
    callbacks = [_epoch_logger()]
    if config.training.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.training.early_stopping_patience))
    trainer_cls = _make_trainer_class()
    trainer_cls.head_learning_rate = config.training.head_learning_rate
    trainer_cls.layer_lr_decay = config.training.layer_lr_decay
    trainer_cls.fused_optimizer = config.training.fused_optimizer
    trainer = trainer_cls(model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                          data_collator=collate,
                          compute_metrics=make_compute_metrics(model.config), callbacks=callbacks)
    log(f"training on {len(splits['train'])} sentences, dev {len(splits['dev'])}; encoder {config.model.encoder}; "
        f"{precision} on {'cuda' if cuda else 'cpu'}")
    # CPU training: numpy-drawn dropout masks (same dropout, ~1/3 of torch's cost), or torch's masks
    # with attention kept off the slow fused kernel when it has no dropout (fast_dropout.py)
    cpu_path = fast_cpu_dropout if config.training.fast_dropout else cpu_math_attention
    with contextlib.nullcontext() if cuda else cpu_path(model):
        trainer.train(resume_from_checkpoint=True if resume else None)
    # Under bf16/fp16 training accelerate patches model.forward with an autocast wrapper that stays
    # after training; without removing it the "fp32" scoring below (and the thresholds tuned on
    # it) silently ran in bf16 and metrics.json did not match the saved model reloaded in fp32.
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    averaged = None
    if config.training.average_checkpoints > 1:
        state, averaged = average_last_checkpoints(ckpt_dir, config.training.average_checkpoints)
        model.load_state_dict(state)
        log(f"final weights: mean of {', '.join(averaged)}")
    lexical = None  # the TF-IDF side-model, fitted on the same train split (part of training time)
    if config.model.lexical_weight:
        from sucesos.training.lexical import LexicalScorer

        lexical = LexicalScorer.fit(splits["train"], schema.event_types, seed=config.training.seed)
    train_seconds = time.time() - started

    # thresholds tuned on dev, then test scored once with them; scored in exact fp32 so that the
    # reported figures do not depend on whether this CPU has bf16 units (predict's "auto" does)
    # (two threshold sets: for sentences scored alone, and for sentences in article context)
    tagger = EventTagger(model, tokenizer, precision="fp32", lexical=lexical)
    dev_pred = tune_tagger_thresholds(tagger, splits["dev"], config.training.threshold_shrinkage,
                                      config.training.eval_batch_size)
    metrics = {"dev": evaluate_tagger(tagger, splits["dev"], config.training.eval_batch_size, scored=dev_pred)[0]}
    log("dev:  " + headline(metrics["dev"]))
    if "test" in splits and splits["test"]:
        metrics["test"], predicted = evaluate_tagger(tagger, splits["test"], config.training.eval_batch_size)
        if test_predictions is not None:
            test_predictions.extend(predicted)
        log("test: " + headline(metrics["test"]))
    metrics["run"] = {"train_seconds": round(train_seconds, 1), "epochs_run": float(trainer.state.epoch or 0),
                      "best_checkpoint": trainer.state.best_model_checkpoint, "averaged_checkpoints": averaged,
                      "dev_history": dev_history(trainer.state.log_history),
                      "device": "cuda" if cuda else "cpu",
                      "precision": precision, "torch_threads": torch.get_num_threads()}
    data_summary = {n: f"{len(rs)} sentences, {len({r['article_id'] for r in rs})} articles "
                       f"({getattr(config.data, n) if n != 'test' or config.data.test else ''})" for n, rs in splits.items()}
    save_model_dir(out, model, tokenizer, run_yaml, metrics, render_model_card(model.config, run_yaml, metrics, data_summary),
                   keep_checkpoints=config.output.keep_checkpoints, lexical=lexical)
    log(f"saved model to {out} ({time.time() - started:.0f}s in all)")
    return metrics


def tune_tagger_thresholds(tagger, dev: list[dict], shrinkage: float, batch_size: int) -> list[dict]:
    """Tune both threshold sets on the dev records (for sentences scored alone, and in article
    context), store them in the model's config and in ``tagger``; return the dev sentences'
    sentence-alone predictions (scores final, events decided before tuning)."""
    types = tagger.event_types
    dev_pred = tagger.predict_sentences([r["text"] for r in dev], batch_size=batch_size)
    dev_in_context = tagger.apply_article_context(dev_pred, [r["article_id"] for r in dev])
    for attribute, predicted in (("thresholds", dev_pred), ("context_thresholds", dev_in_context)):
        probs = np.array([[p["scores"][t] for t in types] for p in predicted])
        tuned = tune_thresholds(probs, dev, types, shrinkage=shrinkage)
        setattr(tagger.model.config, attribute, tuned)
        setattr(tagger, attribute, dict(tuned))
    return dev_pred


def save_model_dir(out: Path, model, tokenizer, run_yaml: str, metrics: dict, card: str, keep_checkpoints: bool,
                   lexical=None) -> None:
    """Write into a staging dir, move files in, ``config.json`` last: a model dir without it is incomplete."""
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    if lexical is not None:
        lexical.save(staging)
    write_text_atomic(staging / RUN_CONFIG, run_yaml)
    write_json_atomic(staging / "metrics.json", metrics)
    write_text_atomic(staging / "README.md", card)
    if (out / "config.json").exists():
        os.unlink(out / "config.json")  # the old model stops looking complete before files change
    for item in sorted(staging.iterdir(), key=lambda p: p.name == "config.json"):
        target = out / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    staging.rmdir()
    if lexical is None:  # a replaced model's side-model must not be read as this one's
        from sucesos.training.lexical import LEXICAL_JSON, LEXICAL_WEIGHTS

        for name in (LEXICAL_JSON, LEXICAL_WEIGHTS):
            (out / name).unlink(missing_ok=True)
    if not keep_checkpoints:
        shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
