#!/usr/bin/env bash
# Regenerates a shipped pretrained optimizer with the exact meta-training commands that made it
# (pretrained/README.md), then compares its tensors with the shipped file's.
#
#   tools/regenerate-pretrained.sh mnist-mlp-v1 [WORKDIR]   # four stages, about 1.5 h on 2 cores
#   tools/regenerate-pretrained.sh general-v1 [WORKDIR]     # one stage, about 1 h on 2 cores
#   tools/regenerate-pretrained.sh general-v2-candidate-q [WORKDIR]
#       # not shipped: issue 15's candidate Q (docs/results/general-v2-candidate-q), compared with
#       # that file; six stages (A, C, E, H, M, Q), about 10,000 CPU-s: 1.5-3 h on 2 cores
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
id="${1:?usage: tools/regenerate-pretrained.sh mnist-mlp-v1|general-v1|general-v2-candidate-q [WORKDIR]}"
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

# the file the regenerated one is compared with (a candidate sets its own)
shipped="$root/pretrained/src/main/resources/org/l2o4j/pretrained/$id.safetensors"
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
  general-v2-candidate-q)
    shipped="$root/docs/results/$id/$id.safetensors"
    # candidate Q of issue 15 (docs/results/general-v2-candidate-q; not shipped): six stages, each run with the
    # code it was trained with (its git_commit metadata), except H: it was run at bbd5ed8 from a
    # widened copy of E made by a script; 8173809 (five commits later, which only add the widening
    # of --init) widens with --init --features to the same tensors. The --cpu-budget of the
    # recorded commands is left out (every stage's best iteration came well inside it; the
    # iteration count decides the file). A and C used a 14-family mix, E-Q a 16-family one:
    mix_ac='mixed[mix=quadratic:1,mnist-mlp:2,mnist-mlp[hidden=10;activation=relu]:1,mnist-mlp[hidden=40;activation=relu]:1,mnist-mlp[hidden=20;layers=2;activation=tanh]:1,mnist-mlp[hidden=16;layers=3;activation=tanh]:1,mnist-mlp[hidden=40;layers=2;activation=relu]:1,mnist-mlp[dataset=fashion-mnist]:1,mnist-mlp[dataset=fashion-mnist;hidden=32;layers=2;activation=relu]:1,mnist-mlp[dataset=fashion-mnist;hidden=10;layers=3;activation=relu]:1,mnist-mlp[hidden=128;activation=sigmoid]:1,mnist-mlp[dataset=fashion-mnist;hidden=64;activation=tanh]:1,conv[batch=64]:1,conv[dataset=fashion-mnist;channels=4;batch=64]:1;data-dir=bundled]'
    mix='mixed[mix=quadratic:1,mnist-mlp:4,mnist-mlp[hidden=10;activation=relu]:1,mnist-mlp[hidden=40;activation=relu]:1,mnist-mlp[hidden=20;layers=2;activation=tanh]:1,mnist-mlp[hidden=16;layers=3;activation=tanh]:1,mnist-mlp[hidden=40;layers=2;activation=relu]:1,mnist-mlp[dataset=fashion-mnist]:1,mnist-mlp[dataset=fashion-mnist;hidden=32;layers=2;activation=relu]:1,mnist-mlp[dataset=fashion-mnist;hidden=10;layers=3;activation=relu]:1,mnist-mlp[hidden=128;activation=sigmoid]:2,mnist-mlp[hidden=64;activation=sigmoid]:1,mnist-mlp[hidden=20;layers=2;activation=sigmoid]:1,mnist-mlp[dataset=fashion-mnist;hidden=64;activation=tanh]:1,conv[batch=64]:1,conv[dataset=fashion-mnist;channels=4;batch=64]:1;data-dir=bundled]'
    base=rms,mom:0.5,mom:0.9,mom:0.99,mom:0.999
    # A: the MLP cell from scratch, horizon 100 (best at 375)
    stage 47d45d146a7f61bad4589828bb4668075393fa2f A.safetensors --task "$mix_ac" --cell mlp \
      --features "${base}" --output-scale 0.1 --random-scale 0.5 --lr 1e-4 --seed 15 \
      --iterations 385 --validate-every 25 --validation-tasks 8 --checkpoint-every 25
    # C: curriculum to horizon 400 (best at 460)
    stage a4001819e067efcadc5d8967055bc9efb2446662 C.safetensors --task "$mix_ac" --random-scale 0.5 \
      --init A.safetensors --curriculum 200:20,400:40@160 --lr 1e-4 --validate-every 20 \
      --validation-tasks 8 --checkpoint-every 20 --seed 31 --iterations 500
    # E: final loss of 100-step runs over the whole run (best at 1,180)
    stage 421788b4d23ea37472b63300d32bd54a919897eb E.safetensors --task "$mix" --init C.safetensors \
      --random-scale 0.5 --horizon 100 --unroll 100 --weighting final --lr 1e-4 \
      --tasks-per-iteration 2 --validate-every 10 --validation-tasks 12 --checkpoint-every 10 \
      --seed 51 --iterations 1570
    # H: E widened with three clocks, 3,000-step runs (best at 25)
    stage 817380939880433534a3505561e722cd6e509310 H.safetensors --task "$mix" --init E.safetensors \
      --features "${base},time:100,time:300,time:1000" --random-scale 0.5 --horizon 3000 \
      --unroll 100 --weighting linear --lr 1e-4 --tasks-per-iteration 2 --validate-every 5 \
      --validation-tasks 6 --checkpoint-every 2 --seed 61 --iterations 57
    # M: linear plus the step-100 loss, share-scaled normalization (best at 45)
    stage 701f3711bc1d960de853a1799ac8dfc5b49b31a7 M.safetensors --task "$mix" --init H.safetensors \
      --random-scale 0.5 --horizon 3000 --unroll 100 --weighting linear+steps:100 \
      --normalize-meta-gradient --lr 2e-4 --tasks-per-iteration 2 --validate-every 5 \
      --validation-tasks 6 --checkpoint-every 2 --seed 71 --iterations 89
    # Q: two slow clocks, only their 64 weights trained, 10,000-step runs (best at 10)
    stage 2647753e401dd54cf0232fc822dc8f221eddbfd7 general-v2-candidate-q.safetensors --task "$mix" \
      --init M.safetensors \
      --features "${base},time:100,time:300,time:1000,time:3000,time:10000" \
      --train-only new-features --random-scale 0.5 --horizon 10000 --unroll 100 \
      --weighting linear --normalize-meta-gradient --lr 5e-4 --tasks-per-iteration 2 \
      --validate-every 5 --validation-tasks 6 --checkpoint-every 2 --seed 74 --iterations 41
    ;;
  *)
    echo "regenerate: unknown id '$id'; expected mnist-mlp-v1, general-v1 or general-v2-candidate-q" >&2
    exit 2
    ;;
esac

python3 "$root/tools/safetensors_check.py" compare "$shipped" "$work/$id.safetensors"
