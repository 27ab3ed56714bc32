#!/usr/bin/env bash
# Byte-for-byte comparison of two amrkit binaries' command-line output.
#
#   benches/cli_identical.sh OLD_BIN NEW_BIN [DATA]
#
# Runs the same commands with both binaries, each in a fresh folder of its
# own (so the relative paths they print are the same), and compares
# everything a run leaves: stdout, stderr, exit status and every file it
# wrote (`.npy`, `.png`, `.vtu`, `.csv`). One line per comparison
# (`pass` or `FAIL`); exits 1 if any differs. What runs:
#   - `--help` and each command's `--help`;
#   - on every shared output DATA/ramses*/*/output_* and on the demo's
#     output: `info`, `info --json`, `stats`, `stats --json`,
#     `stats --unit auto`, `project` (density to .npy and .png, a
#     mass-weighted pressure to .npy), `particles` (text, --json, CIC map),
#     `clumps` (text, --json, --top 3), `export-vtk`;
#   - `series` on every shared simulation folder;
#   - the demo itself (`-q demo`: every file it writes).
# Commands that fail (no particles, no clump files, …) are compared too:
# the same message and status are expected.
#
# DATA defaults to $AMRKIT_TEST_DATA, else ../shared/data beside the
# repository. Both binaries run with --threads 2 and no tune cache.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 OLD_BIN NEW_BIN [DATA]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
DATA=${3:-${AMRKIT_TEST_DATA:-$here/../../shared/data}}
DATA=$(realpath "$DATA")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Both run as `amrkit` (clap prints the name it was started as).
mkdir -p "$work/bin-old" "$work/bin-new"
ln -s "$OLD" "$work/bin-old/amrkit"
ln -s "$NEW" "$work/bin-new/amrkit"
OLD=$work/bin-old/amrkit
NEW=$work/bin-new/amrkit
export AMRKIT_NO_TUNE_CACHE=1
unset AMRKIT_NUM_THREADS

total=0
failed=0

# compare NAME ARGS…: runs `BIN --threads 2 ARGS…` with both binaries in
# $work/{old,new}/NAME and compares the two folders.
compare() {
    local name=$1
    shift
    local side bin dir
    for side in old new; do
        if [ $side = old ]; then bin=$OLD; else bin=$NEW; fi
        dir=$work/$side/$name
        mkdir -p "$dir"
        (cd "$dir" && "$bin" --threads 2 "$@" >stdout 2>stderr; echo $? >status)
    done
    total=$((total + 1))
    if diff -r "$work/old/$name" "$work/new/$name" >"$work/diff.txt" 2>&1; then
        echo "pass  $name (exit $(cat "$work/new/$name/status"))"
    else
        failed=$((failed + 1))
        echo "FAIL  $name: amrkit $*"
        head -20 "$work/diff.txt" | sed 's/^/      /'
    fi
}

# Every command on one output folder.
on_output() {
    local tag=$1 out=$2
    compare "$tag/info" info "$out"
    compare "$tag/info-json" info --json "$out"
    compare "$tag/stats" stats "$out"
    compare "$tag/stats-json" stats --json "$out"
    compare "$tag/stats-unit" stats --unit auto "$out"
    compare "$tag/project-npy" project "$out" --var density --out x.npy
    compare "$tag/project-png" project "$out" --var density --out x.png
    compare "$tag/project-mass" project "$out" --var pressure --weight mass --res 64 --out p.npy
    compare "$tag/particles" particles "$out"
    compare "$tag/particles-json" particles --json "$out"
    compare "$tag/particles-map" particles "$out" --res 64 --out m.npy
    compare "$tag/clumps" clumps "$out"
    compare "$tag/clumps-json" clumps --json "$out"
    compare "$tag/clumps-top" clumps --top 3 "$out"
    compare "$tag/export-vtk" export-vtk "$out" --out cells
}

compare help --help
for c in demo info stats project export-vtk particles clumps series bench tune; do
    compare "help-$c" "$c" --help
done

found=0
for out in "$DATA"/ramses*/*/output_*; do
    [ -d "$out" ] || continue
    found=1
    sim=$(dirname "$out")
    tag=$(basename "$(dirname "$sim")")-$(basename "$sim")-$(basename "$out")
    on_output "$tag" "$out"
done
if [ $found = 0 ]; then
    echo "no outputs under $DATA/ramses*/*/" >&2
    exit 2
fi
for sim in "$DATA"/ramses*/*/; do
    tag=$(basename "$(dirname "$sim")")-$(basename "$sim")
    compare "$tag/series" series "${sim%/}"
done

compare demo -q demo demo
demo_out=$(ls -d "$work"/old/demo/demo/output_* | head -1)
on_output demo-output "$demo_out"

echo "$((total - failed)) of $total comparisons identical"
[ $failed = 0 ]
