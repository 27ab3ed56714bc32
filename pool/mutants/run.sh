#!/usr/bin/env bash
# Mutation check of amrkit-pool's loom models and tests: applies each
# known-bad change in patches/ to a scratch copy of the workspace, one at a
# time, and checks that a model or test meant to catch it fails. See
# README.md.
#
# Usage: pool/mutants/run.sh [REGEX]   (only mutations whose name matches)
#
# A mutation is one file, patches/NN-name.patch: a first line
#   caught by: SPEC SPEC ...
# naming, fastest first, the models and tests that must catch it, optional
# `#` comment lines saying what the change breaks, then a unified diff
# against the workspace (paths a/pool/src/...). A SPEC is
#   lib:<name>            a loom model in pool/src/loom_tests.rs
#   loom:<name>           a loom model in pool/tests/loom.rs
#   std:<binary>:<name>   a plain test (no loom) of test binary <binary>
#
# Environment (all optional):
#   MUTANTS_TARGET      cargo target dir of the loom builds (kept between
#                       runs; default <workspace>/target/mutants-loom)
#   MUTANTS_TARGET_STD  the same for the plain builds (target/mutants-std)
#   MUTANTS_TIMEOUT     seconds a loom model may run (default 600); still
#                       running then counts as caught (a hang)
#   MUTANTS_TIMEOUT_STD the same for plain tests (default 180)
#   MUTANTS_KEEP=1      keep the scratch copy and the logs
#   MUTANTS_ALL=1       run every listed test, not only up to the first catch
#
# Output: one line per mutation, `caught by <spec> (<how>)` or `NOT CAUGHT`,
# the total time, and last `K of N mutations caught`. Exit 0 only if every
# mutation was caught; 2 if a patch does not apply (it would be a silent
# no-op: regenerate it) or the unmutated workspace does not build. A
# mutation that does not build counts as NOT caught.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET_LOOM=${MUTANTS_TARGET:-$ROOT/target/mutants-loom}
TARGET_STD=${MUTANTS_TARGET_STD:-$ROOT/target/mutants-std}
TIMEOUT=${MUTANTS_TIMEOUT:-600}
TIMEOUT_STD=${MUTANTS_TIMEOUT_STD:-180}
FILTER=${1:-}
START=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/amrkit-mutants.XXXXXX")
WS=$WORK/ws
LOGS=$WORK/logs
mkdir -p "$WS" "$LOGS"
trap '[[ "${MUTANTS_KEEP:-0}" == 1 ]] || rm -rf "$WORK"' EXIT
(cd "$ROOT" && tar --exclude='./target' --exclude='./target-*' --exclude='./.git' -cf - .) |
    (cd "$WS" && tar -xf -)
echo "mutants: workspace copied to $WS (logs in $LOGS)"

# Quicker rebuilds than the release profile, same optimisation level.
export CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_INCREMENTAL=true
export LOOM_MAX_PREEMPTIONS=3 RUST_BACKTRACE=0

declare -A EXE
# build KIND (lib | loom | std:<binary>): sets EXE[KIND]; 1 if it fails.
build() {
    local kind=$1 log=$LOGS/$CURRENT.build.${1//:/_}.log json target flags
    local -a args
    case $kind in
        lib) args=(--lib) ;;
        loom) args=(--test loom) ;;
        std:*) args=(--test "${kind#std:}") ;;
    esac
    if [[ $kind == std:* ]]; then target=$TARGET_STD flags=""; else target=$TARGET_LOOM flags="--cfg loom"; fi
    json=$(cd "$WS" && CARGO_TARGET_DIR=$target RUSTFLAGS=$flags cargo test -p amrkit-pool \
        --release "${args[@]}" --no-run --message-format=json 2>"$log") || return 1
    EXE[$kind]=$(printf '%s\n' "$json" | python3 -c '
import json, sys
exe = [m["executable"] for m in map(json.loads, sys.stdin)
       if m.get("reason") == "compiler-artifact" and m.get("executable")]
print(exe[-1] if exe else "")')
    [[ -n "${EXE[$kind]}" ]]
}

