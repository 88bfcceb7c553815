cd /work/wt/feat15
B="bin/l2o bench --threads 1 --kernel vector --seconds 2 --min-warmup-seconds 3 --max-warmup-seconds 12 --json"
P="--mlp-features rms,mom:0.5,mom:0.9,mom:0.99,param"
run() { echo "### $*" ; uptime; "$@" 2>&1 | grep -v WARNING; }
run $B --coords 16384
run $B --coords 16384 $P
run $B --coords 16384
run $B --coords 16384 $P
run $B --coords 1000000
run $B --coords 1000000 $P
run bin/l2o bench --threads 1 --kernel scalar --seconds 2 --min-warmup-seconds 3 --max-warmup-seconds 12 --json --coords 16384
run bin/l2o bench --threads 1 --kernel scalar --seconds 2 --min-warmup-seconds 3 --max-warmup-seconds 12 --json --coords 16384 $P
echo done
