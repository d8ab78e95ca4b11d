#!/usr/bin/env bash
# test.sh — set up the host (scripts/setup.sh), build, and run every test:
#
#   1. unit tests (cmocka, meson suite 'unit') in the normal build;
#   2. the same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. libFuzzer targets (clang, ASan/UBSan) for a bounded time each,
#      seeded with a generated corpus of valid inputs;
#   4. the micro-benchmarks (classifier, flow_mod, dpcls) and the benchmark
#      harness in --quick mode, so they cannot rot;
#   5. system tests (pytest with Debian's /usr/bin/python3): network
#      namespaces, veth pairs, vswitchd end to end, os-ken and tshark
#      cross-checks of the OpenFlow codec and connections.
#
# Ends with one line "N passed, N failed" summing every suite, and exits
# non-zero when anything failed. Options: --quick (skip the sanitizer build
# and the fuzzers), --only unit|asan|fuzz|bench|system (repeatable).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
results="$top/build-results"
rm -rf "$results"
mkdir -p "$results"

quick=0
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --only) only+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
want() {
    [ ${#only[@]} -eq 0 ] && return 0
    local s; for s in "${only[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

step() { echo; echo "=== $* ==="; }

step "setup and build (build/)"
if ! setup_out=$("$top/scripts/setup.sh" --build-dir "$top/build"); then
    echo "setup or build failed" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
eval "$(echo "$setup_out" | tail -n 1)"
export VSWITCH_NO_HUGE VSWITCH_BUILD="$top/build"

run_unit() {  # build_dir label
    local dir=$1 label=$2
    step "unit tests ($label)"
    meson test -C "$dir" --suite unit --num-processes 2 --print-errorlogs \
        --timeout-multiplier 3
    if ! cp "$dir/meson-logs/testlog.json" "$results/meson-$label.json" 2>/dev/null; then
        echo "{\"name\": \"$label (meson test wrote no log)\", \"result\": \"FAIL\"}" \
            > "$results/meson-$label.json"
    fi
}

if want unit; then
    run_unit "$top/build" unit
fi

if want asan && [ "$quick" = 0 ]; then
    step "build with ASan/UBSan (build-asan/)"
    if [ ! -f build-asan/build.ninja ]; then
        meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
    fi
    if ninja -C build-asan >"$results/asan-build.log" 2>&1; then
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            run_unit "$top/build-asan" asan
    else
        tail -n 40 "$results/asan-build.log"
        echo '{"name": "asan-build", "result": "FAIL"}' > "$results/meson-asan.json"
    fi
fi

if want fuzz && [ "$quick" = 0 ]; then
    step "fuzzing (clang, libFuzzer, ASan/UBSan; bounded time per target)"
    if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
            -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
    fi
    if ninja -C build-fuzz >"$results/fuzz-build.log" 2>&1; then
        # Each target's meson test runs it for a fixed time over its seed
        # corpus; a crash or a sanitizer report fails it.
        meson test -C build-fuzz --suite fuzz --num-processes 2 --print-errorlogs
        cp build-fuzz/meson-logs/testlog.json "$results/meson-fuzz.json" 2>/dev/null || true
    else
        tail -n 40 "$results/fuzz-build.log"
        echo '{"name": "fuzz-build", "result": "FAIL"}' > "$results/meson-fuzz.json"
    fi
fi

if want bench; then
    step "benchmarks, quick mode (micro-benchmarks and the harness, vswitch only; figures are printed, not checked)"
    : > "$results/meson-bench.json"
    for micro in classifier flowmod dpcls; do
        if "$top/build/bench/bench_$micro" --quick; then
            echo "{\"name\": \"bench-$micro\", \"result\": \"OK\"}" >> "$results/meson-bench.json"
        else
            echo "{\"name\": \"bench-$micro\", \"result\": \"FAIL\"}" >> "$results/meson-bench.json"
        fi
    done
    if /usr/bin/python3 "$top/bench/run.py" --quick --build "$top/build"; then
        echo '{"name": "bench-quick", "result": "OK"}' >> "$results/meson-bench.json"
    else
        echo '{"name": "bench-quick", "result": "FAIL"}' >> "$results/meson-bench.json"
    fi
fi

if want system; then
    step "system tests (pytest)"
    /usr/bin/python3 -m pytest -v -p no:cacheprovider \
        --junitxml="$results/system.xml" "$top/tests/system"
    rc=$?
    if [ ! -s "$results/system.xml" ]; then
        # pytest died before reporting: that is a failure, not zero tests.
        echo "{\"name\": \"system (pytest exited $rc without a report)\", \"result\": \"FAIL\"}" \
            > "$results/meson-system-run.json"
    fi
fi

step "summary"
/usr/bin/python3 "$top/scripts/summarize_tests.py" "$results"
