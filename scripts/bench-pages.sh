#!/usr/bin/env bash
# Pages at an operator's volume against the raw stack (issue 13 point 3, SPEC Q5).
#
# Seeds a fresh database with the portal's own code (`demo --scale DOSSIERS`: DOSSIERS dossiers
# over DOSSIERS/100 companies, 200 of them on the demonstration company), starts the release
# portal and the raw baseline (crates/baseline: axum + sqlx + askama on the same tables, same
# pool settings), then measures with wrk, interleaving REPS repetitions of each pair so that a
# noisy neighbour hurts both sides alike:
#   - the company's dossier list (the 50 latest), 64 connections;
#   - saving a dossier draft (one new draft per request), 64 connections;
#   - the case manager's queue (the 50 oldest submitted), 16 connections;
# and prints req/s and p99 of each side and their ratio. Then counts the SQL statements of one
# request of each page (the portal restarted with the driver's statement log on).
#
#   scripts/bench-pages.sh [DOSSIERS] [REPS] [SECONDS]      (default 100000 3 10; SQLite)
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 scripts/bench-pages.sh
#       (PostgreSQL: the database `espace_bench` is dropped and created again)
#
# Needs wrk and curl. Targets (issue 13): list ≥ 50 % of the baseline's req/s with p99 ≤ 2×;
# draft ≥ 40 %; queue p99 < 100 ms at 500 000 dossiers.
set -euo pipefail
cd "$(dirname "$0")/.."
dossiers="${1:-100000}"
reps="${2:-3}"
seconds="${3:-10}"
port=18091
base_port=18092
work="$(mktemp -d)"
data="$work/data"
baseline_pid=""
. scripts/lib/portal.sh
on_exit_extra='[ -n "$baseline_pid" ] && kill "$baseline_pid" 2>/dev/null'

command -v wrk >/dev/null || { echo "wrk est nécessaire (paquet Debian wrk)" >&2; exit 1; }
cargo build --release --quiet -p espace-app -p espace-baseline
if [ -n "${BENCH_POSTGRES:-}" ]; then
  psql "$BENCH_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS espace_bench' -c 'CREATE DATABASE espace_bench' >/dev/null
  export DATABASE_URL="$BENCH_POSTGRES/espace_bench"
  backend=PostgreSQL
else
  mkdir -p "$data"
  backend=SQLite
fi

echo "== $backend, $dossiers dossiers"
start=$(date +%s.%N)
ESPACE_LOG=warn target/release/espace-formation --data-dir "$data" demo --scale "$dossiers" >/dev/null
printf 'jeu de données : %.0f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
db_url="${DATABASE_URL:-sqlite://$data/espace.db}"

start_portal "$port" "$data" --no-worker
target/release/espace-baseline "$db_url" "127.0.0.1:$base_port" >"$work/baseline.log" 2>&1 &
baseline_pid=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$base_port/queue" >/dev/null && break; sleep 0.2; done

# Signs in and prints the session cookie header.
sign_in() {
  local jar="$work/$1.jar"
  curl -fs -o /dev/null -c "$jar" -H "X-Forwarded-For: 10.9.9.$2" \
    --data-urlencode "email=$1" --data-urlencode "password=Cerisier-Atelier-42" "http://127.0.0.1:$port/connexion"
  # Netscape format: 7 tab-separated fields; HttpOnly cookies are on lines starting #HttpOnly_.
  awk -F'\t' '(!/^#/ || /^#HttpOnly_/) && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"
}
company_cookie="Cookie: $(sign_in rh@interim-demo.fr 1)"
staff_cookie="Cookie: $(sign_in gestionnaire@opco-demo.fr 2)"
company_id=$(curl -fs -H "$company_cookie" "http://127.0.0.1:$port/entreprises" | grep -o '/entreprises/[0-9]*' | head -1 | cut -d/ -f3)
establishment_id=$(curl -fs -H "$company_cookie" "http://127.0.0.1:$port/entreprises/$company_id/dossiers/nouveau?dispositif=PDC50" |
  grep -o 'name="establishment"[^>]*>\|<option value="[0-9]*"' | grep -o '[0-9]\+' | head -1)
list_url="http://127.0.0.1:$port/entreprises/$company_id/dossiers"
queue_url="http://127.0.0.1:$port/gestion/dossiers"
curl -fs -o /dev/null -H "$company_cookie" "$list_url" || { echo "la liste des dossiers ne répond pas" >&2; exit 1; }
curl -fs -o /dev/null -H "$staff_cookie" "$queue_url" || { echo "la file des dossiers ne répond pas" >&2; exit 1; }

