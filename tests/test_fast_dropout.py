"""``training.fast_dropout``: numpy-drawn dropout masks must be the same dropout as torch's."""

import json

import pytest
import torch
from torch import nn
from transformers import BertConfig

from sucesos.training.fast_dropout import (ATTENTION_NAME, MATH_ATTENTION_NAME, NumpyDropout, cpu_math_attention,
                                           dropout_mask, fast_cpu_dropout, numpy_dropout)
from sucesos.training.modeling import SucesosModel


def tiny_model(hidden_dropout=0.0, attention_dropout=0.0, classifier_dropout=0.0):
    enc = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                     hidden_dropout_prob=hidden_dropout, attention_probs_dropout_prob=attention_dropout)
    torch.manual_seed(0)
    return SucesosModel.from_encoder_config(enc, event_types=["a", "b"], roles=["VICTIM"],
                                            classifier_dropout=classifier_dropout)


IDS = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 2, 0, 0]])
MASK = (IDS != 0).long()


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_keeps_one_minus_p_and_rescales(p):
    torch.manual_seed(1)
    y = numpy_dropout(torch.ones(400_000), p)
    assert abs(float((y == 0).float().mean()) - p) < 0.005
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))
    assert abs(float(y.mean()) - 1.0) < 0.01  # expectation preserved, as nn.Dropout


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(3, 50_000), (0, 4), ()])
def test_mask_bit_patterns_are_zero_or_the_scale_in_each_dtype(dtype, shape):
    # the mask is written as integer bit patterns in numpy and read back as floats: a wrong width
    # or a byte-order slip would give values other than 0 and 1 / (1 - p)
    torch.manual_seed(2)
    mask = dropout_mask(shape, 0.2, dtype)
    assert mask.dtype == dtype and tuple(mask.shape) == shape
    scale = torch.tensor(1 / 0.8, dtype=dtype)
    assert bool(((mask == 0) | (mask == scale)).all())
    if mask.numel() > 1000:
        assert abs(float((mask == 0).double().mean()) - 0.2) < 0.005


def test_eval_mode_and_p_zero_are_identity():
    x = torch.randn(4, 7)
    assert torch.equal(NumpyDropout(0.3).eval()(x), x)
    assert torch.equal(numpy_dropout(x, 0.0), x)


def test_masks_follow_torch_seed():
    torch.manual_seed(5)
    a = numpy_dropout(torch.ones(1000), 0.5)
    b = numpy_dropout(torch.ones(1000), 0.5)
    torch.manual_seed(5)
    assert torch.equal(numpy_dropout(torch.ones(1000), 0.5), a)
    assert not torch.equal(a, b)


def test_gradient_is_zero_where_dropped():
    x = torch.ones(1000, requires_grad=True)
    y = numpy_dropout(x, 0.5)
    y.sum().backward()
    assert torch.equal(x.grad == 0, y == 0)


@pytest.mark.parametrize("attention_dropout", [1e-9, 0.0])
def test_attention_path_matches_sdpa_and_ignores_padding(attention_dropout, monkeypatch):
    # attention dropout so small that no element is dropped (or none at all: CPU training takes
    # this path either way): the result must equal the model in eval mode (sdpa), and changing
    # padded tokens must change nothing
    from sucesos.training import fast_dropout

    calls = []
    monkeypatch.setattr(fast_dropout, "numpy_dropout", lambda x, p, training=True: calls.append((p, x.dim())) or x)
    model = tiny_model(attention_dropout=attention_dropout)
    model.eval()
    with torch.no_grad():
        reference = model(input_ids=IDS, attention_mask=MASK)
    with fast_cpu_dropout(model):
        assert model.encoder.config._attn_implementation == ATTENTION_NAME
        model.train()
        with torch.no_grad():
            out = model(input_ids=IDS, attention_mask=MASK)
            changed = IDS.clone()
            changed[1, 3:] = 9
            out_changed = model(input_ids=changed, attention_mask=MASK)
    assert torch.allclose(out.event_logits, reference.event_logits, atol=1e-5)
    assert torch.allclose(out.span_logits[0], reference.span_logits[0], atol=1e-5)
    assert torch.equal(out_changed.event_logits, out.event_logits)
    probabilities = [p for p, dim in calls if dim == 4]  # (batch, heads, query, key): attention's calls
    assert probabilities == ([attention_dropout] * 2 * 2 if attention_dropout else [])  # 2 layers x 2 runs


