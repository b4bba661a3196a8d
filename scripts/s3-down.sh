#!/usr/bin/env bash
# Stops the daemons scripts/s3-up.sh started in <dir>, waiting until they have exited.
# Usage: scripts/s3-down.sh <dir>
set -uo pipefail
D=${1:?usage: scripts/s3-down.sh <dir>}
[ -d "$D/run" ] || exit 0
pids=()
for f in "$D"/run/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f" 2>/dev/null) || continue
  # Only signal a pid that is still one of our ceph daemons (pids are reused after exit).
  if [ -n "$pid" ] && grep -qE 'ceph-mon|ceph-osd|radosgw' "/proc/$pid/comm" 2>/dev/null; then
    kill "$pid" 2>/dev/null && pids+=("$pid")
  fi
  rm -f "$f"
done
for pid in "${pids[@]}"; do
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
done
exit 0
