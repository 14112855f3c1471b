#!/usr/bin/env bash
# Bursts of simultaneous sign-ins (issue 12 point 2, SPEC Q4): a company's proxy at 9:00 brings
# hundreds at once. Starts the release portal on a fresh database with the demonstration
# accounts, then fires BURSTS bursts of SIZE simultaneous sign-ins (each from its own client
# address, so the per-address rate limit on forms does not step in), sampling the process's
# resident memory every 20 ms. Prints, per burst, the answers by status and the time of the
# slowest, then the peak RSS and the RSS 10 s after the last burst.
#
#   scripts/signin-burst.sh [BURSTS] [SIZE]     (default 5 bursts of 200; SQLite in a temp dir)
#   DATABASE_URL=postgres://…/empty_db scripts/signin-burst.sh
#
# Required (issue 12): peak RSS under 600 MB, under 200 MB 10 s after, no answer 500.
set -euo pipefail
cd "$(dirname "$0")/.."
bursts="${1:-5}"
size="${2:-200}"
port="${PORT:-18090}"
work="$(mktemp -d)"
. scripts/lib/portal.sh
start_portal "$port" "$work/data" --demo
pid="$portal_pid"

python3 - "$port" "$pid" "$bursts" "$size" <<'PY'
import collections, http.client, sys, threading, time, urllib.parse

port, pid, bursts, size = (int(a) for a in sys.argv[1:5])

def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

peak = [rss_mb()]
sampling = [True]
def sample():
    while sampling[0]:
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()

print(f"RSS au repos : {rss_mb():.0f} Mo")
body = urllib.parse.urlencode({"email": "rh@interim-demo.fr", "password": "Cerisier-Atelier-42"})
n = [0]
statuses_all = collections.Counter()
for b in range(bursts):
    statuses, slowest = collections.Counter(), [0.0]
    barrier = threading.Barrier(size)
    lock = threading.Lock()
    def sign_in(ip):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        start = time.perf_counter()
        try:
            conn.request("POST", "/connexion", body, {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": ip})
            status = conn.getresponse().status
        except Exception as e:
            status = type(e).__name__
        took = time.perf_counter() - start
        with lock:
            statuses[status] += 1
            slowest[0] = max(slowest[0], took)
    threads = []
    for i in range(size):
        n[0] += 1
        ip = f"10.{n[0] // 62500 % 256}.{n[0] // 250 % 250}.{n[0] % 250 + 1}"
        t = threading.Thread(target=sign_in, args=(ip,))
        t.start(); threads.append(t)
    for t in threads:
        t.join()
    statuses_all.update(statuses)
    print(f"salve {b + 1} : {dict(statuses)}, la plus lente {slowest[0]:.2f} s, RSS {rss_mb():.0f} Mo")
time.sleep(10)
sampling[0] = False
print(f"RSS maximal : {peak[0]:.0f} Mo ; 10 s après : {rss_mb():.0f} Mo")
print(f"réponses : {dict(statuses_all)} ; réponses 500 : {statuses_all.get(500, 0)}")
PY
