#!/usr/bin/env bash
# The kind cluster of the stack's kind target, from `kind create cluster --config
# infra/kubernetes/kind-cluster.yaml`, on any machine:
#   setup   provides kind and what it needs. With your own `kind` and a Docker that runs privileged
#           containers, nothing is built (without a kind of yours, only kind is built). Otherwise
#           (a Docker that cannot run kind's privileged node containers, no Docker, or
#           FC_KIND_PODMAN=1) kind runs on podman with a node image built here from Debian packages
#           and Go modules, as no registry may serve kind's node image nor the Kubernetes images:
#           kind, kubectl, Kubernetes, etcd, CoreDNS, local-path-provisioner, pause and busybox at
#           the versions of scripts/kind/versions.env. Writes $FC_CACHE/kind/env (provider, podman
#           config, node image, PATH), which this script and scripts/env.sh source.
#   create  [--config FILE]  kind create cluster with that config (default: the project's), only
#           adapted by the env file; waits for the node, CoreDNS and local-path-provisioner.
#           An existing healthy cluster of that name is kept.
#   delete  [--config FILE]  deletes the cluster and checks that none of its containers, its podman
#           network or iptables rules remain.
#   status  [--config FILE]  what setup provided and the state of the cluster.
# Idempotent and cached under $FC_CACHE/kind: each piece carries a stamp of its inputs and is
# rebuilt only when they change (logs in $FC_CACHE/kind/logs).
set -euo pipefail

scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$scripts_dir")"
recipes_dir="$scripts_dir/kind"
# shellcheck source=env.sh
source "$scripts_dir/env.sh"
# shellcheck source=kind/versions.env
source "$recipes_dir/versions.env"

kind_dir="$FC_CACHE/kind"
bin_dir="$kind_dir/bin"
out_dir="$kind_dir/out"
work_dir="$kind_dir/work"
stamp_dir="$kind_dir/stamps"
log_dir="$kind_dir/logs"
env_file="$kind_dir/env"
containers_conf="$kind_dir/containers.conf"
node_image="localhost/flink-checkpointer-local/kind-node:$KUBERNETES_VERSION"
inputs_label="org.flink-checkpointer.inputs-hash"
default_config="infra/kubernetes/kind-cluster.yaml"
# Debian packages of the node: kind's base image's list without the rootless, NFS and iSCSI
# extras, plus the container runtime and CNI plugins kind compiles for its own image.
node_packages="systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins"
kube_proxy_packages="iptables,conntrack"
host_packages=(podman runc debootstrap gcc libc6-dev jq iptables)

log() { echo "kind-cluster: $*" >&2; }
die() { echo "kind-cluster: ERROR: $*" >&2; exit 1; }

sha() { sha256sum | cut -d' ' -f1; }
# Hash of every file in a directory, by relative path and content.
dir_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha; }
stamp_of() { cat "$stamp_dir/$1" 2>/dev/null || true; }

# --- pieces: cached builds with input stamps ---------------------------------------------------

# piece NAME KEY OUTPUT...: runs build_NAME (its output goes to $log_dir/NAME.log) unless the stamp
# of NAME equals KEY and every OUTPUT exists. A failure names the piece and shows its log's end.
piece() {
  local name="$1" key="$2"; shift 2
  local output missing=0 logfile="$log_dir/$name.log" start=$SECONDS status
  for output in "$@"; do [ -e "$output" ] || missing=1; done
  if [ "$missing" = 0 ] && [ "$(stamp_of "$name")" = "$key" ]; then
    log "$name: up to date"
    return 0
  fi
  log "$name: building (log: $logfile)"
  rm -f "$stamp_dir/$name"
  : >"$logfile"
  set +e
  ( set -euo pipefail; "build_${name//-/_}" ) </dev/null >>"$logfile" 2>&1
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    {
      echo "kind-cluster: FAILED: $name (exit $status after $(( SECONDS - start )) s); last lines of $logfile:"
      tail -n 20 "$logfile" | sed 's/^/    /'
    } >&2
    return 1
  fi
  echo "$key" >"$stamp_dir/$name"
  log "$name: built in $(( SECONDS - start )) s"
}

