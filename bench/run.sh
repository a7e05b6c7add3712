#!/bin/sh
# make bench: installs what the benchmarks need, builds the module and the
# test keys, runs every part, then writes bench/results/ (results.md and
# the raw data) and docs/performance.png.
#
#   BENCH_PARTS="hotpath sign coldstart zone profile"   the parts to run
#   BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS ...  see bench/*.sh
#
# A part not run keeps its data from an earlier run in build/bench/, so
# the parts can be run one at a time, then reported together.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

PARTS=${BENCH_PARTS:-hotpath sign coldstart zone profile}

sh scripts/deps.sh
sh bench/deps.sh
make module keys >/dev/null

for part in $PARTS; do
    echo "bench: --- $part" >&2
    sh "bench/$part.sh"
done

perl bench/report.pl build/bench bench/results
gnuplot -e "datafile='bench/results/hotpath-summary.tsv'" \
    -e "outfile='docs/performance.png'" bench/plot.gp
echo "bench: bench/results/results.md, docs/performance.png" >&2
