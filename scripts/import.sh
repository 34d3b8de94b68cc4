#!/usr/bin/env bash
# Dry-run a file, show the summary, and import it only if the dry run found no error.
#   scripts/import.sh readings scripts/examples/readings.csv
#   scripts/import.sh dossiers scripts/examples/dossiers.csv --partial
# KIND is readings, progress, dossiers or feedback; FILE is .csv (UTF-8) or .json (a list).
set -euo pipefail
KIND="${1:?usage: scripts/import.sh readings|progress|dossiers|feedback FILE [--partial]}"
FILE="${2:?usage: scripts/import.sh KIND FILE [--partial]}"
PARTIAL="false"
[[ "${3:-}" == "--partial" ]] && PARTIAL="true"
BASE="${PARTRACK_BASE:-http://127.0.0.1:8000}"
TOKEN="${PARTRACK_TOKEN:-$("$(dirname "$0")/api-token.sh")}"
case "$FILE" in
  *.json) TYPE="application/json" ;;
  *) TYPE="text/csv" ;;
esac

send() {  # $1: query string; prints the JSON summary, returns the HTTP status in $STATUS
  local out
  out=$(mktemp)
  STATUS=$(curl --silent --show-error -o "$out" -w '%{http_code}' \
    -X POST "$BASE/api/v1/$KIND/bulk?$1" \
    -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: $TYPE" \
    --data-binary "@$FILE")
  python3 -m json.tool --no-ensure-ascii "$out"
  rm -f "$out"
}

echo "== chạy thử (dry run): $FILE" >&2
send "dry_run=true&partial=$PARTIAL"
if [[ "$STATUS" != "200" ]]; then
  echo "!! chạy thử trả về HTTP $STATUS: chưa ghi gì; sửa các dòng lỗi rồi gửi lại." >&2
  exit 1
fi
echo "== nhập thật" >&2
send "partial=$PARTIAL"
[[ "$STATUS" == "200" ]] || { echo "!! HTTP $STATUS" >&2; exit 1; }
