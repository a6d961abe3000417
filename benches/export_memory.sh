#!/usr/bin/env bash
# Peak memory of `fleetdesk export assignments` against the number of rows: a demo database
# with N extra returned assignments, the export's maximum RSS from /usr/bin/time -v.
#   cargo build && benches/export_memory.sh 10000 && benches/export_memory.sh 100000
# Needs sqlite3, curl, python3 and GNU time. FLEETDESK_BIN picks another binary.
set -euo pipefail
BIN=${FLEETDESK_BIN:-$(dirname "$0")/../target/debug/fleetdesk}
N=${1:?rows to add}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DB="$DIR/db.sqlite"
PORT=$((18000 + RANDOM % 1000))
wait_ready() {
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.3
    done
    echo "the server did not start" >&2
    return 1
}
"$BIN" serve --demo --database "sqlite://$DB" --bind "127.0.0.1:$PORT" >"$DIR/serve.log" 2>&1 &
PID=$!
wait_ready
kill "$PID"
wait "$PID" || true
# Returned assignments over the demo's vehicles and technicians (returned rows are outside the
# one-active indexes), with readings and a note that needs quoting.
sqlite3 "$DB" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N),
 v AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM vehicles),
 t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE role = 'technician')
INSERT INTO assignments (vehicle_id, technician_id, status, assigned_at, returned_at, return_odometer_km, return_note)
SELECT (SELECT id FROM v WHERE k = i % (SELECT count(*) FROM v)),
       (SELECT id FROM t WHERE k = i % (SELECT count(*) FROM t)),
       'returned', 1500000000 - i * 60, 1500000000 - i * 60 + 30, i, 'note, "quoted" ' || i
FROM n;
SQL
"$BIN" serve --database "sqlite://$DB" --bind "127.0.0.1:$PORT" >"$DIR/serve.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
wait_ready
TOKEN=$(curl -sf -H 'content-type: application/json' \
    -d '{"email":"dispatch@depot.example","password":"demo-password"}' \
    "http://127.0.0.1:$PORT/api/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
for format in csv json; do
    FLEETDESK_TOKEN=$TOKEN /usr/bin/time -v "$BIN" --server "http://127.0.0.1:$PORT" \
        export assignments --format "$format" -o "$DIR/out.$format" 2>"$DIR/time.log"
    grep -h "exported\|Maximum resident" "$DIR/time.log"
done
