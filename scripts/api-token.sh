#!/usr/bin/env bash
# Print a bearer token for the API: logs in with PARTRACK_USER / PARTRACK_PASSWORD.
#   export PARTRACK_TOKEN="$(scripts/api-token.sh)"
# A personal access token from an admin (`partrack token create`) works the same way and does not
# expire after an hour; put it in PARTRACK_TOKEN and skip this script.
set -euo pipefail
BASE="${PARTRACK_BASE:-http://127.0.0.1:8000}"
USER_NAME="${PARTRACK_USER:-admin}"
: "${PARTRACK_PASSWORD:?set PARTRACK_PASSWORD (the password printed by make run for admin)}"
body=$(python3 -c 'import json,sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2], "expires_minutes": 120}))' "$USER_NAME" "$PARTRACK_PASSWORD")
curl --silent --show-error --fail-with-body \
  -X POST "$BASE/api/v1/auth/token" \
  -H 'Content-Type: application/json' \
  --data "$body" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
