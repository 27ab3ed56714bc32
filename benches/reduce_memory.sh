#!/usr/bin/env bash
# Peak RSS and CPU of profile, phase and slice, two binaries (before and
# after a change) alternating, 3 rounds, --threads 2, on one output (the
# synthetic shape of issue 30 by default); each command's outputs are
# compared byte for byte between the two.
# Usage: benches/reduce_memory.sh OLD_BIN NEW_BIN [OUTPUT]
old=$(realpath "$1"); new=$(realpath "$2"); out=${3:-/work/scale/a/output_00001}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cmds=(
 "profile --var density,temperature --json P.json"
 "profile --var density,temperature --rmin 0.0009765625 --json P.json"
 "profile --var density,temperature --center densest --radius 0.2box --json P.json"
 "phase --x density --y temperature --out H.npy --json H.json"
 "phase --x density --y temperature --xrange 1e-6,1e6 --yrange 1,1e12 --out H.npy --json H.json"
 "slice --var density --res 512 --out S.npy"
 "slice --var density --center densest --res 512 --out S.npy"
)
for c in "${cmds[@]}"; do
  for r in 1 2 3; do
    for who in old new; do
      bin=$old; [ $who = new ] && bin=$new
      mkdir -p "$tmp/$who"
      ( cd "$tmp/$who" && /usr/bin/time -f "%M KB peak, %U s user + %S s sys, %e s wall" \
          "$bin" --threads 2 -q --progress never $c "$out" 2>&1 >/dev/null | tail -1 | sed "s|^|$who: $c :: |" )
    done
  done
  diff -r "$tmp/old" "$tmp/new" >/dev/null && echo "== outputs identical: $c" || echo "== OUTPUTS DIFFER: $c"
  rm -rf "$tmp/old" "$tmp/new"
done
