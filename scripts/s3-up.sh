#!/usr/bin/env bash
# Starts a throwaway S3-compatible server for tests: a single-node Ceph cluster (one monitor, one
# in-memory OSD) plus radosgw on 127.0.0.1:17480, with an S3 user AK/SK and a bucket for tests.
# Usage: scripts/s3-up.sh <dir>   (stop with scripts/s3-down.sh <dir>)
# Prints the environment the tests read as `export` lines on stdout; progress goes to stderr.
set -euo pipefail
D=${1:?usage: scripts/s3-up.sh <dir>}
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=17480
MON_PORT=13300
BUCKET=${AILAKE_S3_BUCKET:-ailake-test}
log() { echo "s3-up: $*" >&2; }

for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl node; do
  command -v "$bin" >/dev/null || { log "missing $bin; install: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl"; exit 1; }
done

# A previous run in the same directory (or a crashed one) may still hold the ports.
"$HERE/s3-down.sh" "$D" >&2 || true
for port in $PORT $MON_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    log "port $port on 127.0.0.1 is in use by another process; stop it (scripts/s3-down.sh <its dir>) and retry"; exit 1
  fi
done

D=$(mkdir -p "$D" && cd "$D" && pwd)
rm -rf "${D:?}"/{mon,osd0,rgw,run,log,ceph.conf,monmap,*.keyring}
mkdir -p "$D"/{mon,osd0,rgw,run,log}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
keyring = $D/\$name.keyring
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
public addr = 127.0.0.1
mon data avail warn = 1
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
CONF
C=(-c "$D/ceph.conf")
fail() { log "$*; logs in $D/log"; tail -n 15 "$D"/log/*.log >&2 2>/dev/null || true; exit 1; }

log "starting monitor"
ceph-authtool --create-keyring "$D/mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$D/client.admin.keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$D/mon.a.keyring" --import-keyring "$D/client.admin.keyring" >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.a.keyring" || fail "ceph-mon --mkfs failed"
ceph-mon "${C[@]}" -i a || fail "ceph-mon did not start"

log "starting OSD"
ID=$(timeout 60 ceph "${C[@]}" osd create) || fail "monitor did not answer"
ceph "${C[@]}" auth get-or-create "osd.$ID" mon 'allow profile osd' osd 'allow *' -o "$D/osd.$ID.keyring"
ceph "${C[@]}" osd crush add-bucket localhost host >/dev/null
ceph "${C[@]}" osd crush move localhost root=default >/dev/null
ceph-osd "${C[@]}" -i "$ID" --mkfs 2>/dev/null || fail "ceph-osd --mkfs failed"
ceph "${C[@]}" osd crush add "osd.$ID" 1.0 host=localhost >/dev/null
ceph-osd "${C[@]}" -i "$ID" || fail "ceph-osd did not start"

log "starting radosgw on 127.0.0.1:$PORT"
ceph "${C[@]}" auth get-or-create client.rgw mon 'allow rw' osd 'allow rwx' -o "$D/client.rgw.keyring"
radosgw "${C[@]}" -n client.rgw || fail "radosgw did not start"
ok=
for _ in $(seq 1 90); do
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || fail "radosgw did not answer on port $PORT within 90 s"
radosgw-admin "${C[@]}" user create --uid=test --display-name=test --access-key=AK --secret=SK >/dev/null 2>&1 \
  || radosgw-admin "${C[@]}" user info --uid=test >/dev/null || fail "could not create the S3 user"

# Create the test bucket with the SDK (radosgw rejects curl's SigV4); retry while the gateway warms up.
cd "$HERE/.."
node --input-type=module -e '
const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3")
const c = new S3Client({ endpoint: process.argv[1], region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "AK", secretAccessKey: "SK" } })
let last
for (let i = 0; i < 30; i++) {
  try { await c.send(new CreateBucketCommand({ Bucket: process.argv[2] })); process.exit(0) } catch (e) {
    if (e.name === "BucketAlreadyOwnedByYou" || e.name === "BucketAlreadyExists") process.exit(0)
    last = e; await new Promise((r) => setTimeout(r, 1000))
  }
}
console.error("s3-up: CreateBucket failed:", last?.name, last?.message); process.exit(1)
' "http://127.0.0.1:$PORT" "$BUCKET" || fail "could not create bucket $BUCKET"
log "ready: bucket $BUCKET at http://127.0.0.1:$PORT"
cat <<ENV
export AILAKE_S3_ENDPOINT=http://127.0.0.1:$PORT
export AILAKE_S3_REGION=us-east-1
export AILAKE_S3_ACCESS_KEY_ID=AK
export AILAKE_S3_SECRET_ACCESS_KEY=SK
export AILAKE_S3_BUCKET=$BUCKET
ENV