go_flags() { echo "$(go env GOFLAGS) -mod=readonly"; }

# The directory of a module version in the Go module cache, downloaded if needed.
module_dir() {
  local dir
  dir="$(cd "$work_dir" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] || { echo "the Go module proxy gave no download of $1" >&2; return 1; }
  echo "$dir"
}

# Fails unless the wrapper module's go.mod requires exactly the pinned version.
check_pin() {
  local wrapper="$1" module="$2" version="$3"
  grep -Eq "(^|[[:space:]])${module//./\\.} ${version//./\\.}([[:space:]]|$)" "$recipes_dir/$wrapper/go.mod" \
    || { echo "scripts/kind/$wrapper/go.mod does not require $module $version as scripts/kind/versions.env pins; change both together" >&2; return 1; }
}

kubernetes_binaries=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)

kubernetes_ldflags() {
  local minor="${KUBERNETES_VERSION#v1.}" flags="-s -w" package
  minor="${minor%%.*}"
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $package.gitVersion=$KUBERNETES_VERSION -X $package.gitMajor=1 -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
  done
  echo "$flags"
}

build_kind() {
  GOFLAGS="$(go env GOFLAGS)" GOBIN="$work_dir/kind-bin" CGO_ENABLED=0 \
    nice -n 19 go install -trimpath -ldflags "-s -w" "$KIND_MODULE@$KIND_VERSION"
  install -m 0755 "$work_dir/kind-bin/kind" "$bin_dir/kind"
  rm -rf "$work_dir/kind-bin"
}

build_kubernetes() {
  local staging="${KUBERNETES_VERSION/#v1./v0.}" binary packages=()
  check_pin kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION"
  [ "$(grep -c "=> k8s.io/[a-z-]* $staging\$" "$recipes_dir/kubernetes/go.mod")" = 31 ] \
    || { echo "scripts/kind/kubernetes/go.mod must replace the 31 staging modules with $staging" >&2; return 1; }
  for binary in "${kubernetes_binaries[@]}"; do packages+=("k8s.io/kubernetes/cmd/$binary"); done
  rm -rf "$out_dir/kubernetes.partial" && mkdir -p "$out_dir/kubernetes.partial"
  (cd "$recipes_dir/kubernetes" && GOFLAGS="$(go_flags)" CGO_ENABLED=0 \
    nice -n 19 go build -trimpath -ldflags "$(kubernetes_ldflags)" -o "$out_dir/kubernetes.partial/" "${packages[@]}")
  rm -rf "$out_dir/kubernetes" && mv "$out_dir/kubernetes.partial" "$out_dir/kubernetes"
  install -m 0755 "$out_dir/kubernetes/kubectl" "$bin_dir/kubectl"
}

build_etcd() {
  check_pin etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  mkdir -p "$out_dir/etcd"
  (cd "$recipes_dir/etcd" && GOFLAGS="$(go_flags)" CGO_ENABLED=0 \
    nice -n 19 go build -trimpath -ldflags "-s -w" -o "$out_dir/etcd/etcd.partial" go.etcd.io/etcd/server/v3)
  mv "$out_dir/etcd/etcd.partial" "$out_dir/etcd/etcd"
}

# go install MODULE@VERSION into $out_dir/NAME (modules whose go.mod has no replace directives).
go_install_into() {
  local name="$1" module="$2" version="$3"
  rm -rf "$out_dir/$name.partial"
  GOFLAGS="$(go env GOFLAGS)" GOBIN="$out_dir/$name.partial" CGO_ENABLED=0 \
    nice -n 19 go install -trimpath -ldflags "-s -w" "$module@$version"
  rm -rf "${out_dir:?}/$name" && mv "$out_dir/$name.partial" "$out_dir/$name"
}

