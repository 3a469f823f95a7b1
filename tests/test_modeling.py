"""The event head's pooling and the optimizer's parameter groups, on a tiny random encoder."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig

from sucesos.training.modeling import SucesosModel
from sucesos.training.trainer import param_groups

TYPES = ["ambush", "arrest", "threat"]
ROLES = ["PERPETRATOR", "VICTIM"]


def tiny(pooling: str) -> SucesosModel:
    torch.manual_seed(0)
    enc = BertConfig(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40)
    return SucesosModel.from_encoder_config(enc, event_types=TYPES, roles=ROLES, event_pooling=pooling).eval()


def test_attention_pooling_starts_as_mean_pooling():
    attention, mean = tiny("attention"), tiny("mean")
    mean.load_state_dict({k: v for k, v in attention.state_dict().items() if "event_attention" not in k})
    ids = torch.tensor([[1, 5, 6, 7, 2, 0], [1, 8, 2, 0, 0, 0]])
    mask = (ids != 0).long()
    a = attention(input_ids=ids, attention_mask=mask).event_logits
    m = mean(input_ids=ids, attention_mask=mask).event_logits
    assert torch.allclose(a, m, atol=1e-6)


def test_attention_pooling_ignores_padding_and_differs_per_type():
    model = tiny("attention")
    with torch.no_grad():
        model.event_attention.weight.normal_(0, 1.0)  # as after training: each type attends differently
    ids = torch.tensor([[1, 5, 6, 7, 2]])
    alone = model(input_ids=ids, attention_mask=torch.ones_like(ids)).event_logits
    padded_ids = torch.tensor([[1, 5, 6, 7, 2, 0, 0, 0]])
    padded = model(input_ids=padded_ids, attention_mask=(padded_ids != 0).long()).event_logits
    assert torch.allclose(alone, padded, atol=1e-5)
    mean = tiny("mean")
    mean.load_state_dict({k: v for k, v in model.state_dict().items() if "event_attention" not in k})
    assert not torch.allclose(alone, mean(input_ids=ids, attention_mask=torch.ones_like(ids)).event_logits, atol=1e-3)


def test_unknown_pooling_rejected():
    with pytest.raises(ValueError, match="event_pooling"):
        tiny("max")


def test_param_groups_heads_faster_norms_undecayed_layers_decayed():
    model = tiny("attention")
    model.freeze_word_embeddings()
    groups = param_groups(model, learning_rate=1.0e-4, head_learning_rate=1.0e-3, weight_decay=0.01)
    assert sorted((g["lr"], g["weight_decay"]) for g in groups) == [(1.0e-4, 0.0), (1.0e-4, 0.01), (1.0e-3, 0.0)]
    heads = next(g for g in groups if g["lr"] == 1.0e-3)["params"]
    assert any(p is model.event_attention.weight for p in heads) and any(p is model.span_head.weight for p in heads)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert sum(p.numel() for g in groups for p in g["params"]) == trainable  # frozen embeddings left out
    decayed = param_groups(model, 1.0e-4, 1.0e-3, 0.01, layer_lr_decay=0.5)
    top = model.encoder.encoder.layer[1].attention.self.query.weight
    bottom = model.encoder.encoder.layer[0].attention.self.query.weight
    lr_of = {id(p): g["lr"] for g in decayed for p in g["params"]}
    assert lr_of[id(top)] == pytest.approx(1.0e-4) and lr_of[id(bottom)] == pytest.approx(0.5e-4)


def test_freeze_lower_layers_stops_gradients_below_the_cut():
    model = tiny("attention").train()
    model.freeze_lower_layers(1)
    ids = torch.tensor([[1, 5, 6, 7, 2]])
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), event_labels=torch.tensor([[1.0, 0.0, 0.0]]),
                span_labels=torch.tensor([[-100, 0, 1, 2, -100]]))
    out.loss.backward()
    bottom, top = model.encoder.encoder.layer
    assert all(p.grad is None and not p.requires_grad for p in bottom.parameters())
    assert all(p.grad is None for p in model.encoder.embeddings.parameters())
    assert all(p.grad is not None for p in top.parameters())
    assert model.event_attention.weight.grad is not None
    frozen_ids = {id(p) for p in model.parameters() if not p.requires_grad}
    groups = param_groups(model, 1.0e-4, 1.0e-3, 0.01)
    assert not any(id(p) in frozen_ids for g in groups for p in g["params"])  # the optimizer skips them


def test_freeze_all_layers_rejected():
    with pytest.raises(ValueError, match="all 2 layers"):
        tiny("mean").freeze_lower_layers(2)


def test_fused_adamw_trains_the_same_model_as_the_per_tensor_loop():
    from sucesos.training.trainer import fused_adamw_supported

    ids = torch.randint(0, 60, (4, 7), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)

    def trained(fused: bool) -> SucesosModel:
        model = tiny("attention").train()
        groups = param_groups(model, 1.0e-3, 1.0e-2, 0.01)
        assert fused_adamw_supported(groups)
        opt = torch.optim.AdamW(groups, lr=1.0e-3, fused=fused or None)
        for _ in range(5):
            opt.zero_grad()
            out = model(input_ids=ids, attention_mask=mask)
            (out.event_logits.sum() + out.span_logits.pow(2).mean()).backward()
            opt.step()
        return model.eval()

    # compared on outputs, not weights: parameters whose gradient is only rounding noise (a bias
    # under a softmax) take +-lr Adam steps of either sign, but cannot change what the model computes
    models = [trained(False), trained(True)]
    with torch.no_grad():
        outs = [m(input_ids=ids, attention_mask=mask) for m in models]
        start = tiny("attention").eval()(input_ids=ids, attention_mask=mask)
    assert torch.allclose(outs[0].event_logits, outs[1].event_logits, atol=1e-5)
    assert torch.allclose(outs[0].span_logits, outs[1].span_logits, atol=1e-5)
    assert not torch.allclose(outs[0].event_logits, start.event_logits, atol=1e-3)  # it did train
    assert not fused_adamw_supported([{"params": []}])


def test_encoder_dropout_rates_replace_the_encoders_own_only_when_set(tiny_encoder):
    from sucesos.training.modeling import SucesosModel

    default = SucesosModel.from_encoder(str(tiny_encoder), ["a", "b"], ["VICTIM"])
    assert default.encoder.config.attention_probs_dropout_prob == 0.1  # BertConfig's own
    model = SucesosModel.from_encoder(str(tiny_encoder), ["a", "b"], ["VICTIM"], encoder_dropout=0.05,
                                      attention_dropout=0.0)
    assert model.encoder.config.hidden_dropout_prob == 0.05
    assert model.encoder.config.attention_probs_dropout_prob == 0.0
    # the rates reach the modules (attention reads its rate from the config at build time) and config.json
    assert {m.p for m in model.encoder.modules() if isinstance(m, torch.nn.Dropout)} == {0.05, 0.0}
    assert model.config.encoder_config["attention_probs_dropout_prob"] == 0.0


def test_encoder_dropout_on_a_config_without_it_is_refused():
    from transformers import PretrainedConfig

    from sucesos.training.modeling import set_encoder_dropout

    with pytest.raises(ValueError, match="no attention dropout setting"):
        set_encoder_dropout(PretrainedConfig(), attention=0.0)
    assert set_encoder_dropout(PretrainedConfig()) is not None  # nothing asked, nothing checked


def test_training_with_a_dropout_rate_the_encoder_lacks_stops_with_one_message(tiny_config, monkeypatch):
    from pathlib import Path

    from sucesos.errors import SucesosError
    from sucesos.training import modeling
    from sucesos.training.trainer import run_training

    def refuse(config, hidden=None, attention=None):
        raise modeling.EncoderDropoutError("the encoder's config (X) has no attention dropout setting")

    monkeypatch.setattr(modeling, "set_encoder_dropout", refuse)
    tiny_config.model.attention_dropout = 0.0
    with pytest.raises(SucesosError, match=r"^model.encoder_dropout/attention_dropout: .*no attention dropout"):
        run_training(tiny_config)
    out = Path(tiny_config.output.dir)
    assert not out.exists() or not any(out.iterdir())  # stopped before writing anything
