#!/usr/bin/env bash
# Runs every test against one real PostgreSQL and one real RabbitMQ shared by the whole run
# (each test class uses its own databases and virtual host). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/prereqs.sh || exit 1

dotnet build Aetherium.sln -nologo -v:q -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d /tmp/aetherium-test.XXXXXX)
dotnet tests/Aetherium.TestInfra/bin/Debug/net10.0/Aetherium.TestInfra.dll "$work/infra.env" > "$work/infra.log" 2>&1 &
infra=$!
cleanup() { kill -TERM "$infra" 2>/dev/null; wait "$infra" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  [ -f "$work/infra.env" ] && break
  kill -0 "$infra" 2>/dev/null || { cat "$work/infra.log"; echo "0 passed, 1 failed"; exit 1; }
  sleep 0.1
done
cat "$work/infra.log"
set -a; . "$work/infra.env"; set +a

# Test assemblies one after another (-m:1): the machine has 2 cores and several suites start services.
dotnet test Aetherium.sln --no-build -m:1 --logger "console;verbosity=normal" --logger "trx" \
  --results-directory "$work/results" -- RunConfiguration.TestSessionTimeout=3600000 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}

passed=$(grep -hoE '<Counters [^>]*' "$work"/results/*.trx 2>/dev/null | grep -oE ' passed="[0-9]+"' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -hoE '<Counters [^>]*' "$work"/results/*.trx 2>/dev/null | grep -oE ' failed="[0-9]+"' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
passed=${passed:-0}; failed=${failed:-0}
# The failed tests, each with its message and the end of its output, so the end of the log says what broke and why.
ls "$work"/results/*.trx > /dev/null 2>&1 && awk -f scripts/trx-failures.awk "$work"/results/*.trx
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # No test failed, yet dotnet test did: a crashed or aborted test host. Say which, and count it.
  grep -hoE '<ResultSummary outcome="[^"]*"' "$work"/results/*.trx 2>/dev/null | sort | uniq -c || true
  grep -nE 'Test Run Aborted|aborted|crashed|exited with error|Test Run Failed|error [A-Z]+[0-9]+:|No test is available' "$work/test.log" | head -20 || true
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
