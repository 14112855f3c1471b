#!/usr/bin/env bash
# Benchmark of `espace-formation import legacy-dossiers` (SPEC M3; issue: a million rows in at most
# twice the time sqlite3's own `.import` takes on the same file, under 300 MB of memory).
#
#   scripts/bench-legacy-dossiers.sh [ROWS]      (default 1000000)
#
# Generates a realistic export (1 000 companies, 3 establishments each, quoted titles with `;` and
# `"`, a third of the dossiers closed before 2022), then times on fresh SQLite files:
#   1. sqlite3's `.import` of the file into a plain table (the reference),
#   2. our import with --create-companies (parsing, checks, M2 filter, company lookups, upserts),
#   3. our import again on the same file (everything unchanged).
# Needs sqlite3 and GNU time (Debian packages sqlite3 and time).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
echo "Binaire prêt."
bin="target/release/espace-formation"

python3 - "$rows" "$work/dossiers.csv" <<'PY'
import random, sys
rows, path = int(sys.argv[1]), sys.argv[2]
random.seed(42)
def luhn_ok(s):
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9: d -= 9
        total += d
    return total % 10 == 0
def with_key(prefix):
    for k in range(10):
        if luhn_ok(prefix + str(k)): return prefix + str(k)
companies = []
n = 100000000
while len(companies) < 1000:
    siren = with_key(str(n)[:8]); n += 137
    sirets = []
    nic = 1
    while len(sirets) < 3:
        for k in range(10):
            cand = siren + f"{nic:04d}" + str(k)
            if luhn_ok(cand): sirets.append(cand); break
        nic += 1
    companies.append((siren, sirets))
schemes = ["PDC50", "CIPI", "CDPI", "CPNSST", "PRO", "CAR", "APP", "POEC", "PICIAE"]
titles = ["Habilitation électrique; B1V", 'Soudeur "TIG" niveau 2', "Cariste CACES R489", "Sauveteur secouriste du travail", "Titre pro Préparateur de commandes"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("numero;siren;siret;dispositif;financeur;intitule;organisme_siret;date_debut;date_fin;nb_stagiaires;montant_engage;montant_regle;clos;date_dernier_mouvement\r\n")
    for i in range(rows):
        siren, sirets = companies[i % len(companies)]
        title = titles[i % len(titles)]
        quoted = '"' + title.replace('"', '""') + '"'
        year = 2019 + (i % 7)
        closed = "oui" if i % 3 else "non"
        last = f"{1 + i % 28:02d}/{1 + i % 12:02d}/{year}"
        amount = f"{(i % 9000) + 100} {i % 1000:03d},{i % 100:02d}"
        f.write(f"MDA-{year}-{i:07d};{siren};{sirets[i % 3]};{schemes[i % 9]};{'AKTO' if i % 2 else 'FPETT'};{quoted};;"
                f"{1 + i % 28:02d}/01/{year};{1 + i % 28:02d}/06/{year};{1 + i % 12};{amount};{amount};{closed};{last}\r\n")
PY
echo "Fichier : $rows lignes, $(du -h "$work/dossiers.csv" | cut -f1)"

seconds() { awk '/Elapsed \(wall clock\)/ {split($NF, t, ":"); if (length(t) == 3) print t[1]*3600 + t[2]*60 + t[3]; else print t[1]*60 + t[2]}' "$1"; }
rss_mb() { awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$1"; }

/usr/bin/time -v sqlite3 "$work/reference.db" ".mode csv" ".separator ;" ".import $work/dossiers.csv legacy" 2> "$work/ref.time"
ref=$(seconds "$work/ref.time")
echo "sqlite3 .import : ${ref} s, $(rss_mb "$work/ref.time") Mo"

/usr/bin/time -v "$bin" --data-dir "$work/data" import legacy-dossiers "$work/dossiers.csv" --create-companies --json > "$work/first.json" 2> "$work/first.time"
first=$(seconds "$work/first.time")
echo "espace-formation (1re fois) : ${first} s, $(rss_mb "$work/first.time") Mo — $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['imported'], 'importées,', r['skipped'], len(r['errors']), 'erreurs')" "$work/first.json")"

/usr/bin/time -v "$bin" --data-dir "$work/data" import legacy-dossiers "$work/dossiers.csv" --create-companies --json > "$work/second.json" 2> "$work/second.time"
second=$(seconds "$work/second.time")
echo "espace-formation (2e fois) : ${second} s, $(rss_mb "$work/second.time") Mo — $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['imported'], 'importées,', r['unchanged'], 'inchangées')" "$work/second.json")"

python3 -c "import sys; ref, first = float(sys.argv[1]), float(sys.argv[2]); print(f'Rapport : {first / ref:.2f} × le temps de sqlite3 (objectif ≤ 2)')" "$ref" "$first"