build_coredns() { go_install_into coredns "$COREDNS_MODULE" "$COREDNS_VERSION"; }
build_local_path_provisioner() {
  go_install_into local-path-provisioner "$LOCAL_PATH_PROVISIONER_MODULE" "$LOCAL_PATH_PROVISIONER_VERSION"
}

# Kubernetes' own pause, from the k8s.io/kubernetes module, as its Makefile builds it.
build_pause() {
  local source_dir
  source_dir="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")/build/pause/linux"
  mkdir -p "$out_dir/pause"
  nice -n 19 gcc -Os -Wall -Werror -static -DVERSION="$PAUSE_IMAGE_TAG" -o "$out_dir/pause/pause.partial" "$source_dir/pause.c"
  mv "$out_dir/pause/pause.partial" "$out_dir/pause/pause"
}

busybox_version() { apt-cache show --no-all-versions busybox-static 2>/dev/null | sed -n 's/^Version: //p'; }

build_busybox() {
  rm -rf "$work_dir/busybox" && mkdir -p "$work_dir/busybox" "$out_dir/busybox"
  (cd "$work_dir/busybox" && apt-get download "busybox-static=$(busybox_version)")
  dpkg-deb -x "$work_dir"/busybox/busybox-static_*.deb "$work_dir/busybox/root"
  install -m 0755 "$work_dir/busybox/root/bin/busybox" "$out_dir/busybox/busybox"
  rm -rf "$work_dir/busybox"
}

# debootstrap NAME PACKAGES: a minbase Debian root filesystem in $work_dir/NAME (debs cached).
debootstrap_into() {
  local rootfs="$work_dir/$1"
  rm -rf "$rootfs"
  mkdir -p "$kind_dir/debootstrap-debs"
  nice -n 19 debootstrap --variant=minbase --include="$2" --cache-dir="$kind_dir/debootstrap-debs" \
    "$DEBIAN_SUITE" "$rootfs"
}

# Packs $work_dir/NAME into $out_dir/rootfs/NAME.tar, without the packages' archives, apt lists
# and documentation, and removes the directory.
pack_rootfs() {
  local rootfs="$work_dir/$1"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
  mkdir -p "$out_dir/rootfs"
  tar -C "$work_dir/$1" --numeric-owner -cf "$out_dir/rootfs/$1.tar.partial" .
  mv "$out_dir/rootfs/$1.tar.partial" "$out_dir/rootfs/$1.tar"
  rm -rf "${work_dir:?}/$1"
}

build_kube_proxy_rootfs() {
  local rootfs="$work_dir/kube-proxy-rootfs"
  debootstrap_into kube-proxy-rootfs "$kube_proxy_packages"
  # kind's node entrypoint picks legacy iptables in the node's fresh network namespace (it has
  # no rules of either kind yet); kube-proxy runs in that namespace and must use the same.
  chroot "$rootfs" update-alternatives --set iptables /usr/sbin/iptables-legacy
  chroot "$rootfs" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
  pack_rootfs kube-proxy-rootfs
}

# The node's Debian packages only; kind's files are added with the rest in build_node_image, so a
# change of those is quick.
build_node_rootfs() {
  debootstrap_into node-rootfs "$node_packages"
  pack_rootfs node-rootfs
}

# --- images: docker-archive tars made without any registry or image builder ---------------------

image_arch() { dpkg --print-architecture; }

