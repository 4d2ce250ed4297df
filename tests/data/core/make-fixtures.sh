#!/bin/sh
# Builds the decision-core fixtures: keys made by the real openssl and gpg,
# gcloud-format payloads, signatures made by openssl and gpg, and the
# attestor and occurrence documents that hold them. See README.md.
# Needs openssl 3, gpg 2.2+ and python3. Run from tests/data/core.
set -eu
cd "$(dirname "$0")"
out=../attestations

# ---- PKIX keys (openssl) ------------------------------------------------
for k in p256-a p256-b; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$k.key.pem"
    openssl pkey -in "$k.key.pem" -pubout -out "$k.pub.pem"
done

# ---- PGP key (gpg, throw-away home directory) ---------------------------
home=$(mktemp -d)
trap 'gpgconf --homedir "$home" --kill all 2>/dev/null || true; rm -rf "$home"' EXIT
g() { gpg --homedir "$home" --batch --pinentry-mode loopback \
          --passphrase "" --quiet --yes "$@"; }
g --quick-generate-key 'core <core@vouch.invalid>' ed25519 sign never
g --armor --export core@vouch.invalid > pgp.pub.asc
g --quick-generate-key 'other <other@vouch.invalid>' ed25519 sign never

# ---- payloads (gcloud layout, docs/semantics.md) and signatures ----------------------
python3 - <<'PY'
import hashlib, json
a = "sha256:" + hashlib.sha256(b"vouch core image a").hexdigest()
b = "sha256:" + hashlib.sha256(b"vouch core image b").hexdigest()
def gcloud(ref, digest):
    d = {"critical": {"identity": {"docker-reference": ref},
                      "image": {"docker-manifest-digest": digest},
                      "type": "Google cloud binauthz container signature"}}
    return json.dumps(d, ensure_ascii=True, indent=2, separators=(",", ": "),
                      sort_keys=True) + "\n"
ref = "gcr.io/core-proj/app"
open("payload-a.json", "w").write(gcloud(ref, a))
open("payload-b.json", "w").write(gcloud(ref, b))
# single-line Go json.Marshal style, and the atomic (simple signing) style
open("payload-a-compact.json", "w").write(json.dumps(
    {"critical": {"identity": {"docker-reference": ref},
                  "image": {"docker-manifest-digest": a},
                  "type": "Google cloud binauthz container signature"}},
    separators=(",", ":")))
open("payload-a-atomic.json", "w").write(json.dumps(
    {"critical": {"identity": {"docker-reference": ref},
                  "image": {"docker-manifest-digest": a},
                  "type": "atomic container signature"},
     "optional": {"creator": "vouch core fixtures", "timestamp": 1700000000}},
    separators=(",", ":")))
open("digests.txt", "w").write(a + "\n" + b + "\n")
PY
for p in payload-a payload-b payload-a-compact payload-a-atomic; do
    openssl dgst -sha256 -sign p256-a.key.pem -out "$p.p256-a.sig" "$p.json"
done
openssl dgst -sha256 -sign p256-b.key.pem -out payload-a.p256-b.sig \
    payload-a.json
g -u core@vouch.invalid --armor --sign -o payload-a.pgp.asc payload-a.json
g -u other@vouch.invalid --armor --sign -o payload-a.pgp-other.asc \
    payload-a.json
fpr=$(g --with-colons --fingerprint core@vouch.invalid |
      awk -F: '/^fpr:/ { print $10; exit }')

# ---- JWS signing inputs for JWT attestations (ES256, RFC 7515) ----------
python3 - "$fpr" <<'PY'
import base64, hashlib, json, subprocess, sys
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", "p256-a.pub.pem",
                      "-outform", "DER"], capture_output=True,
                     check=True).stdout
ida = "ni:///sha-256;" + b64u(hashlib.sha256(der).digest())
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", "p256-b.pub.pem",
                      "-outform", "DER"], capture_output=True,
                     check=True).stdout
