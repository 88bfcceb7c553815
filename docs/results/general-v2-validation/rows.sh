#!/bin/bash
# usage: [MATCHED=1] rows.sh OPTIMIZER(file|id) OUTFILE SET   SET = short (T=100,1000) | long (T=10000)
# validation goal table: training split, evaluation seeds from 1,500,000,000 (meta-training validation
# uses 2^61+v, the test tables 1,000,000,000+), learned optimizer only. MATCHED=1: see specs.sh.
L2O=bin/l2o
opt=$1; out=$2; set=$3
. "$(dirname "$0")/specs.sh"
run() { name=$1; spec=$2; T=$3; n=$4; s=$(date +%s)
  j=$($L2O evaluate --task "$spec" --data-dir bundled --split train --seed-base 1500000000 --optimizer "$opt" --baselines none --seeds $n --steps $T --threads 2 --json 2>/dev/null | tail -1)
  echo "$name-$T $(( $(date +%s)-s ))s $j" >> $out; }
if [ "$set" = short ]; then
  for T in 100 1000; do run base "$B" $T 10; run fash "$F" $T 10; run tanh "$H" $T 10; run wide "$W" $T 10; run conv "$C" $T 10; done
else
  run base "$B" 10000 5; run fash "$F" 10000 3; run tanh "$H" 10000 3
fi
echo done >> $out
