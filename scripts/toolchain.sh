#!/usr/bin/env bash
# Builds the Pulumi toolchain the stack needs from Go modules into $FC_CACHE/toolchain/bin, which
# scripts/env.sh puts on PATH: the `pulumi` CLI, `pulumi-language-nodejs` (with its host of dynamic
# providers), and the providers `pulumi-resource-kubernetes` and `pulumi-resource-docker`, at the versions pinned in
# scripts/toolchain/versions.env (each wrapper module lives in scripts/toolchain/<name>/; the
# versions file says why each version and, for the Docker provider, why it is bridged here).
#
# Idempotent and cached: a binary already built from the same pins, wrapper files and Go version
# (its stamp) is kept; the Go build and module caches make a rebuild quick. A binary the user
# installed themselves (on PATH outside this cache, or a provider among Pulumi's plugins) is used
# as it is and nothing is built for it; FC_FORCE_TOOLCHAIN=1 builds ours all the same.
# Exits non-zero, naming module, version, command and error, when a piece cannot be provided.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
# shellcheck source=toolchain/versions.env
source "$here/toolchain/versions.env"

toolchain_dir="$FC_CACHE/toolchain"
bin_dir="$toolchain_dir/bin"
build_root="$toolchain_dir/build"
stamp_dir="$toolchain_dir/stamps"
log_dir="$toolchain_dir/logs"
force="${FC_FORCE_TOOLCHAIN:-0}"
plugins_dir="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
failed=()

log() { echo "toolchain: $*" >&2; }

case "$force" in
  0|1) ;;
  *) log "FC_FORCE_TOOLCHAIN is '$force'; allowed: 1 (build even when you have your own) or 0/unset"; exit 2 ;;
esac

mkdir -p "$bin_dir" "$build_root" "$stamp_dir" "$log_dir"
# Two runs at once would share build directories.
exec 9>"$toolchain_dir/lock"
if ! flock -n 9; then
  log "another toolchain build holds $toolchain_dir/lock; waiting for it"
  flock 9
fi

# Prints the path of a `name` binary the user installed, if any: on PATH outside our cache, or
# for a provider, in Pulumi's plugin directory (where `pulumi plugin install` puts it).
user_installed() {
  local name="$1" dir candidate
  local IFS=:
  for dir in $PATH; do
    [ "$dir" = "$bin_dir" ] && continue
    if [ -n "$dir" ] && [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
  done
  case "$name" in
    pulumi-resource-*)
      for candidate in "$plugins_dir/resource-${name#pulumi-resource-}-v"*/"$name"; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
      done ;;
  esac
  return 1
}

# Runs a command with its output appended to a log file, the command line first.
run_logged() {
  local logfile="$1"; shift
  printf '+ (cd %s &&' "$PWD" >>"$logfile"; printf ' %q' "$@" >>"$logfile"; printf ')\n' >>"$logfile"
  "$@" >>"$logfile" 2>&1
}

report_failure() {
  local name="$1" module="$2" version="$3" command="$4" logfile="$5"
  failed+=("$name")
  {
    echo "toolchain: FAILED: $name"
    echo "  module:  $module@$version"
    echo "  command: $command"
    echo "  error (last lines of $logfile):"
    tail -n 15 "$logfile" | sed 's/^/    /'
  } >&2
}

# Times one step of a build and prints its duration.
timed() {
  local what="$1"; shift
  local start=$SECONDS
  if "$@"; then
    log "  $what: $(( SECONDS - start )) s"
  else
    local status=$?
    log "  $what: failed after $(( SECONDS - start )) s"
    return "$status"
  fi
}

# Fails unless the wrapper module's go.mod requires exactly the pinned version of the module.
check_pin() {
  local module="$1" version="$2" wrapper="$3"
  if ! grep -Eq "(^|[[:space:]])${module//./\\.} ${version//./\\.}([[:space:]]|$)" go.mod; then
    echo "$wrapper/go.mod does not require $module at $version, the version scripts/toolchain/versions.env pins; change both together" >&2
    return 1
  fi
}

