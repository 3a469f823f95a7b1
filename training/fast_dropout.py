"""Dropout with cheaper random numbers on the CPU (``training.fast_dropout``).

Why: on this project's 2-core CPU a training step of the default model spent about a third of
its time in ``aten::bernoulli_``, the dropout masks (torch's CPU generator produces ~80 M random
numbers per second; a step of 16 x 64 tokens through 12 layers needs ~20 M). The same masks drawn
from numpy's PCG64 as 16-bit integers cost about a third as much (``benchmarks/train_step_speed.py``),
and about a sixth since numpy also writes the mask's float bits (``dropout_mask``).

It is the same dropout: each element is kept with probability ``1 - p`` (to 1/65536) and scaled
by ``1 / (1 - p)``. Each mask's PCG64 seed is drawn from torch's default generator, so
``set_seed`` still makes a run reproducible, and the Trainer's RNG checkpoints still restore it on
``--resume``. Only CPU training tensors take this path; GPUs, evaluation and inference keep torch's.

Two places draw masks in a Hugging Face encoder: ``nn.Dropout`` modules (embeddings, the output of
every attention and feed-forward block, our heads) and the attention probabilities, which the
attention function drops inside ``scaled_dot_product_attention``. ``fast_cpu_dropout(model)``
swaps the first for ``NumpyDropout`` and, for encoders that use transformers' attention interface
(BERT, XLM-R, ...), runs training attention through ``sdpa_numpy_dropout`` (the math of torch's sdpa
on the CPU, in fp32, masks as sdpa gets them); both are undone when the ``with`` block ends.

With ``training.fast_dropout: false`` masks are torch's own, and ``cpu_math_attention(model)``
only keeps attention without dropout off torch's fused CPU kernel (``sdpa_cpu_math``).

>>> import torch
>>> drop = NumpyDropout(0.25).train()
>>> y = drop(torch.ones(100_000))
>>> round(float((y == 0).float().mean()), 2), sorted({round(v, 4) for v in y.unique().tolist()})
(0.25, [0.0, 1.3333])
"""

from __future__ import annotations

import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

ATTENTION_NAME = "sdpa_numpy_dropout"
MATH_ATTENTION_NAME = "sdpa_cpu_math"  # training.fast_dropout: false (torch's masks)
_SCALE = 65536
# signed integers of a float's width: numpy writes the mask's bit patterns, torch reads them as floats
_SAME_WIDTH_INT = {2: (torch.int16, np.int16), 4: (torch.int32, np.int32), 8: (torch.int64, np.int64)}


