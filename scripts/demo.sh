#!/bin/sh
# `make run`: start vouchd with its embedded SQLite store (./var/vouch.db)
# and walk through a demo against it, then leave it running.
#
#   1. offline: a policy, a key made by openssl, a signature, two
#      decisions with `vouch evaluate` (the README's walkthrough);
#   2. online: a local docker-registry with one image, vouchd on
#      127.0.0.1:8080, an attestor, a policy that requires attestations, a
#      deploy that is denied (and audited), an attestation, a deploy that
#      succeeds, and the audit log.
#
# VOUCH_DEMO_EXIT=1 stops everything at the end instead of waiting;
# VOUCH_DEMO_PORT and VOUCH_DEMO_STORE override 8080 and ./var/vouch.db
# (tests/e2e/test_demo.py runs it that way).
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOUCH="$ROOT/$BUILD/src/cli/vouch"
VOUCHD="$ROOT/$BUILD/src/daemon/vouchd"
PORT=${VOUCH_DEMO_PORT:-8080}
STORE=${VOUCH_DEMO_STORE:-$ROOT/var/vouch.db}
work=$(mktemp -d)
chmod 755 "$work"
pids=""

cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cd "$work"
IMAGE=us-docker.pkg.dev/my-project/repo/app@sha256:$(printf 'demo' |
    sha256sum | cut -c1-64)

echo "== 1. offline: a policy, a key, a signature, two decisions"
cat > policy.yaml <<YAML
admissionWhitelistPatterns:
- namePattern: us-central1-docker.pkg.dev/my-project/cloud-run-source-deploy/**
defaultAdmissionRule:
  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
  evaluationMode: REQUIRE_ATTESTATION
  requireAttestationsBy:
  - projects/my-project/attestors/built-by-ci
globalPolicyEvaluationMode: ENABLE
name: projects/my-project/policy
YAML
run cat policy.yaml
run "$VOUCH" policy validate policy.yaml
run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ci.pem
run openssl pkey -in ci.pem -pubout -out ci.pub.pem
run "$VOUCH" keys id ci.pub.pem
{
    echo "name: projects/my-project/attestors/built-by-ci"
    echo "userOwnedGrafeasNote:"
    echo "  noteReference: projects/my-project/notes/built-by-ci"
    echo "  publicKeys:"
    echo "  - pkixPublicKey:"
    echo "      signatureAlgorithm: ECDSA_P256_SHA256"
    echo "      publicKeyPem: |"
    sed 's/^/        /' ci.pub.pem
} > attestor.yaml
say "$VOUCH evaluate --format text --policy policy.yaml --attestor attestor.yaml $IMAGE"
"$VOUCH" evaluate --format text --policy policy.yaml \
    --attestor attestor.yaml "$IMAGE" || echo "(exit status $?: denied)"
run "$VOUCH" attestations create-signature-payload --artifact-url "$IMAGE"
"$VOUCH" attestations create-signature-payload --artifact-url "$IMAGE" \
    > payload.json
run openssl dgst -sha256 -sign ci.pem -out payload.sig payload.json
KEY_ID=$("$VOUCH" keys id ci.pub.pem)
cat > occurrence.json <<JSON
{
  "kind": "ATTESTATION",
  "noteName": "projects/my-project/notes/built-by-ci",
  "resourceUri": "$IMAGE",
  "attestation": {
    "serializedPayload": "$(base64 -w0 payload.json)",
    "signatures": [{"publicKeyId": "$KEY_ID",
                    "signature": "$(base64 -w0 payload.sig)"}]
  }
}
JSON
run "$VOUCH" evaluate --format text --policy policy.yaml \
    --attestor attestor.yaml --attestation occurrence.json "$IMAGE"

echo
echo "== 2. online: vouchd with its embedded SQLite store"
REG_PORT=$(free_port)
mkdir -p registry
cat > registry/config.yml <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:$REG_PORT
YAML
mkdir -p registry/data
if [ "$(id -u)" -eq 0 ]; then
    chown -R nobody registry
    runuser -u nobody -- /usr/bin/docker-registry serve registry/config.yml \
        > registry/log 2>&1 &
else
    /usr/bin/docker-registry serve registry/config.yml > registry/log 2>&1 &
fi
pids="$pids $!"
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$REG_PORT/v2/" >/dev/null && break
    sleep 0.1
done
say "push 127.0.0.1:$REG_PORT/demo/app:1.0 to a local docker-registry"
DIGEST=$(python3 "$ROOT/tests/registry/harness.py" push \
    "127.0.0.1:$REG_PORT" demo/app 1.0 oci 1)
APP="127.0.0.1:$REG_PORT/demo/app"
echo "$APP:1.0 is $DIGEST"

mkdir -p "$(dirname "$STORE")"
# The local registry speaks plain http on loopback: vouchd reaches such a
# registry only when it is named (docs/registry.md, "Which addresses").
say "$VOUCHD --store sqlite:$STORE --listen 127.0.0.1:$PORT --registry-insecure 127.0.0.1:$REG_PORT"
"$VOUCHD" --store "sqlite:$STORE" --listen "127.0.0.1:$PORT" \
    --registry-insecure "127.0.0.1:$REG_PORT" \
    --access-log "$work/access.log" &
pids="$pids $!"
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done
# A project of its own for each run, so the demo can run again on the
# same ./var/vouch.db.
P=demo-$(date +%Y%m%d-%H%M%S)
export VOUCH_SERVER="http://127.0.0.1:$PORT" VOUCH_PROJECT="$P"
N="projects/$P/notes/built-by-ci"
A="projects/$P/attestors/built-by-ci"
sed "s/my-project/$P/g" policy.yaml > online-policy.yaml

run "$VOUCH" notes create "$N"
run "$VOUCH" attestors create "$A" --attestation-authority-note "$N"
run "$VOUCH" attestors public-keys add --attestor "$A" \
    --pkix-public-key-file ci.pub.pem
run "$VOUCH" policy import online-policy.yaml
say "$VOUCH run deploy web --image $APP:1.0 --binary-authorization default"
"$VOUCH" run deploy web --image "$APP:1.0" --binary-authorization default \
    || echo "(exit status $?: denied, and written to the audit log)"
run "$VOUCH" attestations sign-and-create --artifact-url "$APP@$DIGEST" \
    --attestor "$A" --private-key ci.pem --validate
run "$VOUCH" run deploy web --image "$APP:1.0" --binary-authorization default
run "$VOUCH" run revisions list --service web
run "$VOUCH" logs read --limit 5 \
    'protoPayload.response.status.conditions.reason="ContainerImageUnauthorized"'

echo
echo "vouch demo: done. vouchd is serving http://127.0.0.1:$PORT (store"
echo "$STORE); try: VOUCH_SERVER=http://127.0.0.1:$PORT $VOUCH run services list --project $P"
if [ "${VOUCH_DEMO_EXIT:-0}" = 1 ]; then
    echo "The console: http://127.0.0.1:$PORT/console/#/overview?project=$P"
    exit 0
fi
echo "Press Ctrl-C to stop it. The console:"
echo "http://127.0.0.1:$PORT/console/#/overview?project=$P"
wait
