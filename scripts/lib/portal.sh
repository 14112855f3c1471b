# Sourced by the fault and timing scripts: builds the release binary and starts the portal on a
# fresh data directory, behind the loopback, trusting X-Forwarded-For (so that each simulated
# client has its own address and the per-address form limit does not step in), and stops it and
# removes the directory on exit.
#
#   start_portal PORT DATA_DIR [serve options…]     sets $portal_pid; the log is in $work/portal.log
#
# The caller sets $work (a temporary directory, removed on exit) before calling.

portal_pid=""
on_exit_extra=""

stop_portal() {
  if [ -n "$portal_pid" ] && kill "$portal_pid" 2>/dev/null; then
    wait "$portal_pid" 2>/dev/null || true
  fi
  portal_pid=""
}

cleanup_portal() {
  stop_portal
  if [ -n "$on_exit_extra" ]; then eval "$on_exit_extra"; fi
  rm -rf "$work"
}
trap cleanup_portal EXIT

start_portal() {
  local port="$1" data="$2"
  shift 2
  cargo build --release --quiet
  ESPACE_TRUST_FORWARDED_FOR=true ESPACE_LOG=warn \
    target/release/espace-formation --data-dir "$data" serve --addr "127.0.0.1:$port" "$@" >"$work/portal.log" 2>&1 &
  portal_pid=$!
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  cat "$work/portal.log" >&2
  echo "le portail n’a pas démarré" >&2
  exit 1
}