# image_archive REF STAGING_DIR CONFIG_JSON OUT [BASE_LAYER_TAR]: a one-layer docker-archive of the
# files under STAGING_DIR (added to a copy of BASE_LAYER_TAR when given) with the image config
# CONFIG_JSON, tagged REF; `ctr images import` and `kind load image-archive` read this format.
image_archive() {
  local ref="$1" staging="$2" config="$3" out="$4" base="${5:-}" dir diff config_digest
  dir="$(mktemp -d "$work_dir/archive.XXXXXX")"
  if [ -n "$base" ]; then
    cp "$base" "$dir/layer.tar"
    (cd "$staging" && find . ! -type d -print0 | LC_ALL=C sort -z \
      | xargs -0 tar -rf "$dir/layer.tar" --numeric-owner --owner=0 --group=0)
  else
    tar -C "$staging" --numeric-owner --owner=0 --group=0 -cf "$dir/layer.tar" .
  fi
  diff="$(sha <"$dir/layer.tar")"
  mkdir "$dir/$diff" && mv "$dir/layer.tar" "$dir/$diff/layer.tar"
  jq -n --arg arch "$(image_arch)" --argjson config "$config" --arg diff "sha256:$diff" \
    '{architecture: $arch, os: "linux", config: $config, rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created_by: "scripts/kind-cluster.sh"}]}' >"$dir/config.json"
  config_digest="$(sha <"$dir/config.json")"
  mv "$dir/config.json" "$dir/$config_digest.json"
  jq -n --arg config "$config_digest.json" --arg ref "$ref" --arg layer "$diff/layer.tar" \
    '[{Config: $config, RepoTags: [$ref], Layers: [$layer]}]' >"$dir/manifest.json"
  tar -C "$dir" -cf "$out.partial" manifest.json "$config_digest.json" "$diff"
  mv "$out.partial" "$out"
  rm -rf "$dir"
}

# A directory with what a static binary's image needs besides the binary: users, /tmp, name lookup.
minimal_root() {
  local root="$1"
  mkdir -p "$root/etc" "$root/tmp"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
}

path_env='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'

# The image names kind's default storage manifest uses, read from the kind module's source.
kind_storage_image() {
  sed -n "s/^const $1 = \"\(.*\)\"\$/\1/p" "$(module_dir "$KIND_MODULE@$KIND_VERSION")/pkg/build/nodeimage/const_storage.go"
}