# The Kubernetes provider embeds a schema its own generate.go writes; the module zip has only
# the inputs, so they are copied next to our main package and generate.go runs there.
generate_kubernetes_schema() {
  local module_dir
  go mod download "$KUBERNETES_PROVIDER_MODULE" || return 1
  module_dir="$(go list -m -f '{{.Dir}}' "$KUBERNETES_PROVIDER_MODULE")" || return 1
  cp "$module_dir/cmd/pulumi-resource-kubernetes/schema.json" \
     "$module_dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" . || return 1
  chmod u+w schema.json terraform-mapping.json || return 1
  VERSION="$KUBERNETES_PROVIDER_RELEASE" go run "$module_dir/cmd/pulumi-resource-kubernetes/generate.go"
}

# The bridge imports the Terraform provider through a shim that has to live inside that
# provider's module (it imports an internal package): a build copy of the module gets _shim as
# its package shim. Then the schema generator is built and writes the schema the provider embeds.
generate_docker_schema() {
  local ldflags="$1" tags="$2" module_dir
  # Asked outside the wrapper module, whose replace points at the copy made here.
  module_dir="$(cd "$build_root" && GOFLAGS='' go mod download -json "$DOCKER_TF_PROVIDER_MODULE@$DOCKER_TF_PROVIDER_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || return 1
  [ -n "$module_dir" ] || { echo "no download of $DOCKER_TF_PROVIDER_MODULE@$DOCKER_TF_PROVIDER_VERSION" >&2; return 1; }
  cp -r "$module_dir" upstream && chmod -R u+w upstream || return 1
  mkdir -p upstream/shim && cp _shim/shim.go upstream/shim/shim.go || return 1
  go build -tags "$tags" -trimpath -ldflags "$ldflags" -o pulumi-tfgen-docker ./cmd/pulumi-tfgen-docker || return 1
  # Documentation is left out: turning its Terraform examples into Pulumi ones needs a pulumi CLI.
  ./pulumi-tfgen-docker schema --skip-docs --skip-examples --out cmd/pulumi-resource-docker
}

# build NAME WRAPPER MODULE VERSION PACKAGE VERSION_VAR VERSION_VALUE [TAGS] [PRE_BUILD_FUNCTION]
build() {
  local name="$1" wrapper="$here/toolchain/$2" module="$3" version="$4" package="$5"
  local version_var="$6" version_value="$7" tags="${8:-}" pre_build="${9:-}"
  local build_dir="$build_root/$name" logfile="$log_dir/$name.log" stamp="$stamp_dir/$name"
  local own key ldflags start=$SECONDS

  if [ "$force" != 1 ] && own="$(user_installed "$name")"; then
    log "$name: using yours at $own; not building"
    return 0
  fi

  ldflags="-s -w -X $version_var=$version_value"
  key="$(
    { echo "$module@$version $ldflags tags=$tags $(go env GOVERSION)"; cat "$here/toolchain/versions.env"
      (cd "$wrapper" && find . -type f -print0 | sort -z | xargs -0 sha256sum); } | sha256sum | cut -d' ' -f1
  )"
  if [ -x "$bin_dir/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    log "$name: up to date ($module@$version)"
    return 0
  fi

  log "$name: building from $module@$version (log: $logfile)"
  rm -rf "$build_dir" && mkdir -p "$build_dir" && cp -r "$wrapper"/. "$build_dir"/
  : >"$logfile"
  local build_cmd=(go build -tags "$tags" -trimpath -ldflags "$ldflags" -o "$build_dir/$name" "$package")
  (
    cd "$build_dir"
    timed "check pin" run_logged "$logfile" check_pin "$module" "$version" "$wrapper" || exit 10
    if [ -n "$pre_build" ]; then timed "$pre_build" run_logged "$logfile" "$pre_build" "$ldflags" "$tags" || exit 11; fi
    timed "go build" run_logged "$logfile" "${build_cmd[@]}" || exit 12
  ) || {
    local status=$? command
    case "$status" in
      10) command="check that $wrapper/go.mod requires $module $version" ;;
      11) command="$pre_build in $build_dir (its commands are in the log)" ;;
      *)  command="(cd $build_dir && GOFLAGS='$GOFLAGS' $(printf '%q ' "${build_cmd[@]}"))" ;;
    esac
    report_failure "$name" "$module" "$version" "$command" "$logfile"
    return 0
  }
  install -m 0755 "$build_dir/$name" "$bin_dir/$name.new" && mv -f "$bin_dir/$name.new" "$bin_dir/$name"
  # The copies and generated files are large; the Go caches make them quick to redo.
  rm -rf "$build_dir"
  echo "$key" >"$stamp"
  log "$name: built in $(( SECONDS - start )) s -> $bin_dir/$name"
}

