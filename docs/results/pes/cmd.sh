# PES vs truncated BPTT on the final loss of 300-step runs of the base MLP, equal CPU budget.
# usage: bash cmd.sh bptt|pes [extra options]
est=$1; shift
/work/wt/run-pes/bin/l2o meta-train --task mnist-mlp --data-dir bundled \
  --cell mlp --features rms,mom:0.5,mom:0.9,mom:0.99 --mlp-layers 1 --mlp-hidden 16 \
  --horizon 300 --unroll 20 --weighting final --lr 3e-3 --seed 5 \
  --validate-every 5 --validation-tasks 4 --cpu-budget 300 --threads 1 \
  --estimator $est --out $est.safetensors "$@"
