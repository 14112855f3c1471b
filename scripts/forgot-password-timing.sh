#!/usr/bin/env bash
# Does `/mot-de-passe-oublie` tell known addresses from unknown ones by its answer time? (issue 11
# point 7). Starts the release portal on a fresh database with the demonstration accounts, then
# posts the form ROUNDS times for a known address and as many for unknown ones, interleaved in a
# random order on one kept-alive connection, each from its own client address (so the rate limit
# on forms does not step in), and prints the median and 90th percentile of each with their ratio.
#
#   scripts/forgot-password-timing.sh [ROUNDS]          (default 400; SQLite in a temporary dir)
#   DATABASE_URL=postgres://…/empty_db scripts/forgot-password-timing.sh
#
# A ratio near 1.0 means the answer's time says nothing about the address.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-400}"
port="${PORT:-18089}"
work="$(mktemp -d)"
. scripts/lib/portal.sh
start_portal "$port" "$work/data" --demo

python3 - "$port" "$rounds" <<'PY'
import http.client, random, statistics, sys, time, urllib.parse

port, rounds = int(sys.argv[1]), int(sys.argv[2])
known = "rh@interim-demo.fr"
unknown = [f"personne{i}@exemple.fr" for i in range(20)]
conn = http.client.HTTPConnection("127.0.0.1", port)
times = {"known": [], "unknown": []}
random.seed(7)
n = 0

def post(address):
    global n
    n += 1
    body = urllib.parse.urlencode({"email": address})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": f"10.{n // 62500 % 256}.{n // 250 % 250}.{n % 250 + 1}",
    }
    start = time.perf_counter()
    conn.request("POST", "/mot-de-passe-oublie", body, headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 303:
        sys.exit(f"réponse {response.status} inattendue pour {address}")
    return elapsed

for _ in range(20):  # warm-up, not counted
    post(known); post(random.choice(unknown))
for _ in range(rounds):
    pair = [("known", known), ("unknown", random.choice(unknown))]
    random.shuffle(pair)
    for label, address in pair:
        times[label].append(post(address))

def p90(values):
    return statistics.quantiles(values, n=10)[-1]

for label in ("known", "unknown"):
    v = times[label]
    print(f"{label:8} n={len(v)}  médiane {statistics.median(v):6.2f} ms  p90 {p90(v):6.2f} ms")
ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
print(f"rapport des médianes connue/inconnue : {ratio:.2f}")
PY