if [ "$force" != 1 ]; then
  own_tools=()
  for tool in pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-docker; do
    own="$(user_installed "$tool")" && own_tools+=("$own")
  done
  if [ "${#own_tools[@]}" -eq 4 ]; then
    log "using your own Pulumi CLI and providers (${own_tools[*]}); nothing to build (FC_FORCE_TOOLCHAIN=1 builds ours)"
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  log "ERROR: Go is missing, and it builds the Pulumi CLI and providers here: install Go >= 1.26.6 (or the Pulumi CLI, pulumi-language-nodejs and the docker and kubernetes providers yourself) and run again"
  exit 1
fi
# -mod=mod: go may add the checksums a build copy needs to go.sum (the copy of the Terraform
# provider brings requirements of its own); the user's own flags are kept.
GOFLAGS="$(go env GOFLAGS)"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"

total_start=$SECONDS
log "building into $bin_dir with $(go env GOVERSION) (GOCACHE $(go env GOCACHE), GOMODCACHE $(go env GOMODCACHE))"

build pulumi pulumi "$PULUMI_CLI_MODULE" "$PULUMI_CLI_VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$PULUMI_CLI_VERSION"

build pulumi-language-nodejs language-nodejs "$PULUMI_LANGUAGE_NODEJS_MODULE" "$PULUMI_LANGUAGE_NODEJS_VERSION" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$PULUMI_LANGUAGE_NODEJS_VERSION"

build pulumi-resource-kubernetes kubernetes "$KUBERNETES_PROVIDER_MODULE" "$KUBERNETES_PROVIDER_VERSION" . \
  github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version "$KUBERNETES_PROVIDER_RELEASE" \
  "" generate_kubernetes_schema

# no_compose: leaves out the Terraform provider's docker_compose resource and its dependencies.
build pulumi-resource-docker docker "$DOCKER_BRIDGE_MODULE" "$DOCKER_BRIDGE_VERSION" ./cmd/pulumi-resource-docker \
  flink-checkpointer/toolchain/docker/bridge.Version "$DOCKER_PROVIDER_VERSION_STAMP" \
  no_compose generate_docker_schema

# Pulumi's host of dynamic providers (the kind target loads its images with one): a shell script of the
# SDK module that runs the project's own @pulumi/pulumi/cmd/dynamic-provider. Copied, nothing to build.
install_dynamic_provider_host() {
  local name=pulumi-resource-pulumi-nodejs module_dir
  module_dir="$(cd "$build_root" && GOFLAGS='' go mod download -json "$PULUMI_LANGUAGE_NODEJS_MODULE@$PULUMI_LANGUAGE_NODEJS_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$module_dir" ] || [ ! -f "$module_dir/nodejs/dist/$name" ]; then
    report_failure "$name" "$PULUMI_LANGUAGE_NODEJS_MODULE" "$PULUMI_LANGUAGE_NODEJS_VERSION" \
      "go mod download -json $PULUMI_LANGUAGE_NODEJS_MODULE@$PULUMI_LANGUAGE_NODEJS_VERSION (nodejs/dist/$name)" /dev/null
    return 0
  fi
  cmp -s "$module_dir/nodejs/dist/$name" "$bin_dir/$name" || install -m 0755 "$module_dir/nodejs/dist/$name" "$bin_dir/$name"
  log "$name: from $PULUMI_LANGUAGE_NODEJS_MODULE@$PULUMI_LANGUAGE_NODEJS_VERSION -> $bin_dir/$name"
}
install_dynamic_provider_host

log "done in $(( SECONDS - total_start )) s"
if [ "${#failed[@]}" -gt 0 ]; then
  log "could not provide: ${failed[*]} (details above; logs in $log_dir)"
  exit 1
fi
