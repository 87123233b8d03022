#!/usr/bin/env bash
# The kind cluster of the stack's kind target, from `kind create cluster --config
# infra/kubernetes/kind-cluster.yaml`, on any machine:
#   setup   what kind needs here: the setup program's kind group (`bash scripts/setup.sh kind`). With your own
#           `kind` and a Docker that runs privileged containers, nothing is built; otherwise kind runs on podman
#           with a node image built here (setup/pieces/kind.ts says what and why). Writes $FC_CACHE/kind/env
#           (provider, podman config, node image, PATH), which this script and scripts/env.sh source.
#   create  [--config FILE]  kind create cluster with that config (default: the project's), only
#           adapted by the env file; waits for the nodes, CoreDNS and local-path-provisioner.
#           An existing healthy cluster of that name is kept.
#   delete  [--config FILE]  deletes the cluster and checks that none of its containers, its podman
#           network or iptables rules remain.
#   status  [--config FILE]  what setup provided and the state of the cluster.
#   stop-node NODE   stops a node's container at once, as a machine that dies (the node-loss fault).
#   start-node NODE  starts it again and waits until it is Ready (on podman, after sync-hosts).
#   sync-hosts [--config FILE]  on podman: every node's /etc/hosts lists the others (see below).
#
# Podman here: its networks (CNI backend) resolve no container names, and a worker joins the cluster by the
# control-plane's name. So while kind creates the nodes, and whenever a node starts again (with a new address),
# this script writes every node's address into the other nodes' /etc/hosts. Docker's networks resolve names and
# need none of it.
set -euo pipefail

scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$scripts_dir")"
# shellcheck source=env.sh
source "$scripts_dir/env.sh"

env_file="$FC_CACHE/kind/env"
default_config="infra/kubernetes/kind-cluster.yaml"

log() { echo "kind-cluster: $*" >&2; }
die() { echo "kind-cluster: ERROR: $*" >&2; exit 1; }

# --- create / delete / status ----------------------------------------------------------------------

load_env() {
  # shellcheck disable=SC1090
  [ -f "$env_file" ] && source "$env_file"
  command -v kind >/dev/null 2>&1 || die "kind is not installed; run bash scripts/setup.sh kind"
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed; run bash scripts/setup.sh kind, or install it"
  provider="${KIND_EXPERIMENTAL_PROVIDER:-docker}"
}

# parse_config_arg ARGS...: sets config (the file) and cluster (its name).
parse_config_arg() {
  config="$default_config"
  while [ $# -gt 0 ]; do
    case "$1" in
      --config) [ $# -ge 2 ] || die "--config needs a file"; config="$2"; shift 2 ;;
      --config=*) config="${1#--config=}"; shift ;;
      *) die "unknown argument '$1'; allowed: --config FILE (default: $default_config)" ;;
    esac
  done
  [ -f "$config" ] || die "kind config '$config' does not exist (relative paths are from the repository root, $repo_root)"
  # The name kind gives the cluster: the config's top-level name, else kind's default.
  cluster="$(sed -n 's/^name:[[:space:]]*["'"'"']\{0,1\}\([a-z0-9.-]*\)["'"'"']\{0,1\}[[:space:]]*$/\1/p' "$config" | head -n 1)"
  if [ -z "$cluster" ]; then
    grep -q '^name:' "$config" && die "$config: cannot read its top-level 'name:' (allowed: lower-case letters, digits, '.' and '-')"
    cluster=kind
  fi
  context="kind-$cluster"
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$cluster"; }

cluster_healthy() {
  kubectl --context "$context" get nodes --no-headers 2>/dev/null | awk '$2 != "Ready" { bad = 1 } END { exit (NR == 0 || bad) }' \
    && kubectl --context "$context" -n kube-system get deployment coredns >/dev/null 2>&1 \
    && kubectl --context "$context" -n local-path-storage get deployment local-path-provisioner >/dev/null 2>&1
}

