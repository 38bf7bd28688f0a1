#!/bin/bash
# stress-my-pool.sh — a CI job for a bpstress plugin, in one command:
#
#   stress-my-pool.sh [--options PLUGIN_OPTIONS] [--duration 2s] [--threads 4] [--out DIR] \
#                     mypool.c [-- extra compiler flags]
#
# 1. builds the plugin three ways: plain (-O2), -fsanitize=address,undefined and -fsanitize=thread
#    (the sanitizer builds with clang, like bpstress-asan and bpstress-tsan, whose runtime they use);
# 2. `bpstress contract` on the plain build: deterministic checks, seconds;
# 3. bpstress, bpstress-asan and bpstress-tsan each stress its build of the plugin;
# 4. `bpstress verify` on each report, with the thresholds in $VERIFY_ARGS
#    (e.g. VERIFY_ARGS="--min-ops-per-sec 100K --max-p99 1ms");
# 5. writes DIR/junit.xml (one test case per step and per contract check) and DIR/report.html.
# Exit 0 when every step passed, 1 otherwise; everything else is in DIR (default bpstress-ci).
#
# Environment: BPSTRESS, BPSTRESS_ASAN, BPSTRESS_TSAN (the binaries; default from PATH),
# CC (plain build, default cc), SAN_CC (sanitizer builds, default clang-14 or clang),
# BPSTRESS_CFLAGS (default: pkg-config --cflags bpstress), VERIFY_ARGS.
set -u -o pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OPTIONS="" DURATION=2s THREADS=4 OUT=bpstress-ci SRC="" EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --options) OPTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; EXTRA=("$@"); break ;;
    -*) echo "stress-my-pool.sh: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$SRC" ] || usage; SRC=$1; shift ;;
  esac
done
[ -n "$SRC" ] || usage
[ -f "$SRC" ] || { echo "stress-my-pool.sh: $SRC: no such file" >&2; exit 2; }

BPSTRESS=${BPSTRESS:-bpstress}
BPSTRESS_ASAN=${BPSTRESS_ASAN:-bpstress-asan}
BPSTRESS_TSAN=${BPSTRESS_TSAN:-bpstress-tsan}
CC=${CC:-cc}
SAN_CC=${SAN_CC:-$(command -v clang-14 || command -v clang || echo clang)}
CFLAGS_SDK=${BPSTRESS_CFLAGS:-$(pkg-config --cflags bpstress 2>/dev/null)}
# A sanitizer finding stops the run at once and fails it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

mkdir -p "$OUT"
: > "$OUT/steps.tsv"  # name, status (pass/fail/skip), seconds, log file
failed=0
step() {  # step NAME LOG command...: runs it, records the result
  local name=$1 log=$2 start=$SECONDS status=pass
  shift 2
  "$@" > "$OUT/$log" 2>&1 || status=fail
  [ $status = pass ] || failed=1
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" $((SECONDS - start)) "$log" >> "$OUT/steps.tsv"
  printf '%-24s %s\n' "$name" "$status"
}
with_opts() { [ -z "$OPTIONS" ] && echo "$1" || echo "$1:$OPTIONS"; }

# 1. Three builds.
build() {  # build FLAVOUR COMPILER FLAGS...
  local flavour=$1 cc=$2
  shift 2
  # shellcheck disable=SC2086
  "$cc" -shared -fPIC -g $CFLAGS_SDK "$@" "${EXTRA[@]}" "$SRC" -o "$OUT/plugin-$flavour.so" -lpthread
}
step build-plain build-plain.log build plain "$CC" -O2
step build-asan build-asan.log build asan "$SAN_CC" -O1 -fsanitize=address,undefined \
  -fno-omit-frame-pointer
step build-tsan build-tsan.log build tsan "$SAN_CC" -O1 -fsanitize=thread

# 2. The contract, before any stress.
if [ -f "$OUT/plugin-plain.so" ]; then
  step contract contract.log "$BPSTRESS" contract --plugin "$(with_opts "$OUT/plugin-plain.so")"
fi

# 3 and 4. Stress under each build, then verify each report.
run_and_verify() {  # FLAVOUR BINARY
  local flavour=$1 bin=$2
  if [ ! -f "$OUT/plugin-$flavour.so" ]; then return; fi
  if ! command -v "$bin" > /dev/null; then
    printf '%s\t%s\t0\t%s\n' "run-$flavour" skip "no $bin" >> "$OUT/steps.tsv"
    printf '%-24s skip (no %s)\n' "run-$flavour" "$bin"
    return
  fi
  step "run-$flavour" "run-$flavour.log" "$bin" --plugin "$(with_opts "$OUT/plugin-$flavour.so")" \
    --threads "$THREADS" --duration "$DURATION" --progress never \
    --report "$OUT/report-$flavour.json"
  if [ -s "$OUT/report-$flavour.json" ]; then
    # shellcheck disable=SC2086
    step "verify-$flavour" "verify-$flavour.log" "$BPSTRESS" verify ${VERIFY_ARGS:-} \
      "$OUT/report-$flavour.json"
  fi
}
run_and_verify plain "$BPSTRESS"
run_and_verify asan "$BPSTRESS_ASAN"
run_and_verify tsan "$BPSTRESS_TSAN"

# 5. The HTML report of the plain run, and JUnit for the CI's test view.
if [ -s "$OUT/report-plain.json" ]; then
  "$BPSTRESS" report --html "$OUT/report.html" "$OUT/report-plain.json" > /dev/null 2>&1 ||
    echo "stress-my-pool.sh: the HTML report could not be written" >&2
fi
xml() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' |
        tr -d '\000-\010\013\014\016-\037'; }
{
  cases="" n=0 nfail=0 nskip=0
  while IFS=$'\t' read -r name status secs log; do
    n=$((n + 1))
    cases+="  <testcase classname=\"bpstress\" name=\"$name\" time=\"$secs\">"
    if [ "$status" = fail ]; then
      nfail=$((nfail + 1))
      cases+="<failure message=\"$name failed\">$(tail -c 4000 "$OUT/$log" | xml)</failure>"
    elif [ "$status" = skip ]; then
      nskip=$((nskip + 1))
      cases+="<skipped message=\"$(echo "$log" | xml)\"/>"
    fi
    cases+=$'</testcase>\n'
    # One test case per contract check as well: the line says what failed.
    if [ "$name" = contract ]; then
      while read -r cstatus cname cdetail; do
        n=$((n + 1))
        cases+="  <testcase classname=\"bpstress.contract\" name=\"$cname\" time=\"0\">"
        case $cstatus in
          fail) nfail=$((nfail + 1))
                cases+="<failure message=\"$(echo "$cdetail" | xml)\"/>" ;;
          skip) nskip=$((nskip + 1))
                cases+="<skipped message=\"$(echo "$cdetail" | xml)\"/>" ;;
        esac
        cases+=$'</testcase>\n'
      done < <(grep -E '^(pass|fail|skip)  ' "$OUT/$log")
    fi
  done < "$OUT/steps.tsv"
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuites><testsuite name=\"bpstress $(basename "$SRC")\" tests=\"$n\" failures=\"$nfail\" skipped=\"$nskip\">"
  printf '%s' "$cases"
  echo "</testsuite></testsuites>"
} > "$OUT/junit.xml"

if [ $failed = 0 ]; then
  echo "stress-my-pool.sh: $(basename "$SRC"): all steps passed (results in $OUT)"
else
  echo "stress-my-pool.sh: $(basename "$SRC"): FAILED (logs, reports and junit.xml in $OUT)"
fi
exit $failed