build_component_images() {
  local images="$out_dir/images.partial" root provisioner_image helper_image binary applet
  provisioner_image="$(kind_storage_image storageProvisionerImage)"
  helper_image="$(kind_storage_image storageHelperImage)"
  [ -n "$provisioner_image" ] && [ -n "$helper_image" ] \
    || { echo "no storageProvisionerImage/storageHelperImage in kind $KIND_VERSION's const_storage.go" >&2; return 1; }
  rm -rf "$images" && mkdir -p "$images"

  for binary in kube-apiserver kube-controller-manager kube-scheduler; do
    root="$work_dir/image-$binary" && rm -rf "$root" && minimal_root "$root"
    install -D -m 0755 "$out_dir/kubernetes/$binary" "$root/usr/local/bin/$binary"
    image_archive "registry.k8s.io/$binary:$KUBERNETES_VERSION" "$root" "{\"Env\": [$path_env]}" "$images/$binary.tar"
    rm -rf "$root"
  done

  root="$work_dir/image-kube-proxy" && rm -rf "$root"
  install -D -m 0755 "$out_dir/kubernetes/kube-proxy" "$root/usr/local/bin/kube-proxy"
  image_archive "registry.k8s.io/kube-proxy:$KUBERNETES_VERSION" "$root" "{\"Env\": [$path_env]}" \
    "$images/kube-proxy.tar" "$out_dir/rootfs/kube-proxy-rootfs.tar"
  rm -rf "$root"

  root="$work_dir/image-etcd" && rm -rf "$root" && minimal_root "$root"
  install -D -m 0755 "$out_dir/etcd/etcd" "$root/usr/local/bin/etcd"
  mkdir -p "$root/var/lib/etcd"
  image_archive "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" "$root" "{\"Env\": [$path_env]}" "$images/etcd.tar"
  rm -rf "$root"

  root="$work_dir/image-coredns" && rm -rf "$root" && minimal_root "$root"
  install -D -m 0755 "$out_dir/coredns/coredns" "$root/coredns"
  image_archive "registry.k8s.io/coredns/coredns:$COREDNS_IMAGE_TAG" "$root" \
    "{\"Env\": [$path_env], \"Entrypoint\": [\"/coredns\"], \"ExposedPorts\": {\"53/tcp\": {}, \"53/udp\": {}}}" "$images/coredns.tar"
  rm -rf "$root"

  root="$work_dir/image-pause" && rm -rf "$root" && mkdir -p "$root"
  install -m 0755 "$out_dir/pause/pause" "$root/pause"
  image_archive "registry.k8s.io/pause:$PAUSE_IMAGE_TAG" "$root" '{"Entrypoint": ["/pause"]}' "$images/pause.tar"
  rm -rf "$root"

  root="$work_dir/image-helper" && rm -rf "$root" && minimal_root "$root"
  install -D -m 0755 "$out_dir/busybox/busybox" "$root/bin/busybox"
  for applet in $("$out_dir/busybox/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  image_archive "$helper_image" "$root" "{\"Env\": [$path_env], \"Cmd\": [\"sh\"]}" "$images/local-path-helper.tar"

  # The provisioner on the same busybox root (it runs no shell itself, but one helps debugging).
  install -D -m 0755 "$out_dir/local-path-provisioner/local-path-provisioner" "$root/usr/bin/local-path-provisioner"
  image_archive "$provisioner_image" "$root" "{\"Env\": [$path_env], \"Cmd\": [\"local-path-provisioner\"]}" \
    "$images/local-path-provisioner.tar"
  rm -rf "$root"

  rm -rf "$out_dir/images" && mv "$images" "$out_dir/images"
}

# --- the node image --------------------------------------------------------------------------------

node_image_label() {
  podman image inspect --format "{{ index .Labels \"$inputs_label\" }}" "$node_image" 2>/dev/null || true
}

# kind's default storage manifest (its const_storage.go), with its two image names filled in.
kind_storage_manifest() {
  local source
  source="$(module_dir "$KIND_MODULE@$KIND_VERSION")/pkg/build/nodeimage/const_storage.go"
  sed -n '/^const defaultStorageManifest = `$/,/^`$/p' "$source" | sed '1d;$d' \
    | sed -e "s#\` + storageProvisionerImage + \`#$(kind_storage_image storageProvisionerImage)#" \
          -e "s#\` + storageHelperImage + \`#$(kind_storage_image storageHelperImage)#"
}

build_node_image() {
  local root="$work_dir/node-image" binary previous_id
  rm -rf "$root" && mkdir -p "$root"
  tar -C "$root" --numeric-owner -xf "$out_dir/rootfs/node-rootfs.tar"
  "$recipes_dir/node/customize-rootfs.sh" "$root" "$(module_dir "$KIND_MODULE@$KIND_VERSION")"
  for binary in kubelet kubeadm kubectl; do install -m 0755 "$out_dir/kubernetes/$binary" "$root/usr/bin/$binary"; done
  mkdir -p "$root/kind/images" "$root/kind/manifests"
  cp "$out_dir"/images/*.tar "$root/kind/images/"
  echo "$KUBERNETES_VERSION" >"$root/kind/version"
  sed "s#LOCAL_PATH_HELPER_IMAGE#$(kind_storage_image storageHelperImage)#" "$recipes_dir/node/default-cni.yaml" \
    >"$root/kind/manifests/default-cni.yaml"
  kind_storage_manifest >"$root/kind/manifests/default-storage.yaml"
  grep -q 'kind: StorageClass' "$root/kind/manifests/default-storage.yaml" \
    || { echo "could not read kind's default storage manifest from its const_storage.go" >&2; return 1; }
  previous_id="$(podman image inspect --format '{{.Id}}' "$node_image" 2>/dev/null || true)"
  # kind's node image: systemd as PID 1 behind kind's entrypoint, stopped the way systemd wants.
  tar -C "$root" --numeric-owner -c . | podman import \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    --change 'ENV container=docker' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL $inputs_label=$node_image_key" \
    - "$node_image"
  rm -rf "$root"
  if [ -n "$previous_id" ] && [ "$previous_id" != "$(podman image inspect --format '{{.Id}}' "$node_image")" ]; then
    podman rmi "$previous_id" || true
  fi
}

# --- setup -----------------------------------------------------------------------------------------

# The user's own kind: one on PATH outside this cache.
own_kind() {
  local dir
  local IFS=:
  for dir in $PATH; do
    [ "$dir" = "$bin_dir" ] && continue
    if [ -n "$dir" ] && [ -x "$dir/kind" ]; then echo "$dir/kind"; return 0; fi
  done
  return 1
}

# Whether Docker starts a privileged container, as kind's node containers are: a container of an
# empty image whose absent command fails with 127 only once runc got past the privileged setup.
docker_runs_privileged() {
  local probe="flink-checkpointer-probe:privileged" status
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || return 1
  tar -cf - -T /dev/null | docker import - "$probe" >/dev/null || return 1
  set +e
  docker run --rm --privileged --network none "$probe" /absent-command >/dev/null 2>&1
  status=$?
  set -e
  docker rmi "$probe" >/dev/null 2>&1 || true
  [ "$status" -eq 127 ]
}

install_host_packages() {
  local package missing=()
  for package in "${host_packages[@]}"; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get could not install ${missing[*]}"
}

# podman's containers.conf for kind's podman provider (see the comments written into it).
write_containers_conf() {
  local nofile nproc
  nofile="$(ulimit -Hn)" nproc="$(ulimit -Hu)"
  if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
  # podman lowers its own RLIMIT_NPROC to 32768 before it starts a container.
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
  cat >"$containers_conf.new" <<EOF
# Written by scripts/kind-cluster.sh setup: podman's configuration for kind's podman provider here.
[containers]
# podman asks for nofile/nproc 1048576; a process without CAP_SYS_RESOURCE may not raise its hard
# limits, so containers get this machine's hard limits instead.
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
# crun (podman's default on Debian) refuses hybrid cgroup layouts; runc runs on them.
runtime = "runc"
EOF
  mv "$containers_conf.new" "$containers_conf"
}

write_env_file() {
  if [ "$1" = docker ] && own_kind >/dev/null; then
    cat >"$env_file.new" <<EOF
# Written by scripts/kind-cluster.sh setup: this machine runs kind as it is, your kind
# ($(own_kind)) on Docker. Nothing to set.
EOF
  elif [ "$1" = docker ]; then
    cat >"$env_file.new" <<EOF
# Written by scripts/kind-cluster.sh setup: this machine runs kind on Docker, with kind built here.
case ":\$PATH:" in *":$bin_dir:"*) ;; *) export PATH="$bin_dir:\$PATH" ;; esac
EOF
  else
    cat >"$env_file.new" <<EOF
# Written by scripts/kind-cluster.sh setup: this machine runs kind on podman with a node image
# built here (its Docker cannot run kind's privileged node containers, or there is none).
export KIND_EXPERIMENTAL_PROVIDER=podman
export CONTAINERS_CONF="$containers_conf"
export FC_KIND_NODE_IMAGE="$node_image"
case ":\$PATH:" in *":$bin_dir:"*) ;; *) export PATH="$bin_dir:\$PATH" ;; esac
EOF
  fi
  mv "$env_file.new" "$env_file"
}

# Runs the named pieces one after another; prints the names of those that failed.
run_pieces() {
  local name failed=()
  for name in "$@"; do
    piece "$name" "${keys[$name]}" ${outputs[$name]} || failed+=("$name")
  done
  echo "${failed[*]}"
}

setup() {
  local kind_path
  case "${FC_KIND_PODMAN:-0}" in
    0|1) ;;
    *) die "FC_KIND_PODMAN is '${FC_KIND_PODMAN}'; allowed: 1 (kind on podman with a node image built here) or 0/unset" ;;
  esac
  if [ "${FC_KIND_PODMAN:-0}" = 0 ] && docker_runs_privileged; then
    mkdir -p "$bin_dir" "$stamp_dir" "$log_dir" "$work_dir"
    if kind_path="$(own_kind)"; then
      log "using your kind ($kind_path) on Docker, which runs privileged containers; nothing to build"
    else
      log "Docker runs privileged containers; building only kind $KIND_VERSION (it pulls its own node image)"
      command -v go >/dev/null 2>&1 || die "Go is not installed; install kind $KIND_VERSION yourself or Go to build it"
      declare -gA keys=([kind]="$(sha <"$recipes_dir/versions.env") $(go env GOVERSION)") outputs=([kind]="$bin_dir/kind")
      [ -z "$(run_pieces kind)" ] || die "could not build kind (log: $log_dir/kind.log)"
    fi
    write_env_file docker
    command -v kubectl >/dev/null 2>&1 || log "note: kubectl is not on PATH; create needs it"
    return 0
  fi
  local reason="FC_KIND_PODMAN=1"
  if [ "${FC_KIND_PODMAN:-0}" = 0 ]; then reason="no Docker here runs privileged containers, as kind's node containers are"; fi
  log "kind will run on podman with a node image built here ($reason)"
  [ "$(id -u)" -eq 0 ] || die "building the node image needs root (debootstrap, chroot) and podman as root; run setup as root"
  command -v go >/dev/null 2>&1 || die "Go is not installed; it builds kind and Kubernetes (scripts/kind/*/go.mod say go 1.26)"
  local total_start=$SECONDS
  mkdir -p "$bin_dir" "$out_dir" "$work_dir" "$stamp_dir" "$log_dir"
  exec 9>"$kind_dir/lock"
  flock -n 9 || { log "another setup holds $kind_dir/lock; waiting for it"; flock 9; }
  install_host_packages
  # kind's podman provider mounts /lib/modules into the node; a machine without modules lacks it.
  mkdir -p /lib/modules
  write_containers_conf
  export CONTAINERS_CONF="$containers_conf"

  local go_version versions
  go_version="$(go env GOVERSION)" versions="$(sha <"$recipes_dir/versions.env")"
  declare -gA keys outputs
  keys[kind]="$versions $go_version"
  outputs[kind]="$bin_dir/kind"
  keys[kubernetes]="$versions $go_version $(dir_hash "$recipes_dir/kubernetes") $(kubernetes_ldflags | sha)"
  outputs[kubernetes]="$(printf "$out_dir/kubernetes/%s " "${kubernetes_binaries[@]}") $bin_dir/kubectl"
  keys[etcd]="$versions $go_version $(dir_hash "$recipes_dir/etcd")"
  outputs[etcd]="$out_dir/etcd/etcd"
  keys[coredns]="$versions $go_version"
  outputs[coredns]="$out_dir/coredns/coredns"
  keys[local-path-provisioner]="$versions $go_version"
  outputs[local-path-provisioner]="$out_dir/local-path-provisioner/local-path-provisioner"
  keys[pause]="$versions $(gcc --version | head -n 1)"
  outputs[pause]="$out_dir/pause/pause"
  keys[busybox]="busybox-static $(busybox_version)"
  outputs[busybox]="$out_dir/busybox/busybox"
  keys[kube-proxy-rootfs]="$versions $kube_proxy_packages $(declare -f debootstrap_into pack_rootfs build_kube_proxy_rootfs | sha)"
  outputs[kube-proxy-rootfs]="$out_dir/rootfs/kube-proxy-rootfs.tar"
  keys[node-rootfs]="$versions $node_packages $(declare -f debootstrap_into pack_rootfs build_node_rootfs | sha)"
  outputs[node-rootfs]="$out_dir/rootfs/node-rootfs.tar"

  # Go builds use the CPU, the root filesystems the network and disk: the two run side by side.
  local go_failed rootfs_failed failed
  run_pieces kind kubernetes etcd coredns local-path-provisioner >"$work_dir/go.failed" &
  local go_job=$!
  run_pieces busybox pause kube-proxy-rootfs node-rootfs >"$work_dir/rootfs.failed"
  wait "$go_job" || true
  go_failed="$(cat "$work_dir/go.failed")" rootfs_failed="$(cat "$work_dir/rootfs.failed")"
  failed="$(echo "$go_failed $rootfs_failed" | xargs)"
  [ -z "$failed" ] || die "could not build: $failed (details above; logs in $log_dir)"

  local upstream=""
  for name in kubernetes etcd coredns local-path-provisioner pause busybox kube-proxy-rootfs; do upstream+=" $(stamp_of "$name")"; done
  # The images change with their inputs and with the code that assembles them.
  keys[component-images]="$(declare -f image_archive minimal_root kind_storage_image build_component_images | sha)$upstream"
  outputs[component-images]="$out_dir/images/kube-apiserver.tar"
  failed="$(run_pieces component-images)"
  [ -z "$failed" ] || die "could not build: $failed (logs in $log_dir)"

  node_image_key="$( { declare -f build_node_image kind_storage_manifest; stamp_of node-rootfs; stamp_of component-images
    dir_hash "$recipes_dir/node"; } | sha)"
  if [ "$(node_image_label)" = "$node_image_key" ]; then
    log "node-image: up to date ($node_image)"
  else
    keys[node-image]="$node_image_key"
    outputs[node-image]=""
    rm -f "$stamp_dir/node-image"
    failed="$(run_pieces node-image)"
    [ -z "$failed" ] || die "could not build: $failed (logs in $log_dir)"
    [ "$(node_image_label)" = "$node_image_key" ] || die "podman has no $node_image with inputs $node_image_key after its build"
  fi

  # Node images replaced while a cluster still ran on them are removed once nothing uses them.
  local stale
  for stale in $(podman images --filter "label=$inputs_label" --filter dangling=true --format '{{.ID}}'); do
    podman rmi "$stale" >/dev/null 2>&1 && log "removed the replaced node image $stale"
  done
  write_env_file podman
  log "done in $(( SECONDS - total_start )) s: kind $("$bin_dir/kind" version | cut -d' ' -f2) on podman, node image $node_image;"
  log "  settings in $env_file (scripts/env.sh sources it)"
}

