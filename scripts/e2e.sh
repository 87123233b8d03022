#!/usr/bin/env bash
# The real end-to-end run, on both targets one after the other: set up this machine (toolchain, Docker Engine,
# local images; for kind, a kind cluster from infra/kubernetes/kind-cluster.yaml), then per target `pulumi up`,
# every fault of the verification in EXACTLY_ONCE mode (reports/e2e/<target>/faults.md), a broken restore that must
# be caught, the container logs under reports/, and `pulumi destroy` (and the cluster deleted) — also when a step
# fails. Stacks: "ci" (docker) and "ci-kind" (kind). E2E_TARGETS="docker" or "kind" runs one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
# This machine reaches no registry: the stacks run the local equivalents of the official images.
export FLINK_CHECKPOINTER_IMAGES=local
targets="${E2E_TARGETS:-docker kind}"
for target in $targets; do
  case "$target" in docker|kind) ;; *) echo "e2e: E2E_TARGETS has '$target'; allowed: docker, kind" >&2; exit 2 ;; esac
done
reports_root="reports/e2e"
rm -rf "$reports_root" && mkdir -p "$reports_root"

declare -a phases=()
phase() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  printf '\n=== e2e: %s\n' "$name"
  local rc=0
  "$@" || rc=$?
  phases+=("$(printf '%-44s %5d s  %s' "$name" $(( SECONDS - start )) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
  return $rc
}
summary() {
  printf '\n=== e2e phases\n'
  printf '%s\n' "${phases[@]}"
}

# --- what differs between the targets: where the stack's things live, how to list and log them ---------------

docker_label() { echo "flink-checkpointer.stack=flink-checkpointer-$stack"; }
leftovers() { # lines naming what of the stack is left
  if [ "$target" = docker ]; then
    local label; label="$(docker_label)"
    docker ps -a --filter "label=$label" --format 'container {{.Names}}'
    docker volume ls --filter "label=$label" --format 'volume {{.Name}}'
    docker network ls --filter "label=$label" --format 'network {{.Name}}'
  else
    if kubectl --context "$kube_context" get namespace "$namespace" >/dev/null 2>&1; then
      echo "namespace $namespace"
      kubectl --context "$kube_context" get pv --no-headers 2>/dev/null | awk -v ns="$namespace/" 'index($6, ns) == 1 { print "persistent volume " $1 " (" $6 ")" }'
    fi
    # The tags `kind load` was given to the stack's own images (<image>:<tag>-<image id>); the node's copies go
    # with the cluster. (The Kafka image's tag carries no stack name: another kind stack may share it.)
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E ":flink-checkpointer-$stack-[0-9a-f]{12}\$" | sed 's/^/image tag loaded into kind: /' || true
  fi
}

collect_logs() {
  if [ "$target" = docker ]; then
    for c in $(docker ps -a --filter "label=$(docker_label)" --format '{{.Names}}'); do
      docker logs "$c" >"$reports/$c.log" 2>&1 || true
    done
  else
    for p in $(kubectl --context "$kube_context" -n "$namespace" get pods -o name 2>/dev/null); do
      kubectl --context "$kube_context" -n "$namespace" logs --all-containers --prefix "$p" >"$reports/${p#pod/}.log" 2>&1 || true
      kubectl --context "$kube_context" -n "$namespace" logs --all-containers --prefix --previous "$p" >"$reports/${p#pod/}.previous.log" 2>/dev/null \
        || rm -f "$reports/${p#pod/}.previous.log"
    done
    kubectl --context "$kube_context" -n "$namespace" get events --sort-by=.lastTimestamp >"$reports/events.txt" 2>&1 || true
  fi
  echo "logs in $reports/"
}

destroy() {
  pulumi destroy --yes --skip-preview --non-interactive --stack "$stack"
  local left; left="$(leftovers)"
  if [ -n "$left" ]; then
    printf 'e2e: left after destroying stack %s:\n%s\n' "$stack" "$left" >&2
    return 1
  fi
  echo "nothing of stack $stack is left"
}

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

