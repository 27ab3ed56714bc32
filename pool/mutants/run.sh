#!/usr/bin/env bash
# Mutation check of amrkit-pool's loom models and tests: applies known-bad
# changes to a scratch copy of the workspace, one at a time, and checks that
# the models (or tests) meant to catch each one fail. See README.md.
#
# Usage: pool/mutants/run.sh [REGEX]   (only mutations whose name matches;
#        default: every mutation)
#
# Environment (all optional):
#   MUTANTS_TARGET   cargo target dir for the loom builds (kept between runs;
#                    default <workspace>/target/mutants-loom)
#   MUTANTS_TARGET_STD  the same for the plain (non-loom) test builds
#                    (default <workspace>/target/mutants-std)
#   MUTANTS_TIMEOUT  seconds one loom model may run (default 600); a model
#                    still running then counts as having caught the mutation
#   MUTANTS_TIMEOUT_STD  the same for plain tests (default 180)
#   MUTANTS_KEEP=1   keep the scratch copy and logs (path printed at start)
#   MUTANTS_ALL=1    run every test listed for a mutation, not only up to the
#                    first that catches it (slower; for the README's table)
#
# Output: one line per mutation, `caught by <test>` or `NOT CAUGHT`, the
# total run time, and as the last line `K of N mutations caught`. Exit 0 only
# if every mutation was caught; 2 if a mutation's pattern did not match the
# code (the mutation would be a silent no-op: fix the pattern).
#
# A test that fails or times out catches the mutation; a mutation that does
# not build is NOT caught (the mutation itself is broken). Each mutation is
# applied to a pristine copy of the file, and every build reuses the same
# target dirs, so only the pool crate is rebuilt per mutation.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_LOOM=${MUTANTS_TARGET:-$ROOT/target/mutants-loom}
TARGET_STD=${MUTANTS_TARGET_STD:-$ROOT/target/mutants-std}
TIMEOUT=${MUTANTS_TIMEOUT:-600}
TIMEOUT_STD=${MUTANTS_TIMEOUT_STD:-180}
FILTER=${1:-}
START=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/amrkit-mutants.XXXXXX")
WS=$WORK/ws            # the scratch workspace the mutations are applied to
PRISTINE=$WORK/pristine # unmutated copies of the files mutations touch
LOGS=$WORK/logs
mkdir -p "$WS" "$PRISTINE" "$LOGS"
cleanup() {
    if [[ "${MUTANTS_KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# One copy of the workspace, without build outputs or git metadata.
(cd "$ROOT" && tar --exclude='./target' --exclude='./target-*' --exclude='./.git' -cf - .) |
    (cd "$WS" && tar -xf -)
echo "mutants: workspace copied to $WS (logs in $LOGS)"

# Faster rebuilds than the release profile (thin LTO, one codegen unit):
# same optimisation level, so model run times are comparable.
export CARGO_PROFILE_RELEASE_LTO=off
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_INCREMENTAL=true
export LOOM_MAX_PREEMPTIONS=3
# Loom prints a long trace on failure; the logs keep only what is useful.
export RUST_BACKTRACE=0

# ----------------------------------------------------------------------------
# Editing: `edit FILE` reads a spec on stdin, the exact OLD text, a line
# `@@@@`, then the NEW text; OLD must occur exactly once in FILE.

PYEDIT='
import sys
path = sys.argv[1]
spec = sys.stdin.read()
old, sep, new = spec.partition("\n@@@@\n")
if not sep:
    sys.exit("mutation spec without a @@@@ line")
if new.endswith("\n"):
    new = new[:-1]
src = open(path).read()
n = src.count(old)
if n != 1:
    sys.stderr.write("PATTERN MATCHED %d TIMES (need exactly 1) in %s:\n%s\n" % (n, path, old))
    sys.exit(3)
open(path, "w").write(src.replace(old, new, 1))
'

TOUCHED=()
edit() {
    local f=$1
    if [[ ! -e "$PRISTINE/$f" ]]; then
        mkdir -p "$(dirname "$PRISTINE/$f")"
        cp "$WS/$f" "$PRISTINE/$f"
    fi
    TOUCHED+=("$f")
    if ! python3 -c "$PYEDIT" "$WS/$f"; then
        echo "mutants: mutation '$CURRENT' does not apply to $f (see above); aborting" >&2
        exit 2
    fi
}

restore() {
    local f
    for f in "${TOUCHED[@]}"; do
        # A plain copy (new mtime), so cargo rebuilds: an old mtime could make
        # it keep the mutated build.
        cp "$PRISTINE/$f" "$WS/$f"
    done
    TOUCHED=()
}

# ----------------------------------------------------------------------------
# Building and running. A test spec is one of
#   lib:<name>              a loom model in src/loom_tests.rs
#   loom:<name>             a loom model in tests/loom.rs
#   std:<file>:<name>       a plain test in tests/<file>.rs (no loom)

declare -A EXE
build() { # KIND (lib | loom | std:<file>) -> sets EXE[KIND]; 1 on build failure
    local kind=$1 log=$LOGS/$CURRENT.build.$(echo "$1" | tr ':' '_').log json
    local -a args
    case $kind in
        lib) args=(--lib) ;;
        loom) args=(--test loom) ;;
        std:*) args=(--test "${kind#std:}") ;;
    esac
    if [[ $kind == std:* ]]; then
        json=$(cd "$WS" && CARGO_TARGET_DIR=$TARGET_STD RUSTFLAGS="" \
            cargo test -p amrkit-pool --release "${args[@]}" --no-run --message-format=json 2>"$log") || return 1
    else
        json=$(cd "$WS" && CARGO_TARGET_DIR=$TARGET_LOOM RUSTFLAGS="--cfg loom" \
            cargo test -p amrkit-pool --release "${args[@]}" --no-run --message-format=json 2>"$log") || return 1
    fi
    EXE[$kind]=$(printf '%s\n' "$json" | python3 -c '
import json, sys
exe = [m["executable"] for m in map(json.loads, sys.stdin)
       if m.get("reason") == "compiler-artifact" and m.get("executable")]
print(exe[-1] if exe else "")')
    [[ -n "${EXE[$kind]}" ]]
}

# run_test SPEC -> 0 passed, 1 failed or timed out (caught), 2 build failure
run_test() {
    local spec=$1 kind name limit rc log
    case $spec in
        lib:*) kind=lib; name=loom_tests::${spec#lib:}; limit=$TIMEOUT ;;
        loom:*) kind=loom; name=${spec#loom:}; limit=$TIMEOUT ;;
        std:*) kind=std:$(echo "$spec" | cut -d: -f2); name=$(echo "$spec" | cut -d: -f3); limit=$TIMEOUT_STD ;;
        *) echo "bad test spec $spec" >&2; exit 2 ;;
    esac
    if [[ -z "${EXE[$kind]:-}" ]]; then
        build "$kind" || return 2
    fi
    log=$LOGS/$CURRENT.$(echo "$spec" | tr ':/' '__').log
    rc=0
    # (The outer redirection hides the shell's "Aborted" notice: loom aborts
    # the process on some failures.)
    { (cd "$WS/pool" && timeout -k 10 "$limit" "${EXE[$kind]}" --exact "$name" --test-threads=1 --nocapture) >"$log" 2>&1; } 2>/dev/null || rc=$?
    if [[ $rc == 0 ]]; then
        # `--exact` with a wrong name runs nothing and passes: refuse that.
        if ! grep -q "^test $name \.\.\. ok" "$log"; then
            echo "mutants: test $spec did not run (wrong name?)" >&2
            exit 2
        fi
        return 0
    fi
    if [[ $rc == 124 || $rc == 137 ]]; then
        HOW="timeout after ${limit} s"
    else
        # The failure message: the line after loom's or the test's "panicked at".
        HOW=$(grep -m1 -A1 "panicked at" "$log" | tail -n 1 || true)
        case $HOW in
            deadlock*) HOW="deadlock: every thread blocked" ;;
            "Model exceeded maximum number of branches"*) HOW="livelock: loom's branch limit" ;;
            *) HOW=$(printf '%s' "$HOW" | cut -c1-80) ;;
        esac
    fi
    return 1
}

