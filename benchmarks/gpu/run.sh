#!/usr/bin/env bash
# The GPU run of 2026-11-30 (one NVIDIA H200, lent for 15 minutes, no network), from the repo root.
# A tidied copy of what ran: there it took two calls, because the first one's sweep could not find
# the `sucesos` script (pip --target kept an older bin/); this version calls `python3 -m sucesos`.
# Needs: the project's wheels missing on that box in .whl/ (datasets, dill, multiprocess, evaluate,
# seqeval, pysbd, py3langid) and the cut encoder from `python benchmarks/gpu/prune_encoder.py .dev/e5p`.
#   1. the default config trained alone on the GPU (timing + test scores), then
#   2. a paired 5-fold CV of config variants, run side by side; each keeps the folds it finished
#      (cv_metrics.json is rewritten after every fold) within what is left of BUDGET seconds.
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
OUT=${OUT:-/tmp/gpu-out}; BUDGET=${BUDGET:-540}; T0=$(date +%s)
elapsed() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl || exit 3
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --upgrade --target /tmp/site . || exit 4
export PYTHONPATH=/tmp/site
python3 benchmarks/gpu/prune_encoder.py .dev/e5p --cast /tmp/e5p || exit 5
mkdir -p "$OUT" /tmp/cv
timeout $BUDGET python3 benchmarks/train_quality.py model.encoder=/tmp/e5p --output "$OUT/train_quality_gpu.json" > "$OUT/train_quality.log" 2>&1
elapsed "train_quality rc=$?"
LEFT=$(( BUDGET - ($(date +%s) - T0) ))
[ "$LEFT" -gt 60 ] || { elapsed "no time left for the sweep"; exit 6; }
cv() { name=$1; shift; timeout $LEFT python3 -m sucesos evaluate --cv 5 --config training/configs/default.yaml \
       model.encoder=/tmp/e5p training.num_threads=2 "$@" --output-dir /tmp/cv/$name > /tmp/cv/$name.log 2>&1; }
cv default & cv seed7 training.seed=7 & cv unfrozen model.freeze_layers=0 &
cv nopw model.event_pos_weight=none & cv lr5 training.learning_rate=5.0e-5 & cv span05 model.span_loss_weight=0.5 &
wait
elapsed "sweep done"
(cd /tmp && tar czf "$OUT/cv_sweep.tgz" cv)
