#!/bin/bash
# Turns a debootstrapped Debian root filesystem into a kind node's, the way kind's base image
# (images/base/Dockerfile of the kind module) does, with Debian's containerd, runc and CNI plugins
# in place of the ones kind compiles. Usage: customize-rootfs.sh ROOTFS KIND_MODULE_DIR
set -euo pipefail
rootfs="$1" kind_files="$2/images/base/files" recipe="$(cd "$(dirname "$0")" && pwd)"
[ -d "$kind_files" ] || { echo "customize-rootfs: $kind_files is missing; is $2 the kind module?" >&2; exit 1; }

# kind's node files: entrypoint, systemd units, containerd config, kind's hook scripts.
install -m 0755 "$kind_files"/usr/local/bin/* "$rootfs/usr/local/bin/"
mkdir -p "$rootfs/kind/bin" "$rootfs/etc/containerd" "$rootfs/etc/systemd/system/kubelet.service.d" "$rootfs/LICENSES"
install -m 0644 "$kind_files/kind/README.txt" "$rootfs/kind/"
install -m 0755 "$kind_files"/kind/bin/* "$rootfs/kind/bin/"
install -m 0644 "$kind_files"/LICENSES/* "$rootfs/LICENSES/"
install -m 0644 "$kind_files/etc/crictl.yaml" "$rootfs/etc/"
install -m 0644 "$kind_files"/etc/containerd/* "$rootfs/etc/containerd/"
install -m 0644 "$kind_files"/etc/default/* "$rootfs/etc/default/"
install -m 0644 "$kind_files"/etc/sysctl.d/* "$rootfs/etc/sysctl.d/"
find "$kind_files/etc/systemd/system" -maxdepth 1 -type f -exec install -m 0644 {} "$rootfs/etc/systemd/system/" \;
install -m 0644 "$kind_files"/etc/systemd/system/kubelet.service.d/* "$rootfs/etc/systemd/system/kubelet.service.d/"

# The preloaded images' import before the kubelet starts.
install -m 0755 "$recipe/import-preloaded-images.sh" "$rootfs/kind/bin/"
install -m 0644 "$recipe/preloaded-images.service" "$rootfs/etc/systemd/system/"
install -m 0644 "$recipe/20-preloaded-images.conf" "$rootfs/etc/systemd/system/kubelet.service.d/"

# runc may not set a negative oom_score_adj where processes lack CAP_SYS_RESOURCE, and the kubelet
# gives pod sandboxes -998: containerd then keeps every score at or above its own.
grep -q '^ *restrict_oom_score_adj = false' "$rootfs/etc/containerd/config.toml" \
  || { echo "customize-rootfs: kind's containerd config no longer sets restrict_oom_score_adj = false; review this patch" >&2; exit 1; }
sed -i 's/^\( *restrict_oom_score_adj = \)false/\1true/' "$rootfs/etc/containerd/config.toml"

# kind's units start containerd from /usr/local/bin and CNI plugins are looked up in /opt/cni/bin;
# Debian installs them under /usr/bin and /usr/lib/cni.
for binary in containerd containerd-shim-runc-v2 ctr; do ln -sf "/usr/bin/$binary" "$rootfs/usr/local/bin/$binary"; done
mkdir -p "$rootfs/opt/cni/bin"
for plugin in "$rootfs"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/$(basename "$plugin")" "$rootfs/opt/cni/bin/"; done
chroot "$rootfs" ctr oci spec \
  | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' >"$rootfs/etc/containerd/cri-base.json"

# Boot as kind's base image does: only the units kind enables, no kernel log, systemd as init.
find "$rootfs/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
rm -f "$rootfs"/lib/systemd/system/multi-user.target.wants/* "$rootfs"/etc/systemd/system/*.wants/* \
  "$rootfs"/lib/systemd/system/local-fs.target.wants/* "$rootfs"/lib/systemd/system/sockets.target.wants/*udev* \
  "$rootfs"/lib/systemd/system/sockets.target.wants/*initctl* "$rootfs"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$rootfs/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$rootfs/sbin/init"
chroot "$rootfs" systemctl enable kubelet.service containerd.service undo-mount-hacks.service preloaded-images.service
chroot "$rootfs" systemctl mask systemd-binfmt.service
mkdir -p "$rootfs/etc/kubernetes/manifests"