# ----------------------------------------------------------------------------
# The mutations. Each is a function `m_<name>` that edits files, registered
# with `mutant NAME "tests ..."` (tried in order; the first failure wins).

NAMES=()
declare -A TESTS
mutant() { NAMES+=("$1"); TESTS[$1]=$2; }

mutant sleep-no-fence-S "loom:outside_job_while_workers_sleep loom:worker_pushed_job_while_others_sleep loom:spin_phase_then_park loom:shutdown_while_parked_or_stealing"
m_sleep_no_fence_S() {
    edit pool/src/sleep.rs <<'EOF'
        // Fence S: pairs with fence P in `notify_new_work`.
        fence(Ordering::SeqCst);
@@@@
        // Fence S: removed.
EOF
}

mutant sleep-no-fence-P "loom:outside_job_while_workers_sleep loom:worker_pushed_job_while_others_sleep loom:spin_phase_then_park loom:shutdown_while_parked_or_stealing"
m_sleep_no_fence_P() {
    edit pool/src/sleep.rs <<'EOF'
        // Fence P: pairs with fence S in `sleep`. The push happened before.
        fence(Ordering::SeqCst);
@@@@
        // Fence P: removed.
EOF
}

mutant sleep-no-recheck "loom:outside_job_while_workers_sleep loom:spin_phase_then_park loom:shutdown_while_parked_or_stealing loom:cross_pool_install_round_trip"
m_sleep_no_recheck() {
    edit pool/src/sleep.rs <<'EOF'
        if wake_condition() {
@@@@
        if false && wake_condition() {
EOF
}

mutant spinlatch-set-relaxed "loom:join_latch_set_while_owner_returns loom:nested_join_thief_takes_oldest loom:direct_steal_while_first_half_runs loom:join_panic_in_a_with_b_stolen"
m_spinlatch_set_relaxed() {
    edit pool/src/latch.rs <<'EOF'
        // SAFETY: still live: nobody frees it before this store is seen.
        unsafe { (*this).set.store(true, Ordering::Release) };
@@@@
        // SAFETY: still live: nobody frees it before this store is seen.
        unsafe { (*this).set.store(true, Ordering::Relaxed) };
EOF
}

mutant spinlatch-probe-relaxed "loom:join_latch_set_while_owner_returns loom:nested_join_thief_takes_oldest loom:direct_steal_while_first_half_runs loom:join_panic_in_a_with_b_stolen"
m_spinlatch_probe_relaxed() {
    edit pool/src/latch.rs <<'EOF'
        // written before the store is visible once this returns true.
        self.set.load(Ordering::Acquire)
@@@@
        // written before the store is visible once this returns true.
        self.set.load(Ordering::Relaxed)
EOF
}

mutant spinlatch-no-wake "loom:join_latch_set_while_owner_returns loom:direct_steal_while_first_half_runs loom:idle_worker_takes_pending_work lib:capped_job_without_slot_is_handed_back"
m_spinlatch_no_wake() {
    edit pool/src/latch.rs <<'EOF'
        // blocking, so either it sees the store above or we see it blocked.
        registry.sleep.wake_worker(owner);
@@@@
        // blocking, so either it sees the store above or we see it blocked.
        let _ = (registry, owner);
EOF
}

mutant locklatch-no-notify "loom:outside_job_while_workers_sleep loom:spin_phase_then_park loom:cross_pool_install_round_trip"
m_locklatch_no_notify() {
    # A thread outside the pool blocked in `install` is never woken.
    edit pool/src/latch.rs <<'EOF'
        inner.cond.notify_all();
@@@@
EOF
}

mutant countlatch-relaxed "loom:scope_completion_count loom:worker_pushed_job_while_others_sleep"
m_countlatch_relaxed() {
    edit pool/src/latch.rs <<'EOF'
        if unsafe { (*this).count.fetch_sub(1, Ordering::AcqRel) } == 1 {
@@@@
        if unsafe { (*this).count.fetch_sub(1, Ordering::Relaxed) } == 1 {
EOF
}

mutant crosslatch-wrong-registry "loom:cross_pool_install_round_trip loom:cross_pool_broadcast"
m_crosslatch_wrong_registry() {
    edit pool/src/latch.rs <<'EOF'
        // Same targeted-wake argument as `SpinLatch::set`.
        registry.sleep.wake_worker(owner);
@@@@
        // Wakes worker `owner` of the *setter's* pool.
        drop(registry);
        _registry.sleep.wake_worker(owner);
EOF
}

mutant crosslatch-no-wake "loom:cross_pool_install_round_trip loom:cross_pool_broadcast"
m_crosslatch_no_wake() {
    edit pool/src/latch.rs <<'EOF'
        // Same targeted-wake argument as `SpinLatch::set`.
        registry.sleep.wake_worker(owner);
@@@@
        let _ = (registry, owner);
EOF
}

mutant exit-condition-sampled-twice "loom:shutdown_while_parked_or_stealing loom:spin_phase_then_park"
m_exit_condition_sampled_twice() {
    edit pool/src/registry.rs <<'EOF'
.sleep(self.index, || probe() || self.has_work(true))
@@@@
.sleep(self.index, || (probe() && !self.has_work(true)) || self.has_work(true))
EOF
}

mutant terminate-after-find-work "loom:shutdown_while_parked_or_stealing loom:spin_phase_then_park"
m_terminate_after_find_work() {
    # The pre-fix exit order: the termination flag sampled *after* the
    # search, so a job queued between the two is left behind. Since workers
    # drain their queues once more on the way out (`while wt.run_one() {}`,
    # for work of exit handlers), that drain is removed too: with it, the
    # late sample alone is harmless (an equivalent mutant, which the models
    # rightly let pass).
    edit pool/src/registry.rs <<'EOF'
            if done {
                break;
            }
@@@@
            if probe() {
                break;
            }
EOF
    edit pool/src/registry.rs <<'EOF'
        while wt.run_one() {}
@@@@
EOF
}

mutant publish-nothing "loom:idle_worker_takes_pending_work loom:nested_join_thief_takes_oldest loom:direct_steal_while_first_half_runs"
m_publish_nothing() {
    edit pool/src/registry.rs <<'EOF'
        if self.shared().eager.is_empty() && self.publish_one() {
@@@@
        if false && self.shared().eager.is_empty() && self.publish_one() {
EOF
}

mutant fork-no-light-fence "loom:idle_worker_takes_pending_work loom:direct_steal_while_first_half_runs"
m_fork_no_light_fence() {
    # The owner's half of the fork/sleep pairing: without it, a sleeper's
    # re-check can miss the new pending entry while the owner misses the
    # sleeper (and publishes nothing).
    # (The real fence runs on the cold path: loom, like the no-membarrier
    # mode, reads `fence_first` and goes there on every untagged fork.)
    edit pool/src/registry.rs <<'EOF'
            // pairing, then the real counter (see `push_pending`).
            fence(Ordering::SeqCst);
@@@@
            // pairing, then the real counter (see `push_pending`).
EOF
}

mutant push-limit-past-top "lib:full_deque_refuses_push_until_a_steal"
m_push_limit_past_top() {
    # The owner's cached limit one slot too far: a push into a full ring
    # overwrites the oldest live entry.
    edit pool/src/deque.rs <<'EOF'
            limit: AtomicIsize::new(CAP as isize),
@@@@
            limit: AtomicIsize::new(CAP as isize + 1),
EOF
}

mutant tagged-oldest-hides-younger "lib:untagged_entry_behind_a_tagged_one_is_reached std:liveness:untagged_second_half_behind_a_tagged_entry_gets_a_taker"
m_tagged_oldest_hides_younger() {
    # Thieves leave a tagged oldest entry alone even with untagged work
    # behind it (the bug before the fix): the younger entries are stranded.
    edit pool/src/registry.rs <<'EOF'
                    !JobRef::words_tagged(w) || v.pending.any_entry(|e| !JobRef::words_tagged(e))
@@@@
                    !JobRef::words_tagged(w)
EOF
}

mutant recheck-oldest-only "lib:untagged_entry_behind_a_tagged_one_is_reached"
m_recheck_oldest_only() {
    # The sleep re-check counts only the oldest pending entry of a victim: a
    # sleeper misses an untagged entry behind a tagged one.
    edit pool/src/registry.rs <<'EOF'
                        || (direct && w.pending.any_entry(|e| !JobRef::words_tagged(e))))
@@@@
                        || (direct && { let first = std::cell::Cell::new(true); w.pending.any_entry(|e| first.replace(false) && !JobRef::words_tagged(e)) }))
EOF
}

mutant heavy-fence-noop-under-loom "lib:pending_deque_each_entry_taken_once loom:idle_worker_takes_pending_work loom:direct_steal_while_first_half_runs"
m_heavy_fence_noop_under_loom() {
    edit pool/src/sync.rs <<'EOF'
pub(crate) fn heavy_fence() {
    fence(Ordering::SeqCst);
@@@@
pub(crate) fn heavy_fence() {
    #[cfg(not(loom))]
    fence(Ordering::SeqCst);
EOF
}

mutant deque-pop-no-owner-fence "lib:eager_deque_each_entry_taken_once lib:pending_deque_each_entry_taken_once"
m_deque_pop_no_owner_fence() {
    # The symmetric deque's owner fence (`Deque<false>`).
    edit pool/src/deque.rs <<'EOF'
        } else {
            fence(Ordering::SeqCst);
            self.top.load(Ordering::Relaxed)
@@@@
        } else {
            self.top.load(Ordering::Relaxed)
EOF
}

mutant deque-pop-own-no-owner-fence "lib:pending_deque_each_entry_taken_once lib:eager_deque_each_entry_taken_once"
m_deque_pop_own_no_owner_fence() {
    # The pending deque's real owner fence (no membarrier, and loom).
    edit pool/src/deque.rs <<'EOF'
            if self.bias != 0 {
                fence(Ordering::SeqCst);
            }
@@@@
            if self.bias != 0 {
            }
EOF
}

mutant deque-no-bias "lib:pending_deque_each_entry_taken_once"
m_deque_no_bias() {
    # No bias without membarrier: `pop_own`'s fast test then accepts an
    # entry with no real fence between lowering `bottom` and reading `top`.
    edit pool/src/deque.rs <<'EOF'
        let bias = if ASYM && LightFence::current().is_real() {
@@@@
        let bias = if false && ASYM && LightFence::current().is_real() {
EOF
}

mutant deque-thief-ignores-bias "lib:pushed_entries_are_stolen_oldest_first loom:direct_steal_while_first_half_runs"
m_deque_thief_ignores_bias() {
    # A thief compares the raw `top` with `bottom`: it sees every pending
    # deque empty, and an idle worker never takes a second half directly.
    edit pool/src/deque.rs <<'EOF'
        let raw = self.top.load(Ordering::Acquire);
        let t = raw - self.bias();
@@@@
        let raw = self.top.load(Ordering::Acquire);
        let t = raw;
EOF
}

mutant deque-fast-pop-ignores-bias "lib:pending_deque_each_entry_taken_once"
m_deque_fast_pop_ignores_bias() {
    # `pop_own`'s fast test subtracts the bias: without membarrier (and under
    # loom) it then accepts an entry with no real fence, while the slow path
    # keeps its fence (unlike `deque-no-bias`, which drops both).
    edit pool/src/deque.rs <<'EOF'
            if self.top.load(Ordering::Relaxed) < b {
@@@@
            if self.top.load(Ordering::Relaxed) - self.bias < b {
EOF
}

mutant deque-limit-ignores-bias "lib:every_reader_of_top_subtracts_the_bias lib:full_deque_refuses_push_until_a_steal"
m_deque_limit_ignores_bias() {
    # The owner's push limit from the raw `top`: with a bias, no push is
    # ever refused and a full ring overwrites live entries.
    edit pool/src/deque.rs <<'EOF'
        let limit = self.top.load(Ordering::Relaxed) - self.bias() + CAP as isize;
@@@@
        let limit = self.top.load(Ordering::Relaxed) + CAP as isize;
EOF
}

mutant deque-any-entry-ignores-bias "lib:every_reader_of_top_subtracts_the_bias lib:untagged_entry_behind_a_tagged_one_is_reached"
m_deque_any_entry_ignores_bias() {
    # `any_entry` (the sleep re-check, the thief's tagged-oldest test) from
    # the raw `top`: with a bias it sees no entry at all.
    edit pool/src/deque.rs <<'EOF'
        let t = self.top.load(Ordering::Relaxed) - self.bias();
        let b = self.bottom.load(Ordering::Relaxed);
        // At most
@@@@
        let t = self.top.load(Ordering::Relaxed);
        let b = self.bottom.load(Ordering::Relaxed);
        // At most
EOF
}

mutant deque-last-entry-cas-always-wins "lib:eager_deque_each_entry_taken_once lib:pending_deque_each_entry_taken_once"
m_deque_last_entry_cas_always_wins() {
    edit pool/src/deque.rs <<'EOF'
                .is_ok();
            self.bottom.store(b + 1, Ordering::Relaxed);
            return won.then_some(w);
@@@@
                .is_ok()
                || true;
            self.bottom.store(b + 1, Ordering::Relaxed);
            return won.then_some(w);
EOF
}

mutant deque-push-no-release-fence "lib:eager_deque_each_entry_taken_once lib:pending_deque_each_entry_taken_once"
m_deque_push_no_release_fence() {
    edit pool/src/deque.rs <<'EOF'
        fence(Ordering::Release);
        self.bottom.store(b + 1, Ordering::Relaxed);
@@@@
        self.bottom.store(b + 1, Ordering::Relaxed);
EOF
}

mutant cap-reserve-off-by-one "lib:cap_slots_never_exceed_cap lib:capped_job_without_slot_is_handed_back"
m_cap_reserve_off_by_one() {
    # A reservation succeeds with every slot already taken.
    edit pool/src/cap.rs <<'EOF'
                if used >= c.cap {
@@@@
                if used > c.cap {
EOF
}

mutant par-nested-uncapped-drops-cap "loom:capped_call_defers_to_its_owner std:max_threads:nested_uncapped_par_and_join_leaves_stay_within_the_cap"
m_par_nested_uncapped_drops_cap() {
    edit pool/src/par.rs <<'EOF'
            body(plan)
        } else {
            body(plan)
        }
@@@@
            body(plan)
        } else if self.max_threads.is_none() {
            let _scope = CtxScope::enter(wt, std::ptr::null());
            body(plan)
        } else {
            body(plan)
        }
EOF
}

mutant stackjob-skips-slot-reservation "lib:capped_job_without_slot_is_handed_back std:max_threads:nested_uncapped_par_and_join_leaves_stay_within_the_cap std:max_threads:scope_and_join_inside_a_capped_call_respect_it"
m_stackjob_skips_slot_reservation() {
    edit pool/src/job.rs <<'EOF'
        if !ctx.is_null() && w.index() != owner {
@@@@
        if false && !ctx.is_null() && w.index() != owner {
EOF
}

mutant pipeline-stage-no-reschedule "std:pipeline:errors_reach_the_sink_in_their_row_and_skip_later_stages loom:pipeline_hand_off_between_workers"
m_pipeline_stage_no_reschedule() {
    # A finishing stage task starts nothing: the pipeline's lost wake-up
    # (its item waits in the next channel with no task to take it).
    edit pool/src/pipeline.rs <<'EOF'
            _ => st.in_flight -= 1,
        }
        self.schedule(&mut st)
@@@@
            _ => st.in_flight -= 1,
        }
        Vec::new()
EOF
}

mutant pipeline-in-flight-off-by-one "std:pipeline:back_pressure_bounds_items_alive_by_channel_capacities"
m_pipeline_in_flight_off_by_one() {
    # The source admits one item more than the in-flight bound.
    edit pool/src/pipeline.rs <<'EOF'
            && st.in_flight < self.max_in_flight
@@@@
            && st.in_flight <= self.max_in_flight
EOF
}

mutant pipeline-capacity-off-by-one "std:pipeline:back_pressure_bounds_items_alive_by_channel_capacities"
m_pipeline_capacity_off_by_one() {
    # A stage starts with its output channel's slots all taken.
    edit pool/src/pipeline.rs <<'EOF'
                && out.len() + st.reserved[k + 1] < self.caps[k + 1]
@@@@
                && out.len() + st.reserved[k + 1] <= self.caps[k + 1]
EOF
}

mutant context-thief-never-migrated "std:context:stolen_half_is_migrated std:context:migrated_iff_another_thread"
m_context_thief_never_migrated() {
    # A thief tells a stolen half it runs where it was forked.
    edit pool/src/job.rs <<'EOF'
        let migrated = w.index() != owner;
@@@@
        let migrated = false;
EOF
}

mutant context-inline-migrated "std:context:migrated_iff_another_thread"
m_context_inline_migrated() {
    # A half run by its own forker claims to have migrated.
    edit pool/src/job.rs <<'EOF'
        f.run(wt, false)
@@@@
        f.run(wt, true)
EOF
}

mutant context-handed-back-migrated "std:context:half_handed_back_under_a_cap_is_not_migrated"
m_context_handed_back_migrated() {
    # Every job run through `execute` claims to have migrated, the one a
    # thief without a slot hands back to its forker included.
    edit pool/src/job.rs <<'EOF'
        let migrated = w.index() != owner;
@@@@
        let migrated = true;
EOF
}

mutant join-leftover-drop-not-quiet "std:context:first_panic_wins_over_a_panicking_drop_of_the_second_result"
m_join_leftover_drop_not_quiet() {
    # `a` panicked and `b`, taken back, ran here: dropping its result may
    # panic, and that panic replaces `a`'s.
    edit pool/src/join.rs <<'EOF'
        // any, loses to `a`'s, and so does a panic dropping its result.
        drop_quietly(panic::catch_unwind(AssertUnwindSafe(|| unsafe {
            job_b.run_inline(wt)
        })));
@@@@
        // any, loses to `a`'s, and so does a panic dropping its result.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| unsafe { job_b.run_inline(wt) }));
EOF
}

# ----------------------------------------------------------------------------

# The unmutated workspace must build (else every mutation would look broken).
CURRENT=baseline
for kind in lib loom; do
    if ! build "$kind"; then
        echo "mutants: the unmutated workspace does not build ($kind); see $LOGS" >&2
        tail -n 30 "$LOGS"/baseline.build.*.log >&2 || true
        exit 2
    fi
done

total=0
caught=0
for name in "${NAMES[@]}"; do
    if [[ -n "$FILTER" && ! "$name" =~ $FILTER ]]; then
        continue
    fi
    CURRENT=$name
    EXE=()
    t0=$(date +%s)
    "m_${name//-/_}"
    total=$((total + 1))
    result="NOT CAUGHT"
    by=()
    passed=()
    for spec in ${TESTS[$name]}; do
        HOW=""
        rc=0
        run_test "$spec" || rc=$?
        if [[ $rc == 1 ]]; then
            if [[ ${#by[@]} == 0 ]]; then
                result="caught by $spec${HOW:+ ($HOW)}"
                caught=$((caught + 1))
            fi
            by+=("$spec")
            [[ "${MUTANTS_ALL:-0}" == 1 ]] || break
        elif [[ $rc == 2 ]]; then
            if [[ ${#by[@]} == 0 ]]; then
                result="NOT CAUGHT (does not build: see $LOGS/$name.build.*.log)"
            fi
            break
        else
            passed+=("$spec")
        fi
    done
    if [[ "${MUTANTS_ALL:-0}" == 1 ]]; then
        result="$result; all catching: ${by[*]:-none}; passing: ${passed[*]:-none}"
    fi
    restore
    printf '%-36s %s [%d s]\n' "$name:" "$result" $(($(date +%s) - t0))
done

echo "total run time: $(($(date +%s) - START)) s"
echo "$caught of $total mutations caught"
[[ $caught == "$total" ]]
