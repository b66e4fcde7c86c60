#!/usr/bin/env bash
# Fuzzes the pipeline's parsers with AFL++ (Debian's afl++ package) through SharpFuzz.
#
# Publishes tests/Fuzz, instruments the pipeline's own assemblies with SharpFuzz, and runs
# afl-fuzz on each target in turn from its committed corpus (tests/Fuzz/corpus/<target>).
# Before that, every committed input is replayed through its target without the fuzzer.
# Every input a target fails on (a property broken or an exception it does not expect) is a
# finding: it is replayed, printed with its stack, and the script exits non-zero.
#
#   bench/fuzz.sh                          every target, FUZZ_SECONDS (1200) each: about three hours
#   FUZZ_SECONDS=3 bench/fuzz.sh           a short run (./test.sh runs this)
#   TARGETS="proxy data" bench/fuzz.sh     some targets
#   SAVE_CORPUS=1 bench/fuzz.sh            adds what afl-fuzz found (up to 64 inputs per target) to the corpus
#
# Results: one line per target (inputs run, seconds, paths found, findings), also written to
# $FUZZ_OUT/summary.tsv (default /tmp/pipeline-fuzz).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/common.sh

seconds=${FUZZ_SECONDS:-1200}
out=${FUZZ_OUT:-/tmp/pipeline-fuzz}
apt_install afl++ || exit 1

rm -rf "$out" && mkdir -p "$out"
dotnet tool restore >/dev/null || { echo "could not restore the sharpfuzz tool" >&2; exit 1; }
# $out/plain stays as built, to replay findings: instrumented code only runs under afl-fuzz.
# BUILD_LOCK names a lock file to hold while building, for machines that build in parallel.
${BUILD_LOCK:+flock "$BUILD_LOCK"} dotnet publish tests/Fuzz -c Release -o "$out/plain" -nologo -v q -clp:ErrorsOnly >&2 || exit 1
cp -r "$out/plain" "$out/bin"
# Only our code is instrumented: coverage of the parsers, not of the runtime or the packages.
for assembly in Pipeline.Ingress Pipeline.Policy Pipeline.Delivery Pipeline.Infrastructure; do
  dotnet tool run sharpfuzz "$out/bin/$assembly.dll" >/dev/null || { echo "could not instrument $assembly" >&2; exit 1; }
done

fuzz=(dotnet "$out/bin/Pipeline.Fuzz.dll")
targets=${TARGETS:-$("${fuzz[@]}" --list)}
# dotnet is not an AFL binary (SharpFuzz speaks AFL's fork server protocol itself); no UI, no
# CPU governor or core-pattern checks, which a container or a shared machine cannot change.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export DOTNET_TieredPGO=0   # the same code for the same input, so AFL sees stable paths

# Every committed input first, in one process each, without the fuzzer: a regression input
# that fails again is a finding whatever afl-fuzz then does with it.
failed=0
for target in $targets; do
  dotnet "$out/plain/Pipeline.Fuzz.dll" "$target" --replay "tests/Fuzz/corpus/$target" >&2 || failed=1
done

printf 'target\tinputs\tseconds\tpaths\tfindings\n' > "$out/summary.tsv"
for target in $targets; do
  afl-fuzz -i "tests/Fuzz/corpus/$target" -o "$out/$target" -V "$seconds" -t 5000 -m none \
    -- "${fuzz[@]}" "$target" > "$out/$target.log" 2>&1
  stats="$out/$target/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$target: afl-fuzz did not run; see $out/$target.log" >&2; tail -n 20 "$out/$target.log" >&2; failed=1; continue
  fi
  stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  crashes=$(find "$out/$target/default/crashes" "$out/$target/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "$(stat execs_done)" "$(stat run_time)" "$(stat corpus_count)" "$crashes" >> "$out/summary.tsv"
  echo "$target: $(stat execs_done) inputs in $(stat run_time) s, $(stat corpus_count) paths, $crashes findings" >&2
  if [ "$crashes" -gt 0 ]; then
    failed=1
    mkdir -p "$out/findings/$target"
    cp "$out/$target/default/crashes/"id:* "$out/$target/default/hangs/"id:* "$out/findings/$target/" 2>/dev/null
    dotnet "$out/plain/Pipeline.Fuzz.dll" "$target" --replay "$out/findings/$target" >&2
  fi
  if [ -n "${SAVE_CORPUS:-}" ]; then
    find "$out/$target/default/queue" -maxdepth 1 -type f -name 'id:*' -size -4k | grep -v 'orig:' | head -n 64 |
      while read -r f; do cp "$f" "tests/Fuzz/corpus/$target/afl-$(sha1sum < "$f" | cut -c1-12)"; done
  fi
done
column -t "$out/summary.tsv" >&2
exit $failed