# --- create / delete / status ----------------------------------------------------------------------

load_env() {
  # shellcheck disable=SC1090
  [ -f "$env_file" ] && source "$env_file"
  command -v kind >/dev/null 2>&1 || die "kind is not installed; run scripts/kind-cluster.sh setup"
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed; run scripts/kind-cluster.sh setup or install it"
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
    || die "the node of $cluster is not Ready after 180 s (kubectl --context $context describe nodes)"
  kubectl --context "$context" -n kube-system rollout status deployment/coredns --timeout=180s >&2 \
    || die "CoreDNS of $cluster does not run (kubectl --context $context -n kube-system get pods)"
  kubectl --context "$context" -n local-path-storage rollout status deployment/local-path-provisioner --timeout=180s >&2 \
    || die "local-path-provisioner of $cluster does not run (kubectl --context $context -n local-path-storage get pods)"
  log "node Ready, CoreDNS and local-path-provisioner running ($(( SECONDS - start )) s after kind create returned)"
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
      [ -n "${FC_KIND_NODE_IMAGE:-}" ] || die "KIND_EXPERIMENTAL_PROVIDER=podman but no FC_KIND_NODE_IMAGE; run scripts/kind-cluster.sh setup"
      podman image exists "$FC_KIND_NODE_IMAGE" || die "podman has no node image $FC_KIND_NODE_IMAGE; run scripts/kind-cluster.sh setup"
      args+=(--image "$FC_KIND_NODE_IMAGE")
      mkdir -p /lib/modules
    fi
    log "kind ${args[*]} (provider $provider)"
    local start=$SECONDS
    kind "${args[@]}" || die "kind create cluster failed (see its output above)"
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

case "${1:-}" in
  setup) shift; [ $# -eq 0 ] || die "setup takes no arguments (FC_KIND_PODMAN=1 builds for podman even with a Docker that runs kind)"; setup ;;
  create) shift; create "$@" ;;
  delete) shift; delete "$@" ;;
  status) shift; status "$@" ;;
  *) die "unknown command '${1:-}'; allowed: setup, create [--config FILE], delete [--config FILE], status [--config FILE]" ;;
esac
