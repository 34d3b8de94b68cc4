#!/usr/bin/env bash
# The consolidated report's PDF is laid out by WeasyPrint, which needs Pango and a serif font with
# every Vietnamese glyph (Liberation Serif 2.x is metric-compatible with Times New Roman; the 1.x
# of fonts-liberation lacks many Vietnamese letters, DejaVu Serif has them all). Install what is
# missing when we can; do nothing when everything is there.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation2)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages for the PDF report: ${missing[*]}…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "ERROR: the PDF report needs these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})." >&2
exit 1