@pytest.mark.parametrize("attention_dropout", [0.0, 0.5])
def test_torch_masks_keep_attention_without_dropout_off_the_fused_kernel(attention_dropout, monkeypatch):
    # training.fast_dropout: false. Without attention dropout, training attention must take the
    # math path (torch's sdpa would take its slow fused CPU kernel) and equal sdpa's result; with
    # dropout, torch's own sdpa runs (its math path and masks); nothing else changes and all is undone
    from sucesos.training import fast_dropout

    sdpa_calls = []
    real_sdpa = fast_dropout._sdpa
    monkeypatch.setattr(fast_dropout, "_sdpa", lambda *a, **k: sdpa_calls.append(k["dropout"]) or real_sdpa(*a, **k))
    model = tiny_model(attention_dropout=attention_dropout)
    n_dropout = sum(type(m) is nn.Dropout for m in model.modules())
    model.eval()
    with torch.no_grad():
        reference = model(input_ids=IDS, attention_mask=MASK)
    sdpa_calls.clear()
    with cpu_math_attention(model):
        assert model.encoder.config._attn_implementation == MATH_ATTENTION_NAME
        model.train()
        torch.manual_seed(4)
        out = model(input_ids=IDS, attention_mask=MASK)
        out.event_logits.sum().backward()  # trains through either path
    assert model.encoder.config._attn_implementation == "sdpa"
    assert sum(type(m) is nn.Dropout for m in model.modules()) == n_dropout  # torch's modules stay
    if attention_dropout:
        assert sdpa_calls == [attention_dropout] * 2  # 2 layers, torch's sdpa with its dropout
        assert not torch.allclose(out.event_logits, reference.event_logits, atol=1e-5)
    else:
        assert sdpa_calls == []  # the math path in both layers
        assert torch.allclose(out.event_logits, reference.event_logits, atol=1e-5)
        assert torch.allclose(out.span_logits[0], reference.span_logits[0], atol=1e-5)


def test_attention_dropout_drops_and_is_seeded():
    model = tiny_model(attention_dropout=0.5)
    model.train()
    with fast_cpu_dropout(model), torch.no_grad():
        torch.manual_seed(3)
        first = model(input_ids=IDS, attention_mask=MASK).event_logits
        second = model(input_ids=IDS, attention_mask=MASK).event_logits
        torch.manual_seed(3)
        again = model(input_ids=IDS, attention_mask=MASK).event_logits
    assert not torch.allclose(first, second)
    assert torch.equal(first, again)


def test_context_restores_modules_and_attention(tmp_path):
    model = tiny_model(hidden_dropout=0.1, attention_dropout=0.1, classifier_dropout=0.1)
    n_dropout = sum(type(m) is nn.Dropout for m in model.modules())
    with fast_cpu_dropout(model):
        assert sum(isinstance(m, NumpyDropout) for m in model.modules()) == n_dropout
        assert not any(type(m) is nn.Dropout for m in model.modules())
    assert sum(type(m) is nn.Dropout for m in model.modules()) == n_dropout
    assert not any(isinstance(m, NumpyDropout) for m in model.modules())
    assert model.encoder.config._attn_implementation == "sdpa"
    model.save_pretrained(tmp_path)
    assert ATTENTION_NAME not in json.dumps(json.loads((tmp_path / "config.json").read_text()))


def test_restored_after_an_error():
    model = tiny_model(attention_dropout=0.1)
    with pytest.raises(RuntimeError), fast_cpu_dropout(model):
        raise RuntimeError("interrupted")
    assert model.encoder.config._attn_implementation == "sdpa"
    assert not any(isinstance(m, NumpyDropout) for m in model.modules())


@pytest.mark.parametrize("config_class", ["XLMRobertaConfig", "DebertaV2Config", "ElectraConfig"])
def test_other_encoder_families_train_and_are_restored(config_class):
    """Any encoder: its nn.Dropout modules are swapped (and attention too where it runs on sdpa);
    a training step works inside, and the eval-mode output is unchanged afterwards."""
    import transformers

    enc = getattr(transformers, config_class)(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                              intermediate_size=37, max_position_embeddings=64, type_vocab_size=1)
    torch.manual_seed(0)
    model = SucesosModel.from_encoder_config(enc, event_types=["a", "b"], roles=["VICTIM"])
    model.eval()
    with torch.no_grad():
        before = model(input_ids=IDS, attention_mask=MASK).event_logits
    implementation = model.encoder.config._attn_implementation
    with fast_cpu_dropout(model):
        assert any(isinstance(m, NumpyDropout) for m in model.modules())
        model.train()
        out = model(input_ids=IDS, attention_mask=MASK, event_labels=torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        out.loss.backward()
        model.eval()
    assert model.encoder.config._attn_implementation == implementation
    with torch.no_grad():
        assert torch.equal(model(input_ids=IDS, attention_mask=MASK).event_logits, before)


def test_attention_under_bf16_autocast_computes_like_torch_sdpa():
    """Under bf16 autocast torch's CPU sdpa (math path, used when training with dropout) works in
    fp32; the numpy path must too: a bf16 softmax (the first version) was visibly less precise."""
    from types import SimpleNamespace

    from sucesos.training.fast_dropout import sdpa_numpy_dropout

    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 40, 32).bfloat16() * 3 for _ in range(3))
    mask = torch.ones(2, 1, 40, 40, dtype=torch.bool)
    mask[1, :, :, 30:] = False
    module = SimpleNamespace(training=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        reference = torch.nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                                                     attn_mask=mask).to(torch.bfloat16)
        ours, _ = sdpa_numpy_dropout(module, q, k, v, mask, dropout=1e-9)  # nothing dropped at this p
    ours = ours.transpose(1, 2)
    assert ours.dtype == torch.bfloat16
    # the same fp32 result rounded to bf16: at most one bf16 rounding step apart
    assert torch.allclose(ours.float(), reference.float(), rtol=1e-2, atol=1e-2)
    assert (ours.float() - reference.float()).abs().max() <= (reference.float().abs().max() * 2 ** -7)
