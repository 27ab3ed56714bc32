#!/bin/bash
# Plain (no mpirun) 1 rank x 2 threads vs mpirun -n 1 x 2 threads vs mpirun -n 2 x 1 thread,
# alternating, 5 samples each, warm page cache, on the 512-CPU synthetic output.
B=${B:-target/release/amrkit}
O=${1:?usage: benches/mpi_vs_threads.sh OUTPUT (e.g. synth DIR 512 6 9)}
export AMRKIT_NO_TUNE_CACHE=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
M="mpirun --oversubscribe --bind-to none"
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo FAIL "$@" >&2; echo "$(date +%s.%N) - $s" | bc; }
med() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
mkdir -p /tmp/bm
for cmd in "stats $O --json" "project $O --var density --res 512 --out /tmp/bm/p.npy"; do
  a=(); b=(); c=()
  $B -q --threads 2 $cmd >/dev/null
  for i in 1 2 3 4 5; do
    a+=($(t $B -q --threads 2 $cmd))
    b+=($(t $M -n 1 $B -q --threads 2 $cmd))
    c+=($(t $M -n 2 $B -q --threads 1 $cmd))
  done
  echo "$cmd"
  echo "  plain 1x2:   ${a[*]}  median $(med ${a[@]})"
  echo "  mpirun 1x2:  ${b[*]}  median $(med ${b[@]})"
  echo "  mpirun 2x1:  ${c[*]}  median $(med ${c[@]})"
  AMRKIT_DIST_TRACE=1 $M -n 2 $B -q --threads 1 $cmd 2>&1 >/dev/null | grep amrkit-dist
done
# mpirun start-up alone
s=(); for i in 1 2 3 4 5; do s+=($(t $M -n 2 /bin/true)); done; echo "mpirun -n 2 /bin/true: ${s[*]} median $(med ${s[@]})"
