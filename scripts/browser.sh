#!/usr/bin/env bash
# Puts a headless browser on this machine for `npm run report-check`: Debian's `chromium` package, installed
# with apt-get when missing (nothing is downloaded otherwise). Prints the browser's path.
# Usage: bash scripts/browser.sh
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: chromium is missing and there is no apt-get to install it; install Chromium yourself (report-check runs \`chromium --headless\`)" >&2
    exit 1
  fi
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "browser: installing Debian's chromium package" >&2
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
fi
command -v chromium
