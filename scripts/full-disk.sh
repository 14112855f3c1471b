#!/usr/bin/env bash
# A full disk under the SQLite portal (issue 12 point 1, SPEC Q4). Needs root (it mounts a small
# tmpfs). Starts the release portal with its data directory on a 48 MiB filesystem, keeps
# writing through a public form (each acknowledged request stores one row), fills the disk for
# FULL seconds, frees it, then stops the portal and counts the acknowledged writes that are not
# in the database. Prints the answers by status in each phase, /healthz in each phase, and how
# long writes took to come back once space returned.
#
#   sudo scripts/full-disk.sh [FULL]        (default 25 s)
#
# Required (issue 12): 0 acknowledged writes lost, a French 503 while the disk is full, writes
# back without restart within seconds, /healthz failing while writes fail.
set -euo pipefail
cd "$(dirname "$0")/.."
full="${1:-25}"
port="${PORT:-18091}"
work="$(mktemp -d)"
data="$work/data"
. scripts/lib/portal.sh
on_exit_extra='umount "$data" 2>/dev/null || true'
mkdir -p "$data"
mount -t tmpfs -o size=48m tmpfs "$data"
start_portal "$port" "$data" --no-worker

python3 - "$port" "$data" "$full" "$work/acked.txt" <<'PY'
import collections, http.client, os, subprocess, sys, threading, time, urllib.parse

port, data, full, acked_file = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
phase = ["avant"]
acked, statuses, health = set(), collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
first_ok_after = [None]
freed_at = [None]
stop = [False]
lock = threading.Lock()

def writer(k):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = 0
    while not stop[0]:
        n += 1
        email = f"w{k}-{n}@exemple.fr"
        body = urllib.parse.urlencode({"email": email})
        ip = f"10.{k}.{n // 250 % 250}.{n % 250 + 1}"
        try:
            conn.request("POST", "/mot-de-passe-oublie", body, {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": ip})
            r = conn.getresponse(); text = r.read().decode("utf-8", "replace"); status = r.status
        except Exception as e:
            status, text = type(e).__name__, ""
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        with lock:
            statuses[phase[0]][status] += 1
            if status == 303:
                acked.add(email)
                if phase[0] == "après" and first_ok_after[0] is None:
                    first_ok_after[0] = time.time() - freed_at[0]
            if status == 503 and "indisponible" not in text:
                statuses[phase[0]]["503 sans message français"] += 1

def prober():
    while not stop[0]:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/healthz"); r = c.getresponse(); r.read()
            health[phase[0]][r.status] += 1
        except Exception as e:
            health[phase[0]][type(e).__name__] += 1
        time.sleep(0.5)

threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)] + [threading.Thread(target=prober)]
for t in threads: t.start()
time.sleep(5)
phase[0] = "disque plein"
subprocess.run(["dd", "if=/dev/zero", f"of={data}/remplissage", "bs=1M"], stderr=subprocess.DEVNULL)
time.sleep(full)
os.remove(f"{data}/remplissage")
freed_at[0] = time.time()
phase[0] = "après"
time.sleep(15)
stop[0] = True
for t in threads: t.join()
with open(acked_file, "w") as f:
    f.write("\n".join(sorted(acked)))
for name in ("avant", "disque plein", "après"):
    print(f"{name:13} réponses {dict(statuses[name])}  /healthz {dict(health[name])}")
print(f"écritures reprises {first_ok_after[0]:.1f} s après la libération" if first_ok_after[0] is not None else "écritures jamais reprises")
PY

# Stopped (SIGTERM, in-flight requests finish), then every acknowledged write looked for.
stop_portal
python3 - "$data/espace.db" "$work/acked.txt" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
stored = {json.loads(p)["email"] for (p,) in db.execute("SELECT payload FROM job WHERE kind = 'password.reset_request'")}
acked = set(open(sys.argv[2]).read().split())
print(f"écritures acquittées : {len(acked)} ; perdues : {len(acked - stored)}")
PY