wait_ready() {
  local start=$SECONDS
  kubectl --context "$context" wait --for=condition=Ready node --all --timeout=180s >&2 \
    || die "the nodes of $cluster are not all Ready after 180 s (kubectl --context $context describe nodes)"
  kubectl --context "$context" -n kube-system rollout status deployment/coredns --timeout=180s >&2 \
    || die "CoreDNS of $cluster does not run (kubectl --context $context -n kube-system get pods)"
  kubectl --context "$context" -n local-path-storage rollout status deployment/local-path-provisioner --timeout=180s >&2 \
    || die "local-path-provisioner of $cluster does not run (kubectl --context $context -n local-path-storage get pods)"
  log "$(kubectl --context "$context" get nodes --no-headers | wc -l) nodes Ready, CoreDNS and local-path-provisioner running ($(( SECONDS - start )) s after kind create returned)"
}

# --- node names without DNS (podman's CNI networks resolve no container names) ---------------------

hosts_marker="# kind-cluster: a node of this cluster"

# Whether the nodes need their /etc/hosts kept: on podman, unless its network kind resolves names (podman's dnsname
# plugin; when the network does not exist yet, kind creates it as podman's defaults say, which here is without DNS).
hosts_need_sync() {
  [ "$provider" = podman ] || return 1
  ! { podman network exists kind 2>/dev/null && [ "$(podman network inspect kind | jq -r '.[0].dns_enabled')" = true ]; }
}

# The running nodes of $cluster as "IPv4 name" lines.
node_addresses() {
  local node address
  for node in $(podman ps --filter "label=io.x-k8s.kind.cluster=$cluster" --format '{{.Names}}'); do
    address="$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$node" 2>/dev/null || true)"
    [ -n "$address" ] && echo "$address $node"
  done
}

# Every running node's /etc/hosts lists the other nodes by name: the lines marked $hosts_marker are replaced, the
# file rewritten in place (podman bind-mounts it, and rewrites it without them when a node starts again).
sync_hosts() {
  local entries node
  entries="$(node_addresses)"
  [ -n "$entries" ] || return 0
  for node in $(echo "$entries" | cut -d' ' -f2); do
    echo "$entries" | podman exec -i "$node" sh -c '
      self="$(hostname)" marker="$1"
      kept="$(grep -vF "$marker" /etc/hosts)"
      { echo "$kept"; while read -r address name; do [ "$name" = "$self" ] || echo "$address $name $marker"; done; } >/etc/hosts.new
      cat /etc/hosts.new >/etc/hosts && rm -f /etc/hosts.new' sh "$hosts_marker" >/dev/null 2>&1 || true
  done
}

# Keeps the nodes' /etc/hosts in step while `kind create` (process $1) runs: it joins the workers once the
# control-plane is up, tens of seconds after the node containers started.
sync_hosts_while() {
  local pid="$1" last="" now
  while kill -0 "$pid" 2>/dev/null; do
    now="$(node_addresses | sort)"
    if [ -n "$now" ] && [ "$now" != "$last" ]; then sync_hosts; last="$now"; fi
    sleep 1
  done
}

create() {
  cd "$repo_root"
  parse_config_arg "$@"
  load_env
  if cluster_exists; then
    cluster_healthy || die "cluster $cluster exists but is not healthy (kubectl --context $context get nodes); scripts/kind-cluster.sh delete${config:+ --config $config} removes it"
    log "cluster $cluster exists and is healthy; kept"
  else
    local args=(create cluster --config "$config")
    if [ "$provider" = podman ]; then
      [ -n "${FC_KIND_NODE_IMAGE:-}" ] || die "KIND_EXPERIMENTAL_PROVIDER=podman but no FC_KIND_NODE_IMAGE; run bash scripts/setup.sh kind"
      podman image exists "$FC_KIND_NODE_IMAGE" || die "podman has no node image $FC_KIND_NODE_IMAGE; run bash scripts/setup.sh kind"
      args+=(--image "$FC_KIND_NODE_IMAGE")
      mkdir -p /lib/modules
    fi
    log "kind ${args[*]} (provider $provider)"
    local start=$SECONDS
    if hosts_need_sync; then
      kind "${args[@]}" &
      local kind_pid=$!
      sync_hosts_while "$kind_pid" &
      local sync_pid=$!
      wait "$kind_pid" || { wait "$sync_pid" || true; die "kind create cluster failed (see its output above)"; }
      wait "$sync_pid" || true
      sync_hosts
      log "the nodes' /etc/hosts list each other (podman's network kind resolves no names)"
    else
      kind "${args[@]}" || die "kind create cluster failed (see its output above)"
    fi
    log "kind create cluster: $(( SECONDS - start )) s"
    wait_ready
  fi
  kubectl --context "$context" get nodes
}

