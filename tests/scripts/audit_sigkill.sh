#!/usr/bin/env bash
# CONTRACT §6 under failure: SIGKILL the server in the middle of a load; every consult whose
# response reached a client must be in the audit store afterwards, and the chain must verify.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
cd "${VCF_CDS_SOURCE_DIR:-$(dirname "$0")/../..}"
tmp=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

start_server() {
  "$bin" serve --listen 127.0.0.1:0 --allow-unauthenticated --data-dir "$tmp/data" \
    --log-level info >"$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$tmp/server.log" | head -1 | cut -d: -f2 || true)
    [ -n "${port:-}" ] && return 0
    sleep 0.1
  done
  echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1
}

start_server
echo "server pid $pid on port $port"

# 8 client threads post the PAMA order for 1.5 s, then the server is killed without warning;
# clients record the consult ids of the responses they fully received.
python3 - "$port" "$pid" "$tmp/received.txt" tests/fixtures/hooks/order-select-pama.json <<'PY'
import http.client, json, os, signal, sys, threading, time
port, pid, out, fixture = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
body = open(fixture, "rb").read()
received, lock, stop = [], threading.Lock(), time.time() + 1.5
def client():
    conn = None
    while True:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/cds-services/vcf-imaging-select", body,
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status == 200:
                ids = [c["extension"]["vcf-cds"]["consultId"] for c in json.loads(data)["cards"]]
                with lock:
                    received.extend(ids)
        except Exception:
            return  # the server is gone
threads = [threading.Thread(target=client) for _ in range(8)]
for t in threads: t.start()
time.sleep(max(0, stop - time.time()))
os.kill(pid, signal.SIGKILL)
for t in threads: t.join(10)
open(out, "w").write("\n".join(received) + "\n")
print(f"responses received before SIGKILL: {len(received)}")
assert len(received) > 20, "too few responses to prove anything"
PY
wait "$pid" 2>/dev/null || true
pid=""

# After restart (the store recovers its WAL on open), every received consult is there.
start_server
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
"$bin" audit export --data-dir "$tmp/data" --format ndjson >"$tmp/export.ndjson"
python3 - "$tmp/received.txt" "$tmp/export.ndjson" <<'PY'
import json, sys
received = [l for l in open(sys.argv[1]).read().split() if l]
stored = set()
for line in open(sys.argv[2]):
    line = line.strip()
    if line:
        rec = json.loads(line)
        stored.add(rec.get("consult_id") or rec.get("consultId") or rec.get("record", {}).get("consult_id"))
missing = [c for c in received if c not in stored]
print(f"received {len(received)}, stored {len(stored)}, missing {len(missing)}")
assert not missing, f"consults answered but not audited: {missing[:5]}"
PY
"$bin" audit verify --data-dir "$tmp/data"
echo "audit_sigkill: ok"
