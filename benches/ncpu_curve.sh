#!/usr/bin/env bash
# Per-file costs against the number of CPU files, warm page cache: the same
# mesh (levels 6..8, 927,557 leaf cells) written by io/examples/synth for
# 64, 256, 1,024 and 4,096 CPU files, then `amrkit stats` and
# `amrkit project --var density` timed on each (median of REPS runs, whole
# process, 2 threads). Prints a markdown table; time per leaf cell at 4,096
# files over 64 files is the ratio issue 15 bounds (≤ 2). The "floor"
# column times io/examples/filefloor on the same output: opening every CPU
# file once, reading its first page, and copying each amr file's
# numbl-sized table (what any reader pays before the first cell).
#
# Usage: benches/ncpu_curve.sh [DIR]   (outputs kept in DIR, default
#        target/ncpu-curve; about 10 GB for the four outputs)
#        BIN=path/to/amrkit times another build (e.g. an older commit's)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/ncpu-curve}
REPS=${REPS:-5}
cargo build --release -q -p amrkit-io --example synth --example filefloor
cargo build --release -q --bin amrkit
BIN=${BIN:-target/release/amrkit}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { # command... -> wall milliseconds
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    echo $(((e - s) / 1000000))
}
echo "| CPU files | on disk | stats | ns per leaf cell | project --var density | ns per leaf cell | floor |"
echo "|---|---|---|---|---|---|---|"
for n in 64 256 1024 4096; do
    out=$DIR/h$n/output_00001
    if [[ ! -f $out/info_00001.txt ]]; then
        rm -rf "$DIR/h$n"
        target/release/examples/synth "$DIR/h$n" "$n" 6 8 >/dev/null
    fi
    cat "$out"/* >/dev/null # warm cache
    cells=927557
    st=$(for _ in $(seq "$REPS"); do time_ms "$BIN" stats -q --threads 2 "$out"; done | median)
    pr=$(for _ in $(seq "$REPS"); do time_ms "$BIN" project -q --threads 2 --var density --res 256 --out /tmp/ncpu-curve.npy "$out"; done | median)
    fl=$(for _ in $(seq "$REPS"); do target/release/examples/filefloor "$out" 2 | cut -d' ' -f1; done | median)
    size=$(du -sh "$out" | cut -f1)
    echo "| $n | $size | $st ms | $((st * 1000000 / cells)) | $pr ms | $((pr * 1000000 / cells)) | $fl ms |"
done
