#!/usr/bin/env bash
# Regenerates a shipped pretrained optimizer with the exact meta-training commands that made it
# (pretrained/README.md), then compares its tensors with the shipped file's.
#
#   tools/regenerate-pretrained.sh mnist-mlp-v1 [WORKDIR]   # four stages, about 1.5 h on 2 cores
#   tools/regenerate-pretrained.sh general-v1 [WORKDIR]     # one stage, about 1 h on 2 cores
#
# The trainer is deterministic for a given seed at any thread count, so the tensors should be
# bit-identical; the file bytes differ in the metadata (wall time, date, command, paths). The
# float kernel's summation order changed after `general-v1` and stage 1 of `mnist-mlp-v1` were
# trained (commit 71b7b16), which changes their trajectories; those stages therefore run with
# bin/l2o built from the commit they were trained with (OLD_CODE below, in a git worktree under
# WORKDIR). The later stages run with bin/l2o built from TRAINER_CODE: the meta-gradient's
# decomposition by task (for distributed meta-training) changed the coordinate shuffle and block
# choice of runs with several tasks per iteration (stages 3 and 4), so they use the last commit of
# main before it, whose only training kernel is the double-precision one every shipped stage was
# trained with (its bin/l2o has no --train-kernel option: the double kernel is its default). A
# stage that already has its output in WORKDIR is skipped; an interrupted stage resumes from its
# checkpoint.
# Environment: L2O_THREADS (worker threads, default: the number of processors).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
id="${1:?usage: tools/regenerate-pretrained.sh mnist-mlp-v1|general-v1 [WORKDIR]}"
work="${2:-$root/runs/regenerate-$id}"
threads="${L2O_THREADS:-$(nproc)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
cd "$work"

# the code general-v1 and stage 1 of mnist-mlp-v1 were trained with
OLD_CODE=6eb5c6422242a6947fdffce7e17fd9f3847f28a6
# the code of the later stages: main before the decomposition by task and the float training
# kernel (OLD_CODE is one of its ancestors)
TRAINER_CODE=6c929fec0e8efbf72a28beb2234d34adb7fd1396

l2o_at() { # l2o_at COMMIT|current: the bin/l2o to use (builds a worktree for a commit)
  if [[ "$1" == current ]]; then
    echo "$root/bin/l2o"
    return
  fi
  local tree="$work/code-${1:0:12}"
  if [[ ! -d "$tree" ]]; then
    echo "regenerate: checking out $1 into $tree" >&2
    git -C "$root" worktree add --detach "$tree" "$1" >&2
  fi
  echo "$tree/bin/l2o"
}

stage() { # stage COMMIT|current OUT ARGS...: run bin/l2o meta-train unless OUT exists
  local code="$1" out="$2"
  shift 2
  if [[ -f "$out" ]]; then
    echo "regenerate: $out exists, skipping its stage" >&2
    return
  fi
  local l2o
  l2o="$(l2o_at "$code")"
  local resume=()
  [[ -f "$out.ckpt" ]] && resume=(--resume)
  echo "regenerate: bin/l2o meta-train $* --out $out --threads $threads ${resume[*]}" >&2
  "$l2o" meta-train "$@" --out "$out" --threads "$threads" "${resume[@]}"
}

case "$id" in
  mnist-mlp-v1)
    stage "$OLD_CODE" stage1.safetensors --task mnist-mlp --seed 1 --iterations 480 --validate-every 20 \
      --validation-tasks 10 --checkpoint-every 20
    stage "$TRAINER_CODE" stage2.safetensors --task mnist-mlp --init stage1.safetensors --weighting final \
      --seed 11 --iterations 120 --validate-every 10 --validation-tasks 20 --checkpoint-every 20
    stage "$TRAINER_CODE" stage3.safetensors --task mnist-mlp --data-dir bundled --init stage2.safetensors \
      --weighting final --tasks-per-iteration 4 --seed 22 --iterations 100 --lr 3e-4 \
      --validate-every 10 --validation-tasks 40 --checkpoint-every 10
    stage "$TRAINER_CODE" mnist-mlp-v1.safetensors --task mnist-mlp --data-dir bundled --init stage3.safetensors \
      --weighting final --unroll 100 --tasks-per-iteration 2 --seed 24 --iterations 80 \
      --lr 3e-4 --validate-every 10 --validation-tasks 40 --checkpoint-every 10
    ;;
  general-v1)
    stage "$OLD_CODE" general-v1.safetensors \
      --task 'mixed[mix=quadratic:1,mnist-mlp:2,mnist-mlp[hidden=40;activation=relu]:1,mnist-mlp[hidden=10;layers=2;activation=tanh]:1,mnist-mlp[dataset=fashion-mnist]:1,mnist-mlp[dataset=fashion-mnist;hidden=40;activation=relu]:1;data-dir=bundled]' \
      --seed 2 --iterations 300 --validate-every 20 --validation-tasks 12 --checkpoint-every 20 \
      --weighting linear --subsample 2048
    ;;
  *)
    echo "regenerate: unknown id '$id'; expected mnist-mlp-v1 or general-v1" >&2
    exit 2
    ;;
esac

shipped="$root/pretrained/src/main/resources/org/l2o4j/pretrained/$id.safetensors"
python3 "$root/tools/safetensors_check.py" compare "$shipped" "$work/$id.safetensors"
