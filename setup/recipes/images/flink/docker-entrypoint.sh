#!/usr/bin/env bash
# Entrypoint of the local Flink image, with the interface of the official flink image:
#   jobmanager | taskmanager | standalone-job | history-server [args...]
#       write the configuration, then run that Flink process in the foreground, logging to the console;
#   help      print this usage;
#   anything else runs as given (after the configuration is written).
# Configuration, applied on top of conf/config.yaml (or a legacy conf/flink-conf.yaml) with Flink's own
# configuration tool, later entries winning:
#   jobmanager.rpc.address from JOB_MANAGER_RPC_ADDRESS (default: this container's host name),
#   taskmanager.numberOfTaskSlots from TASK_MANAGER_NUMBER_OF_TASK_SLOTS (if set),
#   then every `key: value` line of FLINK_PROPERTIES (values may use ${VAR} environment references).
# Started as root it drops to the flink user (uid 9999); started as any other user it runs as that user.
set -euo pipefail

flink_home="${FLINK_HOME:-/opt/flink}"
conf_dir="${FLINK_CONF_DIR:-$flink_home/conf}"

die() { echo "docker-entrypoint: ERROR: $*" >&2; exit 1; }

usage() {
  cat <<USAGE
Usage: $(basename "$0") (jobmanager|taskmanager|standalone-job|history-server) [args...]
   or: $(basename "$0") help
   or: $(basename "$0") <command> [args...]   (runs the command, e.g. flink run -py job.py)
Configuration: FLINK_PROPERTIES (newline-separated 'key: value'), JOB_MANAGER_RPC_ADDRESS,
TASK_MANAGER_NUMBER_OF_TASK_SLOTS.
USAGE
}

trim() {
  local text="$1"
  text="${text#"${text%%[![:space:]]*}"}"
  echo "${text%"${text##*[![:space:]]}"}"
}

declare -A option_values=()
option_keys=()
set_option() {
  [[ -v "option_values[$1]" ]] || option_keys+=("$1")
  option_values[$1]="$2"
}

write_configuration() {
  set_option jobmanager.rpc.address "${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}"
  set_option blob.server.port 6124
  set_option query.server.port 6125
  if [ -n "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS:-}" ]; then
    set_option taskmanager.numberOfTaskSlots "$TASK_MANAGER_NUMBER_OF_TASK_SLOTS"
  fi

  local line key value
  while IFS= read -r line; do
    line="$(trim "$line")"
    [ -n "$line" ] && [[ "$line" != \#* ]] || continue
    [[ "$line" == *:* ]] || die "FLINK_PROPERTIES line '$line' is not of the form 'key: value'"
    key="$(trim "${line%%:*}")"
    value="$(trim "${line#*:}")"
    [ -n "$key" ] || die "FLINK_PROPERTIES line '$line' has an empty key; expected 'key: value'"
    set_option "$key" "$(envsubst <<<"$value")"
  done <<<"${FLINK_PROPERTIES:-}"

  # A user other than the owner of the configuration (an arbitrary uid) works on a private copy.
  if [ ! -w "$conf_dir" ]; then
    local private_conf_dir
    private_conf_dir="$(mktemp -d /tmp/flink-conf.XXXXXX)"
    cp -a "$conf_dir/." "$private_conf_dir/"
    echo "Configuration folder $conf_dir is not writable by uid $(id -u); using a copy in $private_conf_dir" >&2
    conf_dir="$private_conf_dir"
    export FLINK_CONF_DIR="$conf_dir"
  fi

  local dynamic_options=()
  echo "Configuration applied on top of $conf_dir:" >&2
  for key in "${option_keys[@]}"; do
    echo "  $key: ${option_values[$key]}" >&2
    dynamic_options+=("-D$key=${option_values[$key]}")
  done
  "$flink_home/bin/config-parser-utils.sh" "$conf_dir" "$flink_home/bin" "$flink_home/lib" "${dynamic_options[@]}" \
    || die "Flink could not apply the configuration above to $conf_dir"
}

# Replaces this shell with "$@", as the flink user when started as root.
run_as_flink() {
  if [ "$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=flink --regid=flink --init-groups env HOME="$flink_home" "$@"
  fi
  exec "$@"
}

command="${1:-help}"
if [ "$command" = help ]; then
  usage
  exit 0
fi

write_configuration

case "$command" in
  jobmanager)     shift; echo "Starting Job Manager";      run_as_flink "$flink_home/bin/jobmanager.sh" start-foreground "$@" ;;
  taskmanager)    shift; echo "Starting Task Manager";     run_as_flink "$flink_home/bin/taskmanager.sh" start-foreground "$@" ;;
  standalone-job) shift; echo "Starting Job Manager (application mode)"; run_as_flink "$flink_home/bin/standalone-job.sh" start-foreground "$@" ;;
  history-server) shift; echo "Starting History Server";   run_as_flink "$flink_home/bin/historyserver.sh" start-foreground "$@" ;;
  *)              run_as_flink "$@" ;;
esac
