#!/bin/sh
# Run one harness for a total wall time, restarting it after each finding so that one
# crash does not end the run. Findings (crash-*, timeout-*, oom-*) and the grown corpus
# go to WORKDIR, outside the repository; the committed seeds are only read.
#   sh fuzz/run_harness.sh profile 1800 /tmp/holopack-fuzz
set -u
harness=$1; total=$2; work=$3/$harness
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python}
mkdir -p "$work/corpus" "$work/artifacts"
start=$(date +%s)
while :; do
    left=$(( total - ($(date +%s) - start) ))
    [ "$left" -le 5 ] && break
    (cd "$here" && "$python" "fuzz_$harness.py" -max_total_time="$left" -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "$here/corpus/$harness") >> "$work/log" 2>&1
    echo "=== exit $? at $(date -u +%H:%M:%S)" >> "$work/log"
done
echo "=== finished" >> "$work/log"
