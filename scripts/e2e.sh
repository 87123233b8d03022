#!/usr/bin/env bash
# The real end-to-end run: set up this machine (toolchain, Docker Engine, local images), `pulumi up` the docker
# target (stack "ci"), run every fault of the verification in EXACTLY_ONCE mode (reports/e2e/faults.md), prove a
# broken restore is caught, keep every container's log under reports/, and `pulumi destroy` — also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${STACK:-ci}"
reports="reports/e2e"
label="flink-checkpointer.stack=flink-checkpointer-$stack"
rm -rf "$reports" && mkdir -p "$reports"

declare -a phases=()
phase() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  printf '\n=== e2e: %s\n' "$name"
  local rc=0
  "$@" || rc=$?
  phases+=("$(printf '%-34s %5d s  %s' "$name" $(( SECONDS - start )) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
  return $rc
}
summary() {
  printf '\n=== e2e phases\n'
  printf '%s\n' "${phases[@]}"
}

leftovers() {
  { docker ps -aq --filter "label=$label"; docker volume ls -q --filter "label=$label"; docker network ls -q --filter "label=$label"; } | wc -l
}

collect_logs() {
  for c in $(docker ps -a --filter "label=$label" --format '{{.Names}}'); do
    docker logs "$c" >"$reports/$c.log" 2>&1 || true
  done
  echo "container logs in $reports/"
}

destroy() {
  pulumi destroy --yes --skip-preview --non-interactive --stack "$stack"
  local n; n=$(leftovers)
  if [ "$n" -ne 0 ]; then
    echo "e2e: $n containers, volumes or networks labelled $label remain after destroy:" >&2
    docker ps -a --filter "label=$label"; docker volume ls --filter "label=$label"; docker network ls --filter "label=$label"
    return 1
  fi
  echo "no container, volume or network of the stack is left"
}

phase "setup (toolchain, docker, images)" bash scripts/setup.sh --local-images
# shellcheck source=scripts/env.sh
source scripts/env.sh
pulumi stack select --create "$stack" --non-interactive

# A run that died half-way leaves resources behind; start from nothing.
if [ "$(pulumi stack --stack "$stack" --show-urns 2>/dev/null | grep -c 'docker:index/container:Container' || true)" -gt 0 ] || [ "$(leftovers)" -gt 0 ]; then
  phase "clean up an earlier run" destroy
fi

finish() {
  local rc=$?
  trap - EXIT
  collect_logs || true
  phase "pulumi destroy" destroy || rc=1
  summary
  if [ $rc -eq 0 ]; then echo "e2e: passed"; else echo "e2e: FAILED (exit $rc)"; fi
  exit $rc
}
trap finish EXIT

phase "pulumi up (stack $stack)" pulumi up --yes --skip-preview --non-interactive --stack "$stack"
# Every fault one after another on the one stack, in the stack's mode (EXACTLY_ONCE): cancel and restore first.
phase "verify: fault matrix" npm run --silent verify -- --stack "$stack" --faults all --report "$reports/faults.json"

# The reader that judged the output, against Kafka's own Java consumer in the broker's container: first on the case
# kafkajs gets wrong (interleaved transactions aborted out of order, on a scratch topic), then on the job's output.
kafka_container="flink-checkpointer-$stack-kafka"
kafka_bootstrap="$(pulumi stack output kafkaBootstrap --stack "$stack")"
phase "reader check: aborts out of order" npm run --silent reader-check -- --kafka-bootstrap "$kafka_bootstrap" --docker-container "$kafka_container"
phase "reader check: the job's output" npm run --silent reader-check -- --kafka-bootstrap "$kafka_bootstrap" --docker-container "$kafka_container" --topic visit_windows

# The checks must be able to fail: a resubmission from earliest offsets, without the checkpoint, has to be caught.
must_fail() {
  local rc=0
  "$@" || rc=$?
  case $rc in
    1) echo "e2e: the verification failed its checks, as it must (exit 1)" ;;
    0) echo "e2e: the verification passed a restore from earliest offsets; its checks cannot fail" >&2; return 1 ;;
    *) echo "e2e: the broken-restore verification could not complete (exit $rc), so it proved nothing" >&2; return 1 ;;
  esac
}
phase "verify: broken restore is caught" must_fail npm run --silent verify -- --stack "$stack" --restore-from-earliest \
  --report "$reports/verify-broken.json"