def dropout_mask(shape, p: float, dtype: torch.dtype) -> torch.Tensor:
    """Keep-mask (0 or ``1 / (1 - p)``) for ``shape``, from a PCG64 stream seeded by torch's RNG.

    Built in numpy, bits and all: raw 64-bit PCG64 output read as four uniform 16-bit draws, and
    each element set to 0 or to the bit pattern of ``1 / (1 - p)`` in ``dtype``. Torch's own
    bool -> bf16/fp32 conversion and scaling cost twice what the random numbers do on this CPU
    (``benchmarks/epoch_speed.py --compare dropout``)."""
    seed = int(torch.randint(0, 2**62, (1,)).item())
    count = math.prod(shape)
    draws = np.random.PCG64(seed).random_raw((count + 3) // 4).view(np.uint16)[:count].reshape(tuple(shape))
    keep = draws >= round(p * _SCALE)  # P(keep) = 1 - p to 1/65536
    return torch.from_numpy(np.asarray(keep * _scale_bits(p, dtype))).view(dtype)  # asarray: 0-d gives a scalar


@functools.lru_cache(maxsize=None)
def _scale_bits(p: float, dtype: torch.dtype):
    """``1 / (1 - p)`` in ``dtype``, as a numpy integer of the same width (once per rate and dtype:
    masks are drawn dozens of times a step)."""
    int_dtype, np_int = _SAME_WIDTH_INT[dtype.itemsize]
    return np_int(torch.tensor(1.0 / (1.0 - p), dtype=dtype).view(int_dtype).item())


def numpy_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``nn.functional.dropout`` with the mask from ``dropout_mask`` on CPU tensors."""
    if not training or p <= 0.0 or x.device.type != "cpu":
        return nn.functional.dropout(x, p=p, training=training)
    if p >= 1.0:
        return x * 0.0
    return x * dropout_mask(x.shape, p, x.dtype)


class NumpyDropout(nn.Dropout):
    """``nn.Dropout`` drawing its CPU masks with numpy (same distribution, ~3x cheaper)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return numpy_dropout(x, self.p, self.training)


def sdpa_numpy_dropout(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """transformers attention function: sdpa, except for CPU training, where it computes what
    torch's sdpa math path computes there (in fp32, also under bf16 autocast: a bf16 softmax loses
    precision) and drops the probabilities with ``numpy_dropout``.

    Also without attention dropout (``model.attention_dropout=0.0``): torch's sdpa then takes its
    fused CPU kernel, whose training steps of the default measured 0.437 s against 0.272 s on this
    path (``benchmarks/epoch_speed.py --compare encoder_dropout``, before this path took them)."""
    if _torch_sdpa_only(module, query, kwargs):
        return _sdpa(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    return _math_attention(query, key, value, attention_mask, scaling, dropout, numpy_dropout)


def sdpa_cpu_math(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """transformers attention function for CPU training with ``training.fast_dropout: false``:
    torch's sdpa, except where it would take its fused CPU kernel, which it does when there is no
    attention dropout (``model.attention_dropout=0.0``) and where whole training steps of the default
    ran 1.51x slower than on the math path (``benchmarks/epoch_speed.py --compare
    torch_masks_no_attention_dropout``); there the math path runs (nothing to drop). With dropout
    torch's sdpa already takes its math path, and its own masks are kept."""
    if dropout > 0.0 or _torch_sdpa_only(module, query, kwargs):
        return _sdpa(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    return _math_attention(query, key, value, attention_mask, scaling, 0.0, None)


def _sdpa(*args, **kwargs):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    return sdpa_attention_forward(*args, **kwargs)


def _torch_sdpa_only(module, query, kwargs) -> bool:
    """Cases the math path does not cover: evaluation, GPUs, grouped or causal attention, biases."""
    grouped = getattr(module, "num_key_value_groups", 1) > 1
    return (not module.training or query.device.type != "cpu" or grouped
            or getattr(module, "is_causal", False) or kwargs.get("position_bias") is not None)


def _math_attention(query, key, value, attention_mask, scaling, dropout: float, drop):
    """softmax(q k^T * scaling + mask) v in fp32, the probabilities dropped by ``drop(probs, p)``."""
    scaling = query.size(-1) ** -0.5 if scaling is None else scaling
    with torch.autocast("cpu", enabled=False):
        scores = torch.matmul(query.float(), key.float().transpose(2, 3)) * scaling
        if attention_mask is not None:  # sdpa's masks: boolean (True = attend) or additive
            if attention_mask.dtype == torch.bool:
                scores = scores.masked_fill(~attention_mask, torch.finfo(torch.float32).min)
            else:
                scores = scores + attention_mask[:, :, :, : key.shape[-2]].float()
        probs = torch.softmax(scores, dim=-1)
        if dropout > 0.0:
            probs = drop(probs, dropout)
        output = torch.matmul(probs, value.float()).to(query.dtype)
    return output.transpose(1, 2).contiguous(), None


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    for name, function in ((ATTENTION_NAME, sdpa_numpy_dropout), (MATH_ATTENTION_NAME, sdpa_cpu_math)):
        AttentionInterface.register(name, function)
        AttentionMaskInterface.register(name, sdpa_mask)  # without it the encoder gets no padding mask


@contextmanager
def _attention_switched(model: nn.Module, name: str):
    """The encoder (the first sub-model on sdpa; its sub-configs follow it) runs ``name`` within the
    block and sdpa again after it, also after an error. Encoders not on sdpa are left alone."""
    encoder = next((sub for sub in model.modules() if sub is not model and hasattr(sub, "set_attn_implementation")
                    and getattr(getattr(sub, "config", None), "_attn_implementation", None) == "sdpa"), None)
    if encoder is not None:
        _register_attention()
        encoder.set_attn_implementation(name)
    try:
        yield model
    finally:
        if encoder is not None:
            encoder.set_attn_implementation("sdpa")


@contextmanager
def cpu_math_attention(model: nn.Module):
    """CPU training with torch's own dropout (``training.fast_dropout: false``): within the block an
    encoder on sdpa runs ``sdpa_cpu_math``, so that turning attention dropout off does not move its
    training onto torch's slow fused CPU kernel.

    >>> import torch
    >>> layer = torch.nn.Linear(2, 2)
    >>> with cpu_math_attention(layer) as same:  # no encoder on sdpa inside: nothing to switch
    ...     same is layer
    True
    """
    with _attention_switched(model, MATH_ATTENTION_NAME):
        yield model


@contextmanager
def fast_cpu_dropout(model: nn.Module):
    """Within the block, ``model``'s dropout draws its CPU masks with numpy (see the module doc).

    Encoders on sdpa switch to ``sdpa_numpy_dropout`` (and back); others (eager, DeBERTa's own
    attention) keep their attention dropout and only get ``NumpyDropout`` modules."""
    swapped = []
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if type(child) is nn.Dropout:
                fast = NumpyDropout(child.p, inplace=child.inplace)
                fast.train(child.training)
                setattr(parent, name, fast)
                swapped.append((parent, name, child))
    try:
        with _attention_switched(model, ATTENTION_NAME):
            yield model
    finally:
        for parent, name, original in swapped:
            original.train(getattr(parent, name).training)
            setattr(parent, name, original)
