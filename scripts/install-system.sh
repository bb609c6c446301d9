#!/usr/bin/env bash
# Installs the Debian packages medpos uses beside Node: PC/SC (pcscd, the vpcd virtual reader, the
# development files the `pcsclite` module compiles against), socat for pseudo-terminal scanners,
# opensc, pcsc-tools and zbar-tools for checks, chromium and a CJK font for the browser tests and screenshots. Needs root; without it, it says
# what to install and carries on (medpos then runs without the card reader).
set -euo pipefail
packages=(libpcsclite-dev pcscd vsmartcard-vpcd socat opensc pcsc-tools zbar-tools iproute2 util-linux chromium fonts-wqy-microhei postgresql)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system: no apt-get here; install these yourself if you need them: ${packages[*]}" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system: not root; to use card readers and scanners run: sudo apt-get install ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-system: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