# `npm run checkpoints` on the checkpoints the faults left: every one listed, the newest complete one inspected (its
# Kafka source offsets, and the job as it is now able to restore it), and what `prune --keep 1` would remove.
checkpoint_tools() {
  local out="$reports/checkpoints"
  # Called in a condition, where `set -e` does not stop a function: each step says when it failed.
  npm run --silent checkpoints -- list --stack "$stack" | tee "$out-list.txt" | tail -n 12 || return 1
  # The stack's hashmap backend writes full checkpoints: each complete one shares nothing with another.
  grep -qE "^[0-9a-f]{32} +chk-[0-9]+ +yes .* no$" "$out-list.txt" \
    || { echo "e2e: the listing shows no complete checkpoint that shares no file, as the stack's hashmap backend writes them (see $out-list.txt)" >&2; return 1; }
  npm run --silent checkpoints -- inspect latest --stack "$stack" | tee "$out-inspect.txt" || return 1
  grep -q "^restore: the job as it is now can restore it" "$out-inspect.txt" \
    || { echo "e2e: the newest retained checkpoint is not restorable by the job as it is now (see $out-inspect.txt)" >&2; return 1; }
  grep -qE "^  visits-[0-9]+ +[0-9]+" "$out-inspect.txt" \
    || { echo "e2e: the inspection shows no Kafka source offset of the visits topic (see $out-inspect.txt)" >&2; return 1; }
  npm run --silent checkpoints -- prune --keep 1 --stack "$stack" | tee "$out-prune.txt" | tail -n 6 || return 1
  grep -q "dry run" "$out-prune.txt" || { echo "e2e: prune without --apply did not say it was a dry run" >&2; return 1; }
}

# --- one target, end to end ------------------------------------------------------------------------------------

# The target's stack from nothing: a run that died half-way leaves resources behind.
bring_up() {
  pulumi stack select --create "$stack" --non-interactive || return 1
  if [ "$(pulumi stack --stack "$stack" --show-urns 2>/dev/null | grep -c 'URN: ' || true)" -gt 1 ] || [ -n "$(leftovers)" ]; then
    phase "$target: clean up an earlier run" destroy || return 1
  fi
  phase "$target: pulumi up (stack $stack)" pulumi up --yes --skip-preview --non-interactive --stack "$stack"
}

check_target() {
  # The faults one after another on the one stack, in the stack's mode (EXACTLY_ONCE): cancel and restore first.
  # docker runs all but cancel-restore-latest, whose recovery command its jobmanager crashes run; kind those whose
  # injection or recovery is its own (pod deletes, Flink's Kubernetes HA, the recovery command in the JobManager's
  # pod, which HA otherwise spares): the rest differ from docker's only in what both targets share.
  local faults="cancel-restore,taskmanager-crash,jobmanager-crash,broker-restart,crash-during-checkpoint,rescale-down,rescale-up"
  [ "$target" = docker ] || faults="cancel-restore-latest,taskmanager-crash,jobmanager-crash,broker-restart"
  phase "$target: verify: fault matrix" npm run --silent verify -- --stack "$stack" --faults "$faults" --report "$reports/faults.json" || return 1

  if [ "$target" = docker ]; then
    # The reader that judged the output, against Kafka's own Java consumer in the broker's container: first on the
    # case kafkajs gets wrong (interleaved transactions aborted out of order, on a scratch topic), then on the job's
    # output. The reader does not depend on the target, so the docker run checks it.
    local kafka_container="flink-checkpointer-$stack-kafka" kafka_bootstrap
    kafka_bootstrap="$(pulumi stack output kafkaBootstrap --stack "$stack")"
    phase "$target: reader check: aborts out of order" npm run --silent reader-check -- --kafka-bootstrap "$kafka_bootstrap" \
      --docker-container "$kafka_container" || return 1
    phase "$target: reader check: the job's output" npm run --silent reader-check -- --kafka-bootstrap "$kafka_bootstrap" \
      --docker-container "$kafka_container" --topic visit_windows || return 1
  fi

  phase "$target: checkpoint tools on the run's checkpoints" checkpoint_tools || return 1

  phase "$target: verify: broken restore is caught" must_fail npm run --silent verify -- --stack "$stack" --restore-from-earliest \
    --report "$reports/verify-broken.json" || return 1
  if [ "$target" = docker ]; then
    # The benchmarks keep working: their miniatures on this stack (last, since they set its job aside for a while).
    phase "$target: bench smoke (throughput, latency, backlog, state)" npm run --silent bench -- --smoke --stack "$stack" \
      --reports "$reports/bench" || return 1
  fi
  # What a person would see: the HTML pages of the run (the matrix page checks every fault page it links to).
  phase "$target: report check: the pages in Chromium" npm run --silent report-check -- "$reports/faults.html" "$reports/verify-broken.html"
}

