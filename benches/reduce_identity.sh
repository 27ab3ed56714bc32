#!/usr/bin/env bash
# Bit identity of `profile`, `phase` and `slice` between two amrkit binaries
# (before and after a change), on the three shared outputs at 1 and 2
# threads: profile --json, phase --out .npy --json, slice .npy, byte for
# byte (the JSON's `output` path is the same for both).
# Usage: benches/reduce_identity.sh OLD_BIN NEW_BIN [DATA_DIR]
set -u
old=$(realpath "$1"); new=$(realpath "$2"); data=${3:-/work/shared/data/ramses}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
cases=(
  "profile --var density,temperature,velocity_x --json P.json"
  "profile --var density,pressure --center densest --radius 0.3box --cumulative --json P.json"
  "profile --var density --center com --rmin 0.01box --radius 0.4box --lin --weight volume --json P.json"
  "profile --var velocity_magnitude,temperature_over_mu --center ssc --radius 0.25box --cylindrical --normal 1,1,0 --height 0.2box --weight none --json P.json"
  "profile --var density --unit g/cm^3 --bins 16 --json P.json"
  "phase --x density --y temperature --out H.npy --json P.json"
  "phase --x density --y pressure --z velocity_x --weight volume --bins 40,30 --out H.npy --json P.json"
  "phase --x density --y temperature --xrange 1e-3,1e3 --yrange 1e-20,1e20 --center densest --radius 0.3box --out H.npy --json P.json"
  "phase --x velocity_x --y density --xlin --weight none --out H.npy --json P.json"
  "slice --var density,pressure --axis z --res 128 --out S1.npy,S2.npy"
  "slice --var temperature --center densest --radius 0.2box --res 96 --out S1.npy"
  "slice --var density --normal 1,2,3 --center com --res 64 --out S1.npy"
)
for out in "$data"/{sedov3d,gravity,particles}/output_00002; do
  for th in 1 2; do
    for c in "${cases[@]}"; do
      for who in old new; do
        bin=$old; [ $who = new ] && bin=$new
        d="$tmp/$who"; rm -rf "$d"; mkdir -p "$d"
        ( cd "$d" && AMRKIT_NO_TUNE_CACHE=1 "$bin" --threads $th -q --progress never $c "$out" >stdout 2>stderr; echo $? >rc )
      done
      n=$((n+1))
      if ! diff -r "$tmp/old" "$tmp/new" >/dev/null; then
        fail=$((fail+1)); echo "DIFFERS: $(basename $(dirname $out)) --threads $th $c"
        diff -r "$tmp/old" "$tmp/new" | head -5
      elif [ "$(cat $tmp/new/rc)" != 0 ]; then
        echo "same error: $(basename $(dirname $out)) $th $c: $(head -c 200 $tmp/new/stderr)"
      fi
    done
  done
done
echo "$n cases, $fail differ"
[ $fail = 0 ]
