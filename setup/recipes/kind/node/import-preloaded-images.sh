#!/bin/bash
# Imports every image archive under /kind/images into containerd's k8s.io namespace, unpacked
# for the snapshotter the CRI plugin uses (kind's entrypoint may switch it from overlayfs).
set -euo pipefail
snapshotter="$(sed -n 's/^[[:space:]]*snapshotter[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' /etc/containerd/config.toml | head -n 1)"
for archive in /kind/images/*.tar; do
  ctr --namespace=k8s.io images import --all-platforms --snapshotter="${snapshotter:-overlayfs}" "$archive" \
    || { echo "import-preloaded-images: ctr could not import $archive" >&2; exit 1; }
done
