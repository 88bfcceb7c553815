cd /work/wt/feat15
B="bin/l2o bench --threads 1 --kernel vector --seconds 2 --min-warmup-seconds 3 --max-warmup-seconds 12 --json --coords 16384"
P="--mlp-features rms,mom:0.5,mom:0.9,mom:0.99,param"
run() { echo "### $*" ; uptime; "$@" 2>&1 | grep -v WARNING; }
for i in 1 2 3; do
run $B
run $B $P
done
echo done
