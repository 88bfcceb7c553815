# The five validation nets, sourced by rows.sh and baselines.sh. With MATCHED=1 each net trains
# on only the training split's first examples, as many as the test split holds (MNIST 2,000,
# Fashion-MNIST 1,000: task option examples), so that the nets memorize their data as the test
# tables' nets do; otherwise on the whole bundled training split (MNIST 8,000, Fashion 6,000).
if [ "${MATCHED:-0}" = 1 ]; then m=';examples=2000'; f=';examples=1000'; C='conv[examples=2000]'
else m=''; f=''; C='conv'; fi
B="mnist-mlp[hidden=20;layers=1;activation=sigmoid$m]"
F="mnist-mlp[dataset=fashion-mnist;hidden=40;layers=2;activation=relu$f]"
H="mnist-mlp[hidden=20;layers=3;activation=tanh$m]"
W="mnist-mlp[hidden=160$m]"