idb = "ni:///sha-256;" + b64u(hashlib.sha256(der).digest())
open("ids.txt", "w").write(ida + "\n" + idb + "\n" + sys.argv[1] + "\n")
payload = open("payload-a.json", "rb").read()
variants = {
    "es256": {"alg": "ES256", "kid": ida, "typ": "JWT"},
    "notyp": {"alg": "ES256", "kid": ida},
    "badtyp": {"alg": "ES256", "kid": ida, "typ": "JOSE"},
    "crit": {"alg": "ES256", "kid": ida, "typ": "JWT", "crit": ["exp"]},
    "badalg": {"alg": "ES384", "kid": ida, "typ": "JWT"},
    "nokid": {"alg": "ES256", "typ": "JWT"},
    "otherkid": {"alg": "ES256", "kid": idb, "typ": "JWT"},
}
for name, hdr in variants.items():
    inp = b64u(json.dumps(hdr, separators=(",", ":")).encode()) + "." + \
          b64u(payload)
    open("jwt-%s.input" % name, "w").write(inp)
PY
for f in jwt-*.input; do
    openssl dgst -sha256 -sign p256-a.key.pem -out "${f%.input}.der" "$f"
done

# ---- attestors and occurrences -----------------------------------------
python3 - <<'PY'
import base64, json
def b64(b): return base64.b64encode(b).decode()
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
rd = lambda p: open(p, "rb").read()
ida, idb, fpr = open("ids.txt").read().split()
a, b = open("digests.txt").read().split()
img_a = "gcr.io/core-proj/app@" + a

def attestor(name, note, keys):
    return {"name": "projects/core-proj/attestors/" + name,
            "userOwnedGrafeasNote": {
                "noteReference": "projects/core-proj/notes/" + note,
                "publicKeys": keys}}
def pkix(k): return {"pkixPublicKey": {
    "publicKeyPem": rd(k + ".pub.pem").decode(),
    "signatureAlgorithm": "ECDSA_P256_SHA256"}}
pgp = {"asciiArmoredPgpPublicKey": rd("pgp.pub.asc").decode()}
docs = {
    "attestor-a.json": attestor("att-a", "note-a", [pkix("p256-a")]),
    "attestor-b.json": attestor("att-b", "note-b", [pkix("p256-b")]),
    "attestor-ab.json": attestor("att-ab", "note-a",
                                 [pkix("p256-b"), pkix("p256-a")]),
    "attestor-a-keyb.json": attestor("att-a-keyb", "note-a", [pkix("p256-b")]),
    "attestor-empty.json": attestor("att-empty", "note-a", []),
    "attestor-pgp.json": attestor("att-pgp", "note-pgp", [pgp]),
}
for n, d in docs.items():
    json.dump(d, open(n, "w"), indent=2, sort_keys=True)

def occ(note, sigs=None, payload=None, jwts=None, uri=img_a, **extra):
    body = {}
    if payload is not None:
        body["serializedPayload"] = b64(payload)
    if sigs is not None:
        body["signatures"] = [{"signature": b64(s), "publicKeyId": k}
                              for s, k in sigs]
    if jwts is not None:
        body["jwts"] = [{"compactJwt": j} for j in jwts]
    d = {"name": "projects/core-proj/occurrences/" + extra.pop("oid", "1"),
         "resourceUri": uri, "noteName": "projects/core-proj/notes/" + note,
         "kind": "ATTESTATION", "attestation": body}
    d.update(extra)
    return d

def der_to_raw(der):
    # SEQUENCE { INTEGER r, INTEGER s } -> r || s, 32 bytes each
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(32, b"\0")
        i += 2 + n
    return out

def jwt(name, raw=True):
    inp = open("jwt-%s.input" % name).read()
    sig = rd("jwt-%s.der" % name)
    return inp + "." + b64u(der_to_raw(sig) if raw else sig)

