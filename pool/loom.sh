#!/usr/bin/env bash
# Runs the pool's loom models (pool/src/loom_tests.rs and pool/tests/loom.rs)
# at LOOM_MAX_PREEMPTIONS (default 3), one model per process, as many
# processes at once as the machine has cores (LOOM_JOBS to change), the
# slowest models first. Exit status 0 only if every model passed; a failing
# model's output is printed whole.
#
# Usage: bash pool/loom.sh [PATTERN]   (only the models whose name matches
#        the extended regular expression PATTERN)
#
# Why processes and not `cargo test`'s test threads: loom maps, protects and
# unmaps a stack for every simulated thread of every execution (about 5,800
# of each per second in one model). Two models on two test threads of one
# process share its address space: every unmap flushes the other thread's
# TLB and they queue on the map lock. Measured on the 2-core machine:
# `scope_completion_count` alone 181 s (system 65 s),
# `worker_pushed_job_while_others_sleep` alone 145 s (system 53 s), the two
# on two test threads of one process 287 s (system 245 s): barely faster than
# one after the other. In separate processes each runs as fast as alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-loom}
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-3}
jobs_max=${LOOM_JOBS:-$(nproc)}
pattern=${1:-.}

# Build first, with its messages (a compile error stops here), then ask
# cargo, without rebuilding, for the two test executables.
cargo test -p amrkit-pool --release --lib --test loom --no-run
mapfile -t bins < <(cargo test -p amrkit-pool --release --lib --test loom --no-run \
    --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])')
if [[ ${#bins[@]} -ne 2 ]]; then
    echo "expected the lib and loom test executables, got: ${bins[*]}" >&2
    exit 2
fi

# Slowest first, so that the last models to start are short ones. Their
# times at bound 3 on the 2-core machine, two at a time (the other 14 of
# the first 22 take under a minute each, 8 of them under a second; all 22:
# 797 s): 215, 172, 162, 146, 143, 141, 137 and 131 s. The models of the
# FIFO and broadcast spawns (23-26) run on worker 0 = the model's thread
# (`use_current_thread`), one other worker: 4-17 s of CPU time (user +
# system) each, 66-292 s of wall time with the load average at 16-24 on 2
# cores (docs/pool.md); they need no early start.
slow=(nested_join_thief_takes_oldest scope_completion_count join_panic_in_a_with_b_stolen
    worker_pushed_job_while_others_sleep loom_tests::capped_job_without_slot_is_handed_back
    join_latch_set_while_owner_returns pipeline_hand_off_between_workers
    loom_tests::untagged_entry_behind_a_tagged_one_is_reached)
declare -A bin_of
for b in "${bins[@]}"; do
    while read -r name; do
        bin_of[$name]=$b
    done < <("$b" --list --format terse | sed -n 's/: test$//p')
done
order=()
for n in "${slow[@]}"; do [[ -n ${bin_of[$n]:-} ]] && order+=("$n"); done
for n in $(printf '%s\n' "${!bin_of[@]}" | sort); do
    [[ " ${slow[*]} " == *" $n "* ]] || order+=("$n")
done
selected=()
for n in "${order[@]}"; do [[ $n =~ $pattern ]] && selected+=("$n"); done
if [[ ${#selected[@]} -eq 0 ]]; then
    echo "no loom model matches '$pattern'" >&2
    exit 2
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$(date +%s)
run_one() {
    local name=$1 t0 rc=0
    t0=$(date +%s)
    "${bin_of[$name]}" --exact "$name" --test-threads=1 >"$logs/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$logs/$name.rc"
    if [[ $rc -eq 0 ]]; then
        echo "ok   $name ($(($(date +%s) - t0)) s)"
    else
        echo "FAIL $name (exit $rc, $(($(date +%s) - t0)) s):"
        cat "$logs/$name.log"
    fi
}
echo "${#selected[@]} loom models, LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS, $jobs_max at a time"
for n in "${selected[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs_max ]]; do
        wait -n || true
    done
    run_one "$n" &
done
wait
failed=0
for n in "${selected[@]}"; do
    [[ $(cat "$logs/$n.rc" 2>/dev/null) == 0 ]] || failed=$((failed + 1))
done
echo "$((${#selected[@]} - failed)) of ${#selected[@]} loom models passed in $(($(date +%s) - started)) s"
[[ $failed -eq 0 ]]