day=$(date -d '+60 days' +%Y-%m-%d)
end=$(date -d '+64 days' +%Y-%m-%d)
draft_body="establishment=$establishment_id&scheme=PDC50&public=temporary&title=Brouillon+de+charge&provider_name=Institut+Formation+Nord&provider_siret=55210055400013&provider_nda=31590000059&training_start=$day&training_end=$end&hours=35&cost=2400&requested=2400&trainees=L%C3%A9a+Moreau&action=draft"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$company_cookie" -H "Origin: http://127.0.0.1:$port" \
  --data "$draft_body" "http://127.0.0.1:$port/entreprises/$company_id/dossiers/nouveau")
[ "$status" = 303 ] || { echo "l’enregistrement d’un brouillon répond $status" >&2; exit 1; }
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BENCH_BODY")
LUA

# wrk_run CONNECTIONS URL [wrk options…]: prints "req/s p99_ms non2xx3xx"
wrk_run() {
  local conns="$1" url="$2"
  shift 2
  wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" "$url" >"$work/wrk.out" 2>&1 || true
  local rps p99 bad
  rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; print v }' "$work/wrk.out")
  bad=$(awk '/Non-2xx or 3xx/ { print $5 }' "$work/wrk.out")
  echo "${rps:-0} ${p99:-0} ${bad:-0}"
}

declare -A sum
measure() {
  local name="$1" side="$2" out
  shift 2
  out=$(wrk_run "$@")
  read -r rps p99 bad <<<"$out"
  printf '  %-6s %-9s %9.0f req/s  p99 %8.1f ms  hors 2xx/3xx %s\n' "$name" "$side" "$rps" "$p99" "$bad"
  sum["$name.$side.rps"]=$(echo "${sum["$name.$side.rps"]:-0} + $rps" | bc -l)
  sum["$name.$side.p99"]=$(echo "${sum["$name.$side.p99"]:-0} + $p99" | bc -l)
}

for rep in $(seq 1 "$reps"); do
  echo "répétition $rep"
  measure liste portail 64 "$list_url" -H "$company_cookie"
  measure liste brut 64 "http://127.0.0.1:$base_port/dossiers?company=$company_id"
  BENCH_BODY="$draft_body" measure brouil portail 64 "http://127.0.0.1:$port/entreprises/$company_id/dossiers/nouveau" \
    -H "$company_cookie" -H "Origin: http://127.0.0.1:$port" -s "$work/post.lua"
  BENCH_BODY="company=$company_id&establishment=$establishment_id" measure brouil brut 64 "http://127.0.0.1:$base_port/draft" \
    -s "$work/post.lua"
  measure file portail 16 "$queue_url" -H "$staff_cookie"
  measure file brut 16 "http://127.0.0.1:$base_port/queue"
done
echo "== moyennes sur $reps répétitions ($backend, $dossiers dossiers)"
for name in liste brouil file; do
  p_rps=$(echo "${sum["$name.portail.rps"]} / $reps" | bc -l)
  b_rps=$(echo "${sum["$name.brut.rps"]} / $reps" | bc -l)
  p_p99=$(echo "${sum["$name.portail.p99"]} / $reps" | bc -l)
  b_p99=$(echo "${sum["$name.brut.p99"]} / $reps" | bc -l)
  printf 'BENCH %-6s portail %8.0f req/s p99 %7.1f ms | brut %8.0f req/s p99 %7.1f ms | débit %5.1f %% | p99 ×%.2f\n' \
    "$name" "$p_rps" "$p_p99" "$b_rps" "$b_p99" "$(echo "100 * $p_rps / $b_rps" | bc -l)" "$(echo "$p_p99 / $b_p99" | bc -l)"
done

# Statements per request: the portal again, with the driver's statement log.
stop_portal
ESPACE_TRUST_FORWARDED_FOR=true ESPACE_LOG="warn,sqlx::query=debug" \
  target/release/espace-formation --data-dir "$data" serve --no-worker --addr "127.0.0.1:$port" >"$work/statements.log" 2>&1 &
portal_pid=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
count_statements() {
  local before after
  sleep 0.3
  before=$(grep -c 'sqlx::query' "$work/statements.log" || true)
  "$@" >/dev/null
  sleep 0.3
  after=$(grep -c 'sqlx::query' "$work/statements.log" || true)
  echo $((after - before))
}
echo "instructions SQL par requête : liste $(count_statements curl -fs -H "$company_cookie" "$list_url"), \
brouillon $(count_statements curl -s -H "$company_cookie" -H "Origin: http://127.0.0.1:$port" --data "$draft_body" "http://127.0.0.1:$port/entreprises/$company_id/dossiers/nouveau"), \
file $(count_statements curl -fs -H "$staff_cookie" "$queue_url")"
