"""Copy the bundled encoder with its vocabulary cut to the pieces the corpus uses (for a GPU box).

The converted ``bundled:multilingual-e5-small`` directory is 465 MB (250k x 384 fp32 word
embeddings); the device tool that lent this project a GPU carries at most 64 MiB. Every corpus
sentence uses only ~8.4k of the 250k SentencePiece pieces; removing pieces that no best
segmentation uses leaves those segmentations available and best (the unknown-piece penalty aside),
and the script checks, text by text, that the cut copy tokenizes the corpus identically. Weights are stored in fp16 to fit; cast back
to fp32 on the GPU box before training (``--cast`` there). Not for shipping: texts outside the
corpus lose pieces.

    python benchmarks/gpu/prune_encoder.py CUT_DIR               # here: cut + fp16 into CUT_DIR
    python benchmarks/gpu/prune_encoder.py CUT_DIR --cast FP32   # there: fp32 copy of CUT_DIR in FP32
"""

from __future__ import annotations

import argparse
import glob
import json
import shutil
from pathlib import Path


def cut(out: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer

    from sucesos.training.encoders import resolve_encoder

    src = Path(resolve_encoder("bundled:multilingual-e5-small"))
    out.mkdir(parents=True, exist_ok=True)
    texts = [json.loads(line)["text"] for f in sorted(glob.glob("labels/corpus/*.jsonl") + glob.glob("labels/agreement/*.jsonl"))
             for line in open(f, encoding="utf-8")]
    texts += [Path(f).read_text(encoding="utf-8") for f in sorted(glob.glob("inference/examples/*"))]  # the README's demo
    full = Tokenizer.from_file(str(src / "tokenizer.json"))
    used = {i for enc in full.encode_batch(texts) for i in enc.ids}
    spec = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    n_pieces = len(spec["model"]["vocab"])
    keep = sorted(set(range(4)) | used | {n_pieces - 1})  # <s> <pad> </s> <unk> ... <mask>: ids 0-3 unchanged
    new_id = {old: new for new, old in enumerate(keep)}
    spec["model"]["vocab"] = [spec["model"]["vocab"][i] for i in keep]
    for token in spec["added_tokens"]:
        token["id"] = new_id[token["id"]]
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    shutil.copy(src / "tokenizer_config.json", out / "tokenizer_config.json")
    config = json.loads((src / "config.json").read_text())
    config["vocab_size"] = len(keep)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    weights = load_file(str(src / "model.safetensors"))
    weights = {k: (v[torch.tensor(keep)] if "word_embeddings" in k else v).to(torch.float16).contiguous()
               for k, v in weights.items()}
    save_file(weights, str(out / "model.safetensors"))
    cut_tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    differ = sum(1 for a, b in zip(full.encode_batch(texts), cut_tok.encode_batch(texts)) if [keep[i] for i in b.ids] != a.ids)
    print(f"kept {len(keep)} of {n_pieces} pieces; {differ} of {len(texts)} corpus texts tokenized differently")
    if differ:
        raise SystemExit(1)


def cast(src: Path, out: Path) -> None:
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name != "model.safetensors":
            shutil.copy(f, out / f.name)
    save_file({k: v.float().contiguous() for k, v in load_file(str(src / "model.safetensors")).items()},
              str(out / "model.safetensors"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--cast", metavar="OUT", help="write an fp32 copy of DIR to OUT")
    args = parser.parse_args()
    if args.cast:
        cast(Path(args.dir), Path(args.cast))
    else:
        cut(Path(args.dir))
