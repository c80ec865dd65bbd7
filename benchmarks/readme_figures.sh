#!/usr/bin/env bash
# The figures of the README's "Idle and under load" tables, in one run: each benchmark
# idle and with one competing busy process (--load 1), medians of three runs, the load
# average logged before each block. Run it on an otherwise idle machine with a warm
# Numba cache (the first-run block empties its own); it takes about six minutes.
#   bash benchmarks/readme_figures.sh > results.txt 2>&1
set -uo pipefail
cd "$(dirname "$0")/.."
P=${PYTHON:-python3}
log() { echo "=== $1 $(date +%T) $(uptime | sed 's/.*load/load/')"; }
log first_run; $P benchmarks/bench_first_run.py --runs 3 --warm
for r in 1 2 3; do log "render idle $r"; $P benchmarks/bench_render.py --sizes 1024 --frames 10 --models bunny BrainStem FlightHelmet; done
for r in 1 2 3; do log "render load1 $r"; $P benchmarks/bench_render.py --sizes 1024 --frames 10 --models bunny BrainStem FlightHelmet --load 1; done
log pbr; $P benchmarks/bench_pbr.py --size 1024 --frames 8 --runs 3
for r in 1 2 3; do log "e2e idle $r"; $P -m holopack bench --device 3dcircle-42f2 --frames 60; done
for r in 1 2 3; do log "e2e load1 $r"; $P -m holopack bench --device 3dcircle-42f2 --frames 60 --load 1; done
log library; $P benchmarks/bench_library.py
log key; $P benchmarks/bench_key.py
log preview; xvfb-run -a -s "-screen 0 1280x720x24" $P benchmarks/bench_preview.py --compare-load 1 --repeat 3
log done
