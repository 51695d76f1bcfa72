#!/usr/bin/env bash
# The GPU checks of issue #6 in one call, for a session that is lent a GPU machine through the device tool
# (15 minutes of device time in all, start-up included; none of these has been run by this script yet).
#
#   here:   bash benchmarks/gpu_checks.sh fetch        # wheels the device image lacks -> .whl/ (git-ignored)
#   there:  device run, carry [".whl"], timeout_s 560:  bash benchmarks/gpu_checks.sh run
#
# The device image (KINDS.md in the device tool's folder) has Python 3.12 with torch, torchvision,
# pytorch-lightning, torchmetrics, opencv, onnx(runtime), scikit-image and matplotlib; the rest travels as
# wheels at this .venv's versions. What `run` measures, each step bounded so that one call fits:
#   1. benchmarks/input_pipeline.py for cnn, mobilenet and resnet18 at 112 px, bf16, channels-last, 8
#      workers, augment none / light (albumentations on the CPU workers) / light_device (on the GPU): the
#      targets are efficiency >= 0.9 and resnet18 >= 20,000 training images/s end to end;
#   2. the README's default training run on the GPU (trainer=gpu), as a smoke test of the GPU path.
# Not here: LFW on the GPU (View 1 is ~140 MB of JPEGs, over the 64 MiB a call may carry, and ../shared does
# not travel) and several-GPU DDP (the machine has one GPU).
set -euo pipefail
cd "$(dirname "$0")/.."

# not on the image: hydra (+ omegaconf, antlr), pytorch-metric-learning, albumentations (+ albucore,
# pydantic, simsimd, stringzilla), facenet-pytorch
PACKAGES="hydra-core omegaconf antlr4-python3-runtime pytorch-metric-learning albumentations albucore pydantic
pydantic-core annotated-types typing-inspection simsimd stringzilla facenet-pytorch"

fetch() {
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
  mkdir -p .whl
  for name in $PACKAGES; do
    version=$(.venv/bin/python -m pip show "$name" | awk '/^Version:/ {print $2}')
    [ -n "$version" ] || { echo "error: $name is not installed in .venv (run make install first)" >&2; exit 2; }
    # binary wheels for the device's CPython 3.12 on x86-64; antlr4 4.9.3 exists only as a source archive
    .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d .whl "$name==$version" 2>/dev/null ||
      .venv/bin/python -m pip wheel -q --no-deps -w .whl "$name==$version"
  done
  du -sh .whl
}

run() {
  : "${OUT:?run this on the device machine, where OUT is set}"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/device.txt"
  python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$OUT/device.txt"
  timeout 330 python3 benchmarks/input_pipeline.py --backbones cnn,mobilenet,resnet18 --device cuda \
    --precision bf16 --pairs 256 --workers 8 --channels-last --augments none,light,light_device --steps 30 \
    --repeats 3 2>&1 | tee "$OUT/input_pipeline.txt" || echo "input_pipeline: exit $?" | tee -a "$OUT/input_pipeline.txt"
  /usr/bin/time -v timeout 150 python3 scripts/train.py trainer=gpu callbacks.progress_bar=null \
    hydra.run.dir=/tmp/gpu_train 2>&1 | tail -40 | tee "$OUT/train_gpu.txt"
}

case "${1:-}" in
  fetch) fetch ;;
  run) run ;;
  *) echo "usage: bash benchmarks/gpu_checks.sh fetch|run" >&2; exit 2 ;;
esac
