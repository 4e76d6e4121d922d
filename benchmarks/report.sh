#!/usr/bin/env bash
# Regenerates everything in benchmarks/results/: the JMH runs side by side with the peers (with
# -prof gc), their tables and charts, and the policy simulator's tables, CSV and plots.
#
#   benchmarks/report.sh           # about 35 minutes on 2 cores (JMH ~30, simulator ~1)
#   benchmarks/report.sh --quick   # a few minutes: short JMH iterations at 100 endpoints only
#
# Timings on a shared or busy machine are noisy: compare within one run, not across runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=false
if [[ "${1:-}" == "--quick" ]]; then quick=true; fi

./mvnw -B -q -pl benchmarks -am package -DskipTests
jar=benchmarks/target/benchmarks.jar
out=benchmarks/results
mkdir -p "$out"

if $quick; then
  jmh_opts=(-f 1 -wi 1 -i 1 -w 300ms -r 500ms -p endpoints=100)
  sim_opts=(--quick)
else
  jmh_opts=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
  sim_opts=()
fi

java -jar "$jar" 'PickBenchmark|HashBenchmark|HashBuildBenchmark.build|MembershipBenchmark|BreakerBenchmark' \
  "${jmh_opts[@]}" -prof gc -rf json -rff "$out/jmh.json"
java -cp "$jar" dev.lb.benchmarks.JmhReport "$out/jmh.json" "$out" > /dev/null
java -cp "$jar" dev.lb.benchmarks.sim.Simulator "${sim_opts[@]}" --out "$out" > /dev/null
echo "wrote $out/jmh.md, $out/simulation.md, CSV and SVG plots"
