#!/usr/bin/env bash
# Reruns every benchmark of BENCHMARKS.md in one go, on loopback only, each with its baseline in the same run.
# Results (JSON + Markdown per scenario) land in benchmarks/latest/. Bounded: roughly 25-30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/latest
mkdir -p "$out"
dotnet build -c Release tools/Hotline.LoadGen -nologo -clp:ErrorsOnly
dotnet build -c Release tools/Hotline.Bench -nologo -clp:ErrorsOnly
lg() { dotnet run -c Release --no-build --project tools/Hotline.LoadGen -- --spawn-silo --no-live --out "$out" "$@"; }

dotnet run -c Release --no-build --project tools/Hotline.Bench -- routing 100000 | tee "$out/routing-engine.md"
lg --scenario latency --pairs 20 --msg-rate 5 --duration 20 --warmup 30 --name a-latency-100
# Issue 14's figures: six alternated windows per side (platform, relay, relay, platform, ...), pooled.
lg --scenario latency --pairs 20 --msg-rate 20 --duration 20 --warmup 30 --rounds 6 --name a-latency-400
lg --scenario routing --rate 50,200 --duration 25 --lawyers 50 --capacity 10 --handle-mean 0.2 --name b-routing
lg --scenario erlang --servers 20 --erlangs 17 --handle-mean 2 --arrivals 8000 --epsilon 0.05 --name c-erlang-8000
# e: through a front vs combined (both in cluster mode on a spawned PostgreSQL + Redis), same run.
dotnet run -c Release --no-build --project tools/Hotline.LoadGen -- --scenario topology --no-live --out "$out" \
  --modes combined,front --pairs 20 --msg-rate 5 --duration 20 --warmup 3 --idle-connections 1000 --name e-topology
lg --scenario capacity --workers 300 --lawyers 60 --capacity 5 --senders 200 --duration 30 --warmup 30 --rounds 4 --name d-capacity-issue14
( ulimit -n 20000; lg --scenario capacity --workers 5000 --lawyers 200 --capacity 5 --senders 500 --duration 20 --name d-capacity )
HOTLINE_BENCH_ROUNDS=3 dotnet test tests/Hotline.Storage.Tests -c Release --filter Category=Benchmark --logger "console;verbosity=detailed" | grep -E "appends/s|ratio|per-op|group" | tee "$out/storage.txt"
