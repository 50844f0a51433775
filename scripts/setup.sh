#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs, only those missing,
# without prompting. Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsodium-dev libsqlite3-dev libjansson-dev
      libcmocka-dev python3 python3-nacl python3-jsonschema xz-utils
      libcsv-dev libutf8proc-dev scdoc man-db groff-base
      libqrencode-dev libpng-dev libzbar-dev libjpeg62-turbo-dev gettext sqlite3
      clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#pkgs[@]} packages already installed"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 3; }
  as_root=(sudo -n)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
