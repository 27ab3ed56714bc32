#!/bin/bash
# Old (8228ae4) vs new binary, alternating, 5 samples each, warm cache.
O=${1:?usage: OLD=old-amrkit NEW=new-amrkit benches/sums_cost.sh OUTPUT}
export AMRKIT_NO_TUNE_CACHE=1
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo FAIL "$@"; echo "$(date +%s.%N) - $s" | bc; }
for cmd in "stats $O --json" "project $O --var density --res 512 --out /tmp/bc-maps/p.npy" "project $O --var density,pressure --weight mass --res 512 --out /tmp/bc-maps/p.npy,/tmp/bc-maps/q.npy"; do
  mkdir -p /tmp/bc-maps
  $OLD -q --threads 2 $cmd >/dev/null; $NEW -q --threads 2 $cmd >/dev/null
  a=(); b=()
  for i in 1 2 3 4 5; do
    a+=($(t $OLD -q --threads 2 $cmd)); b+=($(t $NEW -q --threads 2 $cmd))
  done
  echo "$cmd"; echo "  old: ${a[*]}"; echo "  new: ${b[*]}"
  med() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
  echo "  median old $(med ${a[@]}) new $(med ${b[@]})"
done
