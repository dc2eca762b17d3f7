#!/usr/bin/env bash
# Takes a full-page screenshot of a Mirage report with headless Chromium, so a person (or a reviewer) can look at it.
# Usage: scripts/screenshot-report.sh REPORT_DIR [OUT.png] [HEIGHT]
# Installs Debian's chromium when it is missing (needs root, as on the project's machines).
set -euo pipefail
report="${1:?usage: $0 REPORT_DIR [OUT.png] [HEIGHT]}"
# Not inside the report by default: a later `mirage report` replaces that directory and refuses one holding a file it
# did not write.
out="${2:-report-screenshot.png}"
height="${3:-4000}"
[[ -f "$report/report.html" ]] || { echo "error: $report/report.html not found" >&2; exit 2; }
if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# The background-networking flags keep Chromium from reaching out (the machines have no network but package mirrors).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size=1280,"$height" --screenshot="$(realpath -m "$out")" "file://$(realpath "$report/report.html")" 2>/dev/null
echo "wrote $out"