finish_target() {
  local rc=$1
  collect_logs || true
  phase "$target: pulumi destroy" destroy || rc=1
  if [ "$target" = kind ]; then
    # The cluster goes too: its node container, volumes, network and iptables rules (the script checks each).
    phase "kind: delete the cluster" bash scripts/kind-cluster.sh delete || rc=1
  fi
  return "$rc"
}

use_target() { # sets what the functions above read
  target=$1
  reports="$reports_root/$target"
  mkdir -p "$reports"
  if [ "$target" = docker ]; then
    stack=ci
  else
    stack=ci-kind
    kube_context=kind-flink-checkpointer
    namespace=flink-checkpointer
  fi
}

# --- the run -----------------------------------------------------------------------------------------------------

phase "setup (toolchain, docker, images)" bash scripts/setup.sh --local-images
phase "setup (browser for the report check)" bash scripts/browser.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

# Stops a process this script started and everything it started (pulumi, kind), children first, by PID.
kill_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

current=""       # the target whose stack may exist, to tear down on the way out
kind_pid=""      # the kind cluster and stack coming up in the background
overall=0
on_exit() {
  local rc=$?
  trap - EXIT
  if [ -n "$kind_pid" ]; then kill_tree "$kind_pid"; wait "$kind_pid" 2>/dev/null || true; fi
  # Interrupted inside a target: tear it down (and the kind cluster, if it was coming up) before reporting.
  if [ -n "$current" ]; then use_target "$current"; finish_target 1 || true; rc=1; fi
  if [ -n "$kind_pid" ] && [ "$current" != kind ]; then use_target kind; finish_target 1 || true; fi
  summary
  if [ "$rc" -eq 0 ]; then echo "e2e: passed ($targets)"; else echo "e2e: FAILED (exit $rc)"; fi
  exit "$rc"
}
trap on_exit EXIT

# The kind cluster and its stack come up in the background while docker's verification runs: about five minutes
# of building, image loading and waiting for pods that need not wait for it (after docker's `pulumi up`, which
# would only be slowed down). Its host ports (8081, 9094, fixed by the cluster's config) differ from the ci stack's.
kind_log="$reports_root/kind/bring-up.log"
start_kind_bring_up() {
  mkdir -p "$(dirname "$kind_log")"
  ( set -e
    use_target kind
    phases=()  # its own phases, printed at its end; the parent times the whole as one phase
    phase "kind: cluster setup (kind, node image)" bash scripts/setup.sh kind
    # A run killed half-way leaves its cluster behind (a stopped node after a restart): create keeps a healthy one
    # and refuses an unhealthy one, which this run, the cluster's owner, removes first.
    if bash scripts/kind-cluster.sh status 2>/dev/null | grep -q "NOT healthy"; then
      phase "kind: remove an earlier run's unhealthy cluster" bash scripts/kind-cluster.sh delete
    fi
    phase "kind: create the cluster" bash scripts/kind-cluster.sh create
    source scripts/env.sh  # setup wrote how this machine runs kind (provider, node image, PATH)
    bring_up
    summary ) >"$kind_log" 2>&1 &
  kind_pid=$!
  echo "e2e: the kind cluster and stack ci-kind are coming up in the background (log $kind_log)"
}
wait_kind() { wait "$kind_pid"; local status=$?; kind_pid=""; tail -n 40 "$kind_log"; return "$status"; }
with_kind=false
[[ " $targets " == *" kind "* ]] && with_kind=true
[[ " $targets " == *" docker "* ]] || { ! $with_kind || start_kind_bring_up; }

for next in $targets; do
  use_target "$next"
  current=$target
  rc=0
  if [ "$target" = kind ]; then
    [ -n "$kind_pid" ] || [ -f "$kind_log" ] || start_kind_bring_up
    phase "kind: cluster and pulumi up (in the background; waited for)" wait_kind || rc=1
    # setup wrote how this machine runs kind (provider, node image, PATH); kubectl and kind load need it now.
    source scripts/env.sh
  else
    bring_up || rc=1
    if $with_kind; then start_kind_bring_up; fi
  fi
  [ "$rc" -ne 0 ] || check_target || rc=1
  current=""
  finish_target "$rc" || overall=1
done
exit "$overall"
