cd /work/wt/feat15
D=/tmp/feat15-lr
mkdir -p $D
for f in 'rms,mom:0.5,mom:0.9,mom:0.99' 'rms,mom:0.5,mom:0.9,mom:0.99,param'; do
  n=$(echo $f | tr ',:' '+_')
  bin/l2o meta-train --task mnist-mlp --data-dir bundled --cell mlp --features "$f" --lr 1e-4 --cpu-budget 120 --validate-every 10 --validation-tasks 4 --threads 2 --seed 0 --out $D/$n.safetensors --overwrite > $D/$n.log 2>&1
  echo "exit $?" >> $D/$n.log
done
bin/l2o evaluate --task mnist-mlp --data-dir bundled --optimizer $D/rms+mom_0.5+mom_0.9+mom_0.99.safetensors --optimizer $D/rms+mom_0.5+mom_0.9+mom_0.99+param.safetensors --baselines adam --seeds 10 --steps 100 --threads 2 --out $D/eval > $D/eval.log 2>&1
echo "exit $?" >> $D/eval.log
