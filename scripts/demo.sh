#!/bin/sh
# `make run`: the five-minute walkthrough of README.md, run for real with
# the freshly built `vouch` (the vouchd server is not built yet; when it is,
# this script will start it with its embedded SQLite store).
set -eu
BUILD=${1:-build}
VOUCH="$(cd "$(dirname "$0")/.." && pwd)/$BUILD/src/cli/vouch"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

IMAGE=us-docker.pkg.dev/my-project/repo/app@sha256:$(printf 'demo' |
    sha256sum | cut -c1-64)

echo "vouch demo: a policy that requires an attestation, a key made with"
echo "openssl, a signature, and two decisions (in $work)."

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
run cat attestor.yaml

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
run cat occurrence.json

run "$VOUCH" evaluate --policy policy.yaml --attestor attestor.yaml \
    --attestation occurrence.json "$IMAGE"
echo
echo "vouch demo: done. See README.md for what each step means."