# run_test SPEC: 0 passed, 1 failed or timed out (caught), 2 did not build.
# Sets HOW to the failure's first line.
run_test() {
    local spec=$1 kind name limit rc=0 log rest
    case $spec in
        lib:*) kind=lib name=loom_tests::${spec#lib:} limit=$TIMEOUT ;;
        loom:*) kind=loom name=${spec#loom:} limit=$TIMEOUT ;;
        std:*) rest=${spec#std:}; kind=std:${rest%%:*} name=${rest#*:} limit=$TIMEOUT_STD ;;
        *) echo "mutants: bad test spec '$spec' in $CURRENT" >&2; exit 2 ;;
    esac
    [[ -n "${EXE[$kind]:-}" ]] || build "$kind" || return 2
    log=$LOGS/$CURRENT.${spec//[:\/]/_}.log
    { (cd "$WS/pool" && timeout -k 10 "$limit" "${EXE[$kind]}" --exact "$name" \
        --test-threads=1 --nocapture) >"$log" 2>&1; } 2>/dev/null || rc=$?
    if [[ $rc == 0 ]]; then
        # `--exact` with a wrong name runs nothing and passes: refuse that.
        grep -q "^test $name \.\.\. ok" "$log" ||
            { echo "mutants: $spec ran no test (wrong name?)" >&2; exit 2; }
        return 0
    fi
    if [[ $rc == 124 || $rc == 137 ]]; then
        HOW="timeout after $limit s"
    else
        # The failure: a watchdog's verdict, else the message after "panicked
        # at" — loom's first, a plain test's last (a test may print panics
        # it provokes on purpose before the assertion that fails).
        HOW=$(grep -o "watchdog:.*" "$log" | head -n1 || true)
        if [[ -z $HOW && $kind == std:* ]]; then
            HOW=$(grep -A1 "panicked at" "$log" | grep -v -e "panicked at" -e "^--" | tail -n1 || true)
        elif [[ -z $HOW ]]; then
            HOW=$(grep -m1 -A1 "panicked at" "$log" | tail -n1 || true)
        fi
        case $HOW in
            deadlock*) HOW="deadlock: every thread blocked" ;;
            "Model exceeded maximum number of branches"*) HOW="livelock: loom's branch limit" ;;
            "") HOW="exit $rc" ;;
            *) HOW=$(printf '%s' "$HOW" | cut -c1-80) ;;
        esac
    fi
    return 1
}

CURRENT=baseline
for kind in lib loom; do
    build "$kind" || {
        echo "mutants: the unmutated workspace does not build ($kind):" >&2
        tail -n 30 "$LOGS"/baseline.build.*.log >&2
        exit 2
    }
done

total=0 caught=0
for patch in "$HERE"/patches/*.patch; do
    CURRENT=$(basename "$patch" .patch)
    CURRENT=${CURRENT#[0-9][0-9]-}
    [[ -z "$FILTER" || "$CURRENT" =~ $FILTER ]] || continue
    read -r first <"$patch"
    [[ $first == "caught by: "* ]] ||
        { echo "mutants: $patch: first line must be 'caught by: SPEC...'" >&2; exit 2; }
    (cd "$WS" && git apply --check "$patch" 2>"$LOGS/$CURRENT.apply.log") ||
        { echo "mutants: $patch does not apply (see $LOGS/$CURRENT.apply.log)" >&2; exit 2; }
    (cd "$WS" && git apply "$patch")
    EXE=()
    t0=$(date +%s)
    total=$((total + 1))
    result="NOT CAUGHT" by=() passed=()
    for spec in ${first#caught by: }; do
        HOW="" rc=0
        run_test "$spec" || rc=$?
        if [[ $rc == 1 ]]; then
            if [[ ${#by[@]} == 0 ]]; then
                result="caught by $spec${HOW:+ ($HOW)}"
                caught=$((caught + 1))
            fi
            by+=("$spec")
            [[ "${MUTANTS_ALL:-0}" == 1 ]] || break
        elif [[ $rc == 2 ]]; then
            [[ ${#by[@]} != 0 ]] || result="NOT CAUGHT (does not build: $LOGS/$CURRENT.build.*.log)"
            break
        else
            passed+=("$spec")
        fi
    done
    [[ "${MUTANTS_ALL:-0}" != 1 ]] ||
        result="$result; all catching: ${by[*]:-none}; passing: ${passed[*]:-none}"
    # Undo; touch the files so cargo rebuilds whatever mtime the revert left.
    (cd "$WS" && git apply -R "$patch" && git apply --numstat "$patch" |
        cut -f3 | xargs touch)
    printf '%-36s %s [%d s]\n' "$CURRENT:" "$result" $(($(date +%s) - t0))
done

echo "total run time: $(($(date +%s) - START)) s"
echo "$caught of $total mutations caught"
[[ $caught == "$total" ]]
