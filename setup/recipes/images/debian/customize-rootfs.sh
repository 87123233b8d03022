#!/usr/bin/env bash
# Runs on the host after debootstrap, with the root filesystem's path as $1 and the CA bundle to
# trust as $2. Makes the rootfs trust that bundle (a TLS-inspecting proxy's CA included) for
# OpenSSL, Python's pip and Java alike, and trims what an image does not need.
set -euo pipefail

rootfs="$1"
ca_bundle="$2"

# update-ca-certificates wants one certificate per file; split the bundle so every CA in it is
# linked and also lands in Java's cacerts (through the ca-certificates-java hook).
host_ca_dir="$rootfs/usr/local/share/ca-certificates/host"
rm -rf "$host_ca_dir"
mkdir -p "$host_ca_dir"
awk -v dir="$host_ca_dir" '
  /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s/host-ca-%04d.crt", dir, n) }
  file { print > file }
  /-----END CERTIFICATE-----/ { close(file); file = "" }
' "$ca_bundle"
# Java's keystore hook runs the JVM, which needs /proc.
mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc"' EXIT
# Its output lists every certificate the bundle shares with Debian's; show it only on failure.
if ! ca_output="$(chroot "$rootfs" update-ca-certificates --fresh 2>&1)"; then
  echo "$ca_output" >&2
  echo "customize-rootfs: update-ca-certificates failed inside $rootfs" >&2
  exit 1
fi

# Debian's pip refuses system-wide installs (PEP 668); the images install into the system Python on
# purpose (one interpreter, `python3 -c 'import pyflink'` works for every user), so allow it.
mkdir -p "$rootfs/etc"
cat >"$rootfs/etc/pip.conf" <<'PIP'
[global]
break-system-packages = true
disable-pip-version-check = true
PIP

# Package lists and caches are rebuilt by `apt-get update` when needed; they only add size here.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/tmp/* "$rootfs"/var/tmp/*
