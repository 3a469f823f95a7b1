"""``training.cache_frozen_layers``: the frozen lower layers run once per sentence, and a step that
starts from their cached output computes what the whole encoder would (without dropout there)."""

import copy

import pytest
import torch
from safetensors.torch import load_file
from transformers import BertConfig, DebertaV2Config, XLMRobertaConfig

from sucesos.training.data import Collator
from sucesos.training.frozen_cache import CachedStatesCollator, frozen_states
from sucesos.training.modeling import SucesosModel
from sucesos.training.trainer import run_training

SIZES = dict(vocab_size=60, hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=48,
             max_position_embeddings=64)
SEQUENCES = [[0, 5, 9, 11, 2], [0, 7, 2], [0, 4, 4, 8, 9, 12, 13, 2]]  # different lengths: padding matters


def _model(config_class, dropout: float = 0.1) -> SucesosModel:
    torch.manual_seed(0)
    config = config_class(**SIZES, pad_token_id=1, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    model = SucesosModel.from_encoder_config(config, event_types=["a", "b"], roles=["VICTIM"],
                                             event_pooling="attention", classifier_dropout=dropout)
    model.freeze_lower_layers(2)
    return model


def _batch(model, with_cache: bool) -> dict:
    collate = Collator(pad_token_id=1)
    features = [{"input_ids": ids, "span_labels": [-100] + [1] * (len(ids) - 2) + [-100], "event_labels": [1.0, 0.0],
                 "cache_index": i} for i, ids in enumerate(SEQUENCES)]
    if not with_cache:
        return collate([{k: v for k, v in f.items() if k != "cache_index"} for f in features])
    states = frozen_states(model.encoder, SEQUENCES, n_layers=2, batch_size=2, pad_token_id=1)
    return CachedStatesCollator(collate, states, n_layers=2)(features)


@pytest.mark.parametrize("config_class", [BertConfig, XLMRobertaConfig])
def test_step_from_cache_equals_full_forward_and_backward(config_class):
    model = _model(config_class, dropout=0.0)  # no dropout: the two paths must agree exactly
    model.train()
    results = []
    for with_cache in (False, True):
        batch = _batch(model, with_cache)
        assert ("frozen_hidden" in batch) == with_cache
        model.zero_grad()
        out = model(**batch)
        out.loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        results.append((out, grads))
    (full, full_grads), (cached, cached_grads) = results
    torch.testing.assert_close(cached.event_logits, full.event_logits, atol=1e-5, rtol=1e-5)
    real = _batch(model, False)["attention_mask"].bool()  # padded positions differ and are never used
    torch.testing.assert_close(cached.span_logits[real], full.span_logits[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(cached.loss, full.loss)
    assert full_grads.keys() == cached_grads.keys() and any("layer.2." in n for n in full_grads)
    for name in full_grads:
        torch.testing.assert_close(cached_grads[name], full_grads[name], atol=1e-5, rtol=1e-4)
    assert all(p.grad is None for n, p in model.named_parameters() if not p.requires_grad)


def test_cached_states_ignore_batching_and_are_computed_without_dropout():
    model = _model(BertConfig, dropout=0.5)
    model.train()
    alone = [frozen_states(model.encoder, [ids], n_layers=2)[0] for ids in SEQUENCES]
    together = frozen_states(model.encoder, SEQUENCES, n_layers=2, batch_size=3, pad_token_id=1)
    assert [t.shape[0] for t in together] == [len(ids) for ids in SEQUENCES]
    for a, b in zip(alone, together):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)  # eval mode: no dropout, padding ignored
    assert model.training  # restored afterwards
    # and the encoder is whole again: all 3 layers, its own embeddings
    assert len(model.encoder.encoder.layer) == 3 and type(model.encoder.embeddings).__name__ == "BertEmbeddings"


def test_dev_batches_without_cache_index_are_collated_as_before():
    model = _model(BertConfig)
    states = frozen_states(model.encoder, SEQUENCES, n_layers=2)
    features = [{"input_ids": ids, "span_labels": [-100] * len(ids), "event_labels": [0.0, 0.0]} for ids in SEQUENCES]
    batch = CachedStatesCollator(Collator(1), states, 2)(features)
    assert set(batch) == {"input_ids", "attention_mask", "span_labels", "event_labels"}


def test_unsupported_encoder_is_refused_clearly():
    torch.manual_seed(0)
    model = SucesosModel.from_encoder_config(DebertaV2Config(**SIZES), event_types=["a"], roles=["VICTIM"])
    with pytest.raises(ValueError, match="cache_frozen_layers works with .* not DebertaV2Model"):
        frozen_states(model.encoder, SEQUENCES, n_layers=1)


def test_training_with_cache_keeps_frozen_layers_and_learns(tiny_config, tmp_path):
    tiny_config.model.freeze_layers = 1
    tiny_config.training.cache_frozen_layers = True
    tiny_config.training.epochs = 4.0
    cached = copy.deepcopy(tiny_config)
    cached.output.dir = str(tmp_path / "cached")
    metrics = run_training(cached)
    weights = load_file(str(tmp_path / "cached" / "model.safetensors"))
    from transformers import BertModel

    start = BertModel.from_pretrained(tiny_config.model.encoder).state_dict()
    frozen = [k for k in start if k.startswith("embeddings.") or ".layer.0." in k]
    learned = [k for k in start if ".layer.1." in k]
    assert frozen and learned
    assert all(torch.equal(weights["encoder." + k], start[k]) for k in frozen)
    assert not all(torch.equal(weights["encoder." + k], start[k]) for k in learned)
    losses = [row["train_loss"] for row in metrics["run"]["dev_history"] if row.get("train_loss") is not None]
    assert losses[-1] < losses[0]
    assert "cache_frozen_layers: true" in (tmp_path / "cached" / "training_config.yaml").read_text()


def test_cache_is_skipped_with_a_log_line_when_nothing_is_frozen(tiny_config, capsys):
    tiny_config.training.cache_frozen_layers = True  # the default; tiny_config freezes no layer
    metrics = run_training(tiny_config)
    assert "nothing frozen (model.freeze_layers = 0), every layer runs each step" in capsys.readouterr().err
    assert metrics["test"]["events"]["n_sentences"] > 0
