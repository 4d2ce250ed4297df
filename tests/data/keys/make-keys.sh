#!/bin/sh
# Regenerate the key fixtures of tests/data/keys/ (see README.md).
# Needs openssl (3.x), gpg (2.2+) and python3. Run from this directory.
set -eu
umask 077

# ---- PKIX: one private key per size/curve, PKCS#8, and its SPKI ----------
for bits in 2048 3072 4096; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits \
        -out rsa$bits.key.pem
    openssl pkey -in rsa$bits.key.pem -pubout -out rsa$bits.pub.pem
done
for c in 256 384 521; do
    case $c in
        256) curve=P-256 ;;
        384) curve=P-384 ;;
        521) curve=P-521 ;;
    esac
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$curve \
        -pkeyopt ec_param_enc:named_curve -out p$c.key.pem
    openssl pkey -in p$c.key.pem -pubout -out p$c.pub.pem
done
# Traditional ("RSA PRIVATE KEY", "EC PRIVATE KEY") forms.
openssl pkey -in rsa2048.key.pem -traditional -out rsa2048.trad.key.pem
openssl pkey -in p256.key.pem -traditional -out p256.trad.key.pem
# An encrypted private key (passphrase "x"), which vouch refuses.
openssl pkey -in p256.key.pem -aes256 -passout pass:x -out p256.enc.key.pem
# Keys no Binary Authorization algorithm accepts.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out rsa1024.key.pem
openssl pkey -in rsa1024.key.pem -pubout -out rsa1024.pub.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 \
    -out k256.key.pem
openssl pkey -in k256.key.pem -pubout -out k256.pub.pem
openssl genpkey -algorithm ED25519 -out ed25519.key.pem
openssl pkey -in ed25519.key.pem -pubout -out ed25519.pub.pem
# PKCS#1 "RSA PUBLIC KEY" (not an SPKI).
openssl pkey -in rsa2048.key.pem -pubout -out - |
    openssl rsa -pubin -RSAPublicKey_out -out rsa2048.pkcs1.pub.pem

# ---- PKIX signatures over payload.txt, made by openssl -------------------
printf 'vouch test payload\n' > payload.txt
openssl dgst -sha256 -sign rsa2048.key.pem -out rsa2048.pkcs1.sig payload.txt
openssl dgst -sha512 -sign rsa4096.key.pem -out rsa4096.pkcs1-sha512.sig \
    payload.txt
# PSS, salt = digest length and salt = maximum.
openssl dgst -sha256 -sign rsa2048.key.pem -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:digest -out rsa2048.pss-digest.sig payload.txt
openssl dgst -sha256 -sign rsa2048.key.pem -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:max -out rsa2048.pss-max.sig payload.txt
openssl dgst -sha512 -sign rsa4096.key.pem -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:max -out rsa4096.pss-sha512-max.sig payload.txt
openssl dgst -sha256 -sign p256.key.pem -out p256.sig payload.txt
openssl dgst -sha384 -sign p384.key.pem -out p384.sig payload.txt
openssl dgst -sha512 -sign p521.key.pem -out p521.sig payload.txt

# ---- JWS (RFC 7515 compact) made with openssl ----------------------------
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
jws() { # $1 alg, $2 key, $3 dgst opts, $4 output
    h=$(printf '{"alg":"%s","typ":"JWT"}' "$1" | b64url)
    p=$(printf '{"sub":"vouch"}' | b64url)
    printf '%s.%s' "$h" "$p" > "$4.input"
    # shellcheck disable=SC2086
    openssl dgst $3 -sign "$2" -out "$4.der" "$4.input"
}
jws ES256 p256.key.pem -sha256 jws-es256
jws ES384 p384.key.pem -sha384 jws-es384
jws ES512 p521.key.pem -sha512 jws-es512
jws RS256 rsa2048.key.pem -sha256 jws-rs256
jws PS256 rsa2048.key.pem \
    "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" \
    jws-ps256
for f in jws-rs256 jws-ps256; do mv $f.der $f.sig; done
# ES*: DER -> raw r||s (RFC 7518 §3.4) with openssl asn1parse.
for n in es256:32 es384:48 es512:66; do
    name=jws-${n%%:*}
    size=${n##*:}
    openssl asn1parse -inform DER -in $name.der |
        awk -F: '/INTEGER/ { print $NF }' |
        python3 -c "import sys
size = $size
out = b''.join(bytes.fromhex(l.strip()).rjust(size, b'\0')
               for l in sys.stdin if l.strip())
sys.stdout.buffer.write(out)" > $name.sig
    rm $name.der
done

# ---- OpenPGP: primary (certify only) + signing subkey, no passphrase -----
home=$(mktemp -d)
trap 'gpgconf --homedir "$home" --kill all 2>/dev/null || true; rm -rf "$home"' EXIT
g() { gpg --homedir "$home" --batch --pinentry-mode loopback \
          --passphrase '' "$@"; }
g --quick-gen-key 'vouch test <test@vouch.invalid>' ed25519 cert never
fpr=$(g --list-keys --with-colons test@vouch.invalid |
      awk -F: '/^fpr/ { print $10; exit }')
g --quick-add-key "$fpr" ed25519 sign never
g --quick-gen-key 'vouch other <other@vouch.invalid>' rsa2048 sign,cert never
g --armor --export test@vouch.invalid > pgp.pub.asc
g --armor --export other@vouch.invalid > pgp-other.pub.asc
g --armor --export test@vouch.invalid other@vouch.invalid > pgp-two.pub.asc
sed 's/$/\r/' pgp.pub.asc > pgp.pub.crlf.asc
g --export test@vouch.invalid > pgp.pub.gpg
g --armor --export-secret-keys test@vouch.invalid > pgp.secret.asc
# Attached and detached signatures over payload.txt (made by the subkey).
g -u test@vouch.invalid --armor --sign -o pgp.attached.asc payload.txt
g -u test@vouch.invalid --sign -o pgp.attached.gpg payload.txt
g -u test@vouch.invalid --armor --detach-sign -o pgp.detached.asc payload.txt
g -u test@vouch.invalid --detach-sign -o pgp.detached.gpg payload.txt
g -u other@vouch.invalid --armor --sign -o pgp-other.attached.asc payload.txt
# A signature that expires one second after it is made.
g -u test@vouch.invalid --default-sig-expire seconds=1 --armor --sign \
    -o pgp.expired-sig.asc payload.txt
sleep 2
# A key that has expired since it signed: made and used in 2020, 1y expiry.
g --faked-system-time 20200101T000000 \
    --quick-gen-key 'vouch expired <expired@vouch.invalid>' ed25519 \
    sign,cert 1y
g --faked-system-time 20200201T000000 -u expired@vouch.invalid --armor \
    --sign -o pgp-expired.attached.asc payload.txt
g --armor --export expired@vouch.invalid > pgp-expired.pub.asc
# A plain literal-data message with no signature.
g --armor --store -o pgp.unsigned.asc payload.txt
rm -f pgp.secret.asc
