#!/usr/bin/env bash
# Runs on the host after debootstrap of kube-proxy's root filesystem ($1). kind's node entrypoint picks legacy
# iptables in the node's fresh network namespace (it has no rules of either kind yet); kube-proxy runs in that
# namespace and must use the same.
set -euo pipefail
chroot "$1" update-alternatives --set iptables /usr/sbin/iptables-legacy
chroot "$1" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