pa = rd("payload-a.json")
sa = rd("payload-a.p256-a.sig")
pgp_msg = rd("payload-a.pgp.asc")
occs = {
    "a-good.json": occ("note-a", [(sa, ida)], pa),
    "a-compact.json": occ("note-a", [(rd("payload-a-compact.p256-a.sig"),
                                      ida)], rd("payload-a-compact.json")),
    "a-atomic.json": occ("note-a", [(rd("payload-a-atomic.p256-a.sig"),
                                     ida)], rd("payload-a-atomic.json")),
    "a-other-digest.json": occ("note-a", [(rd("payload-b.p256-a.sig"), ida)],
                               rd("payload-b.json")),
    "a-tampered.json": occ("note-a", [(sa, ida)],
                           pa.replace(b"core-proj", b"core-prok")),
    "a-wrong-key.json": occ("note-a", [(rd("payload-a.p256-b.sig"), ida)],
                            pa),
    "a-unknown-id.json": occ("note-a", [(sa, "ni:///sha-256;unknown")], pa),
    "a-two-sigs.json": occ("note-a", [(sa, "ni:///sha-256;unknown"),
                                      (sa, ida)], pa),
    "b-good.json": occ("note-b", [(rd("payload-a.p256-b.sig"), idb)], pa),
    "pgp-attached.json": occ("note-pgp", [(pgp_msg, fpr)]),
    "pgp-attached-payload.json": occ("note-pgp", [(pgp_msg, fpr)], pa),
    "pgp-wrong-key.json": occ("note-pgp", [(rd("payload-a.pgp-other.asc"),
                                            fpr)]),
    "pgp-attached-mismatch.json": occ("note-pgp", [(pgp_msg, fpr)],
                                      rd("payload-a-compact.json")),
    "v1beta1-generic.json": {
        "name": "projects/core-proj/occurrences/g",
        "resource": {"uri": "https://" + img_a},
        "noteName": "projects/core-proj/notes/note-a",
        "kind": "ATTESTATION",
        "attestation": {"attestation": {"genericSignedAttestation": {
            "contentType": "SIMPLE_SIGNING_JSON",
            "serializedPayload": b64(pa),
            "signatures": [{"signature": b64(sa), "publicKeyId": ida}]}}}},
    "v1beta1-pgp.json": {
        "name": "projects/core-proj/occurrences/p",
        "resource": {"uri": "https://" + img_a},
        "noteName": "projects/core-proj/notes/note-pgp",
        "kind": "ATTESTATION",
        "attestation": {"attestation": {"pgpSignedAttestation": {
            "contentType": "SIMPLE_SIGNING_JSON",
            "signature": pgp_msg.decode(), "pgpKeyId": fpr}}}},
    "jwt-es256.json": occ("note-a", jwts=[jwt("es256")]),
    "jwt-notyp.json": occ("note-a", jwts=[jwt("notyp")]),
    "jwt-badtyp.json": occ("note-a", jwts=[jwt("badtyp")]),
    "jwt-crit.json": occ("note-a", jwts=[jwt("crit")]),
    "jwt-badalg.json": occ("note-a", jwts=[jwt("badalg")]),
    "jwt-nokid.json": occ("note-a", jwts=[jwt("nokid")]),
    "jwt-otherkid.json": occ("note-a", jwts=[jwt("otherkid")]),
    "jwt-der.json": occ("note-a", jwts=[jwt("es256", raw=False)]),
}
for n, d in occs.items():
    json.dump(d, open("../attestations/" + n, "w"), indent=2,
              sort_keys=True)
    open("../attestations/" + n, "a").write("\n")
json.dump([occs["a-good.json"], occs["b-good.json"]],
          open("../attestations/list-array.json", "w"), indent=2)
json.dump({"occurrences": [occs["a-good.json"], occs["b-good.json"]],
           "nextPageToken": ""},
          open("../attestations/list-occurrences.json", "w"), indent=2)
PY

# YAML form of the good occurrence (block style, as a person writes it).
python3 - <<'PY'
import json
d = json.load(open("../attestations/a-good.json"))
body = d["attestation"]
s = body["signatures"][0]
open("../attestations/a-good.yaml", "w").write(
    "# a-good.json, written as YAML\n"
    "name: %s\nresourceUri: %s\nnoteName: %s\nkind: ATTESTATION\n"
    "attestation:\n  serializedPayload: %s\n  signatures:\n"
    "  - signature: %s\n    publicKeyId: '%s'\n" % (
        d["name"], d["resourceUri"], d["noteName"],
        body["serializedPayload"], s["signature"], s["publicKeyId"]))
PY
rm -f jwt-*.der jwt-*.input
