#!/usr/bin/env bash
# Download a list as CSV or Excel, with the list's filters as extra arguments:
#   scripts/export.sh readings xlsx period=2025-10
#   scripts/export.sh dossiers csv status=overdue unit=ttpvhcc
# DATASET: readings, progress, submissions, scores, dossiers. The file lands in the current folder.
set -euo pipefail
DATASET="${1:?usage: scripts/export.sh DATASET csv|xlsx [filter=value ...]}"
FORMAT="${2:?usage: scripts/export.sh DATASET csv|xlsx [filter=value ...]}"
shift 2
BASE="${PARTRACK_BASE:-http://127.0.0.1:8000}"
TOKEN="${PARTRACK_TOKEN:-$("$(dirname "$0")/api-token.sh")}"
ARGS=()
for pair in "$@"; do ARGS+=(--data-urlencode "$pair"); done
OUT="$DATASET.$FORMAT"
curl --silent --show-error --fail-with-body --get \
  "$BASE/api/v1/exports/$DATASET.$FORMAT" \
  -H "Authorization: Bearer $TOKEN" \
  "${ARGS[@]}" \
  -o "$OUT"
echo "Đã lưu $OUT" >&2