# Lines of iptables rules (legacy and nf_tables) that mention any of the given patterns.
iptables_lines_matching() {
  local save pattern_args=() pattern
  for pattern in "$@"; do [ -n "$pattern" ] && pattern_args+=(-e "$pattern"); done
  [ "${#pattern_args[@]}" -gt 0 ] || return 0
  for save in iptables-legacy-save iptables-nft-save ip6tables-legacy-save ip6tables-nft-save; do
    command -v "$save" >/dev/null 2>&1 || continue
    "$save" 2>/dev/null | grep -F "${pattern_args[@]}" | sed "s/^/$save: /" || true
  done
}

delete() {
  cd "$repo_root"
  parse_config_arg "$@"
  load_env
  local label="io.x-k8s.kind.cluster=$cluster" ids nodes node network_info="" subnets="" interface="" leftovers=()
  ids="$("$provider" ps -a --no-trunc --filter "label=$label" --format '{{.ID}}' 2>/dev/null || true)"
  # kind's podman provider gives each node a /var volume labelled with the node's name.
  nodes="$("$provider" ps -a --filter "label=$label" --format '{{.Names}}' 2>/dev/null || true)"
  if [ "$provider" = podman ] && podman network exists kind 2>/dev/null; then
    network_info="$(podman network inspect kind)"
    subnets="$(echo "$network_info" | jq -r '.[0].subnets[]?.subnet' | xargs)"
    interface="$(echo "$network_info" | jq -r '.[0].network_interface // empty')"
  fi
  local start=$SECONDS
  if cluster_exists || [ -n "$ids" ]; then
    kind delete cluster --name "$cluster" || die "kind delete cluster --name $cluster failed"
  else
    log "no cluster $cluster"
  fi
  # kind leaves its network for other clusters; with none left, podman's is removed too.
  if [ "$provider" = podman ] && podman network exists kind 2>/dev/null && [ -z "$(kind get clusters 2>/dev/null)" ] \
     && [ -z "$(podman ps -a --filter network=kind --format '{{.ID}}')" ]; then
    podman network rm kind >/dev/null || die "podman network rm kind failed"
    # Where podman has the CNI dnsname plugin, it opened DNS on the network's bridge with a rule nothing removes.
    if [ -n "$interface" ]; then
      local save
      for save in iptables-nft iptables-legacy; do
        command -v "$save" >/dev/null 2>&1 || continue
        while "$save" -C INPUT -i "$interface" -p udp -m udp --dport 53 -j ACCEPT 2>/dev/null; do
          "$save" -D INPUT -i "$interface" -p udp -m udp --dport 53 -j ACCEPT && log "removed the DNS rule of network kind's $interface ($save)"
        done
      done
    fi
  fi
  log "deleted in $(( SECONDS - start )) s; checking what is left"

  local line
  while read -r line; do [ -n "$line" ] && leftovers+=("container $line"); done \
    < <("$provider" ps -a --filter "label=$label" --format '{{.Names}} ({{.ID}})' 2>/dev/null)
  if [ "$provider" = podman ]; then
    for node in $nodes; do
      while read -r line; do [ -n "$line" ] && leftovers+=("podman volume $line (of node $node)"); done \
        < <(podman volume ls --filter "label=$node" --quiet)
    done
    local patterns=() id
    for id in $ids; do patterns+=("${id:0:12}"); done
    # The network serves all of kind's clusters: it, its interface and rules count once none is left.
    if [ -z "$(kind get clusters 2>/dev/null)" ]; then
      if podman network exists kind 2>/dev/null; then leftovers+=("podman network kind"); fi
      if [ -n "$interface" ] && ip link show "$interface" >/dev/null 2>&1; then leftovers+=("network interface $interface"); fi
      for line in $subnets; do patterns+=("$line"); done
      patterns+=("$interface")
    fi
    while read -r line; do [ -n "$line" ] && leftovers+=("iptables rule: $line"); done \
      < <(iptables_lines_matching "${patterns[@]}")
  fi
  if [ "${#leftovers[@]}" -gt 0 ]; then
    printf 'kind-cluster: left behind by cluster %s:\n' "$cluster" >&2
    printf '  %s\n' "${leftovers[@]}" >&2
    exit 1
  fi
  local checked="no container labelled $label"
  if [ "$provider" = podman ]; then
    checked+=", no volume of its nodes, no iptables rule of its containers"
    local others
    others="$(kind get clusters 2>/dev/null | xargs)"
    if [ -z "$others" ]; then checked+=", no podman network kind nor its interface or rules"
    else checked+="; podman network kind is kept for the other clusters ($others)"; fi
  fi
  log "nothing of $cluster is left: $checked"
}

