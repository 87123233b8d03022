#!/usr/bin/env bash
# Makes a Docker Engine answer on this machine, saying what it does first: nothing when an engine already answers
# (DOCKER_HOST's, or the local socket's); nothing but an error when DOCKER_HOST names another engine that does not
# answer (this script installs and starts only a local one); otherwise it installs Debian's docker.io when dockerd is
# missing, starts a root dockerd in the background when none runs, and waits until it answers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

docker_socket="/var/run/docker.sock"
wait_seconds="${FC_DOCKERD_WAIT_SECONDS:-60}"
dockerd_log="$FC_CACHE/dockerd.log"
engine="${DOCKER_HOST:-unix://$docker_socket}"

log() { echo "docker-engine: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  log "a Docker Engine answers on $engine; nothing to install or start"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$docker_socket" ]; then
  why="$( { docker info 2>&1 || true; } | grep -m1 -iE 'error|cannot' || true)"
  log "ERROR: DOCKER_HOST=$DOCKER_HOST names an engine that does not answer (${why:-no docker CLI to ask it})."
  log "This script installs and starts only a local engine, so it does neither: start that engine, or unset DOCKER_HOST to use a local one."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "ERROR: Docker Engine is missing and there is no apt-get to install Debian's docker.io: install Docker Engine, start it, and run again"
    exit 1
  fi
  mkdir -p "$FC_CACHE"
  install_log="$FC_CACHE/docker-install.log"
  log "no Docker Engine answers and dockerd is missing: installing Debian's docker.io with apt-get as root (log: $install_log)"
  if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io; } >"$install_log" 2>&1; then
    log "ERROR: installing docker.io failed ($(tail -n 1 "$install_log")): install Docker Engine yourself, or fix that and run again (full log: $install_log)"
    exit 1
  fi
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is running but not answering on $engine yet; waiting up to ${wait_seconds}s"
else
  mkdir -p "$FC_CACHE"
  log "no Docker Engine answers on $engine: starting a root dockerd in the background (log: $dockerd_log)"
  # setsid + nohup: the daemon must outlive this script and the shell that called it.
  as_root setsid nohup dockerd >>"$dockerd_log" 2>&1 </dev/null &
  disown || true
fi

for ((waited = 0; waited < wait_seconds; waited++)); do
  if docker info >/dev/null 2>&1; then
    log "the Docker Engine answers on $engine after ${waited}s"
    exit 0
  fi
  sleep 1
done

log "ERROR: no Docker daemon answered on $engine within ${wait_seconds}s."
log "Look at $dockerd_log (last lines below), fix the cause, and run this script again."
tail -n 20 "$dockerd_log" >&2 2>/dev/null || true
exit 1
