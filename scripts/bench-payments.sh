#!/usr/bin/env bash
# Benchmark of a payment run (issue 6): 100 000 approved invoices of 1 000 companies paid by one
# run, then the SEPA file exported and validated, then the same slot run again (nothing to do).
#
#   scripts/bench-payments.sh [INVOICES]        (default 100000)
#
# On SQLite by default; with ESPACE_TEST_POSTGRES=postgres://… on a fresh PostgreSQL database.
# Prints one line starting with BENCH: run and export times, resident memory before and after the
# run and the process's peak (the test harness and the seeding included).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_INVOICES="${1:-100000}" cargo test --release -p espace-app --test it -- --ignored --nocapture \
  benchmark_a_run_over_100_000_approved_invoices 2>&1 | grep -E "BENCH|test result|panicked"