status() {
  cd "$repo_root"
  parse_config_arg "$@"
  load_env
  echo "provider:   $provider$( [ -f "$env_file" ] || echo " (no $env_file: setup has not run)")"
  echo "kind:       $(command -v kind) ($(kind version))"
  echo "kubectl:    $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -n 1))"
  [ -n "${FC_KIND_NODE_IMAGE:-}" ] && echo "node image: $FC_KIND_NODE_IMAGE ($(podman image exists "$FC_KIND_NODE_IMAGE" && echo present || echo MISSING))"
  echo "clusters:   $(kind get clusters 2>/dev/null | xargs)"
  if cluster_exists; then
    echo "cluster $cluster (context $context): $(cluster_healthy && echo healthy || echo NOT healthy)"
    kubectl --context "$context" get nodes -o wide || true
    kubectl --context "$context" get pods -A || true
  else
    echo "cluster $cluster: not created"
  fi
}

# parse_node_arg NODE: sets node, and cluster and context from the node container's kind label.
parse_node_arg() {
  [ $# -eq 1 ] || die "give one node name (kind get nodes --name <cluster> lists them)"
  node="$1"
  cluster="$("$provider" inspect --format '{{ index .Config.Labels "io.x-k8s.kind.cluster" }}' "$node" 2>/dev/null || true)"
  [ -n "$cluster" ] || die "$node is no node of a kind cluster (provider $provider; kind get nodes --name <cluster> lists them)"
  context="kind-$cluster"
}

stop_node() {
  load_env
  parse_node_arg "$@"
  # No grace: the node's processes die with it, as on a machine that loses its power.
  "$provider" stop --time 0 "$node" >/dev/null || die "$provider stop $node failed"
  log "stopped node $node of cluster $cluster"
}

start_node() {
  load_env
  parse_node_arg "$@"
  local start=$SECONDS
  "$provider" start "$node" >/dev/null || die "$provider start $node failed"
  if hosts_need_sync; then sync_hosts; fi
  kubectl --context "$context" wait --for=condition=Ready "node/$node" --timeout=180s >/dev/null \
    || die "node $node is not Ready 180 s after it started (kubectl --context $context describe node $node)"
  log "node $node of cluster $cluster started and Ready in $(( SECONDS - start )) s"
}

sync_hosts_command() {
  cd "$repo_root"
  parse_config_arg "$@"
  load_env
  if hosts_need_sync; then
    sync_hosts
    node_addresses
  else
    log "the nodes of $cluster resolve each other's names (provider $provider): nothing to sync"
  fi
}

case "${1:-}" in
  setup) shift; [ $# -eq 0 ] || die "setup takes no arguments (FC_KIND_PODMAN=1 builds for podman even with a Docker that runs kind)"
    exec bash "$scripts_dir/setup.sh" kind ;;
  create) shift; create "$@" ;;
  delete) shift; delete "$@" ;;
  status) shift; status "$@" ;;
  stop-node) shift; stop_node "$@" ;;
  start-node) shift; start_node "$@" ;;
  sync-hosts) shift; sync_hosts_command "$@" ;;
  *) die "unknown command '${1:-}'; allowed: setup, create [--config FILE], delete [--config FILE], status [--config FILE], stop-node NODE, start-node NODE, sync-hosts [--config FILE]" ;;
esac
