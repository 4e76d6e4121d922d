#!/usr/bin/env bash
# Regenerates everything in benchmarks/results/: the JMH runs side by side with the peers (with
# -prof gc), their tables and charts, and the policy simulator's tables, CSV and plots.
#
#   benchmarks/report.sh           # about 60 minutes on 2 cores (JMH ~55, simulator ~1)
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

# Three JMH runs, one result file each; JmhReport merges them into one report.
java -jar "$jar" 'PickBenchmark' "${jmh_opts[@]}" -prof gc -rf json -rff "$out/jmh-pick.json"
# The weighted strategies again with equal weights, where they take the uniform path that the
# peers which ignore weights always take; 100 endpoints.
java -jar "$jar" 'PickBenchmark' "${jmh_opts[@]}" -p endpoints=100 -p weights=equal \
  -p type=LB_ROUND_ROBIN,LB_WEIGHTED_ROUND_ROBIN,LB_RANDOM,LB_WEIGHTED_RANDOM,LB_P2C,LB_PEAK_EWMA,GRPC_LEAST_REQUEST,ARMERIA_WEIGHTED_ROUND_ROBIN \
  -prof gc -rf json -rff "$out/jmh-equal-weights.json"
java -jar "$jar" 'HashBenchmark|HashBuildBenchmark.build|MembershipBenchmark|BreakerBenchmark' \
  "${jmh_opts[@]}" -prof gc -rf json -rff "$out/jmh.json"
java -cp "$jar" dev.lb.benchmarks.JmhReport \
  "$out/jmh-pick.json" "$out/jmh-equal-weights.json" "$out/jmh.json" "$out" > /dev/null
java -cp "$jar" dev.lb.benchmarks.sim.Simulator "${sim_opts[@]}" --out "$out" > /dev/null
echo "wrote $out/jmh.md, $out/simulation.md, CSV and SVG plots"
