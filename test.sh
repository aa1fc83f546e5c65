#!/usr/bin/env bash
# Runs every test of Hotline12351: installs missing prerequisites, builds once, runs each test project in turn
# (they start their own SQLite files, PostgreSQL, Redis, silos and Chromium), and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
bash scripts/install-prereqs.sh || exit 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results="TestResults"
rm -rf "$results" && mkdir -p "$results"
if ! dotnet build Hotline12351.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
passed=0; failed=0; skipped=0
summary="$results/failures.txt"; : > "$summary"
# Test projects only (tests/Hotline.Testing is the shared support library, not a test project).
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results/$name" 2>&1 | tee "$results/$name.log" | { grep -E "^\s+(Passed|Failed|Skipped) |Total tests|Passed!|Failed!|error" || true; }
  # PIPESTATUS of this pipeline itself (an "|| true" after it would replace it with true's): a crashed run counts.
  rc=${PIPESTATUS[0]}
  trx="$results/$name/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    t=$(echo "$counters" | sed -n 's/.* total="\([0-9]*\)".*/\1/p'); e=$(echo "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p')
    p=${p:-0}; f=${f:-0}; t=${t:-0}; e=${e:-0}
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
    # A crashed test host can leave a report with no failure in it: count the project as failed.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      failed=$((failed + 1)); echo "$name: test run exited $rc" | tee -a "$summary"
      tail -n 30 "$results/$name.log" >> "$summary"
    fi
    # Why a test failed, in the CI output itself (the filtered lines above name it only).
    if [ "$f" -gt 0 ]; then
      echo "--- failures of $name"
      grep -E -A40 "^\s+Failed " "$results/$name.log" | grep -v -E "^\s+Passed " | head -200
      # Repeated, shorter, in the summary at the end: CI keeps only the tail of the output.
      grep -E -A12 "^\s+Failed " "$results/$name.log" | grep -v -E "^\s+Passed " | head -60 >> "$summary"
    fi
  else
    echo "$name: no test report (exit $rc)" | tee -a "$summary"; failed=$((failed + 1))
    tail -n 30 "$results/$name.log" >> "$summary"
  fi
done
if [ -s "$summary" ]; then echo "=== what failed (details above under --- failures of)"; cat "$summary"; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
