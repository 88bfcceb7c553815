#!/bin/bash
# usage: [MATCHED=1] baselines.sh [OUTFILE [SET]]   SET = short (T=100,1000) | long (T=10000) | all [all]
# Adam (and NAG on the base MLP) tuned by the evaluator on the validation tasks of rows.sh.
L2O=bin/l2o; out=${1:-baselines-evaluate-summary.txt}; set=${2:-all}
. "$(dirname "$0")/specs.sh"
run() { name=$1; spec=$2; T=$3; n=$4; bl=$5; grid=$6; s=$(date +%s)
  j=$($L2O evaluate --task "$spec" --data-dir bundled --split train --seed-base 1500000000 --baselines $bl --lr-grid $grid --tuning-seeds 5 --seeds $n --steps $T --threads 2 --json 2>/dev/null | tail -1)
  echo "$name-$T $(( $(date +%s)-s ))s $j" >> $out; }
if [ "$set" != long ]; then
  run base "$B" 100 10 adam,nag 0.003,0.01,0.03,0.1,0.3,1,3
  run fash "$F" 100 10 adam 0.003,0.01,0.03,0.1
  run tanh "$H" 100 10 adam 0.003,0.01,0.03,0.1
  run wide "$W" 100 10 adam 0.003,0.01,0.03,0.1
  run conv "$C" 100 10 adam 0.003,0.01,0.03,0.1
  run base "$B" 1000 10 adam,nag 0.003,0.01,0.03,0.1,0.3,1
  run fash "$F" 1000 10 adam 0.003,0.01,0.03
  run tanh "$H" 1000 10 adam 0.003,0.01,0.03
  run wide "$W" 1000 10 adam 0.003,0.01,0.03
  run conv "$C" 1000 10 adam 0.01,0.03
fi
if [ "$set" != short ]; then
  run base "$B" 10000 5 adam 0.01
  run fash "$F" 10000 3 adam 0.01
  run tanh "$H" 10000 3 adam 0.01
fi
echo done >> $out
