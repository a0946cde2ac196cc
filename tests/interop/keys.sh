#!/usr/bin/env bash
# keys.sh DIR - make the X.509/PSK test fixtures for the interop and tool tests
# into DIR with the openssl CLI. Idempotent (a finished DIR is left alone; a
# stamp file records the fixture version), safe to run concurrently on the
# same DIR (flock), fast (EC keys only, ~1 s), silent on success. On failure
# it prints the openssl output and exits non-zero.
#
# Every key is EC; certificates are signed with ecdsa-with-SHA256 unless
# stated. Keys: <name>.key is SEC1 PEM ("EC PRIVATE KEY", what libcoap -M and
# mbedtls_peer take), <name>.pk8.key the PKCS#8 copy (gnutls --rawpkkeyfile).
# Leaves carry extendedKeyUsage serverAuth,clientAuth so each can play either
# role. The good certificates are valid for 10 years from creation.
#
# Good fixtures:
#   ca.key ca.crt            P-256 root "coapsec Test CA" (CA:TRUE, keyCertSign)
#   server.key server.crt    P-256, CN=localhost, SAN DNS:localhost, IP:127.0.0.1,
#                            IP:::1, keyUsage digitalSignature (critical)
#   client.key client.crt    P-256, CN=coapsec-test-client, SAN DNS:coapsec-test-client
#   {server,client}.pub.pem  SubjectPublicKeyInfo PEM (RFC 7250 raw public key)
#   {server,client}.pub.der  SubjectPublicKeyInfo DER (the bytes sent on the wire)
#   gnutls-psk.txt           "Client_identity:73656372657450534b" (key = "secretPSK")
# Negative fixtures (all P-256 leaves with the server's names unless stated):
#   expired.{key,crt}        valid 2020-01-01 .. 2021-01-01 only, issued by ca
#   notyet.{key,crt}         valid from 2099-01-01, issued by ca
#   rogue-ca.{key,crt}       an unrelated P-256 root "coapsec Rogue CA"
#   rogue.{key,crt}          leaf issued by rogue-ca (unknown CA for ca.crt)
#   p384-int.{key,crt}       intermediate CA with a P-384 key, issued by ca
#   p384-leaf.{key,crt}      leaf issued by p384-int (its signature is made by
#                            the P-384 key, ecdsa-with-SHA256)
#   p384-leaf-chain.crt      p384-leaf.crt followed by p384-int.crt
#   keyagree.{key,crt}       keyUsage keyAgreement only (no digitalSignature)
#   otherhost.{key,crt}      CN=otherhost, SAN DNS:otherhost only, issued by ca
set -u

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: keys.sh DIR" >&2
    exit 2
fi
DIR=$1
STAMP_VERSION="coapsec-keys v1"

mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd) || exit 1

# Serialise concurrent runs on the same DIR.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$DIR/.keys.lock" || exit 1
    flock 9 || exit 1
fi
if [ -f "$DIR/.keys-done" ] && [ "$(cat "$DIR/.keys-done")" = "$STAMP_VERSION" ]; then
    exit 0
fi

WORK=$(mktemp -d "$DIR/.keys-tmp.XXXXXX") || exit 1
LOG=$WORK/openssl.log
trap 'rm -rf "$WORK"' EXIT

fail() {
    echo "keys.sh: $*" >&2
    [ -s "$LOG" ] && cat "$LOG" >&2
    exit 1
}
run() {
    "$@" >>"$LOG" 2>&1 || fail "failed: $*"
}

SERIAL=4096
cd "$WORK" || exit 1

# ec_key NAME CURVE: SEC1 key plus its PKCS#8 copy.
ec_key() {
    run openssl ecparam -name "$2" -genkey -noout -out "$1.key"
    run openssl pkcs8 -topk8 -nocrypt -in "$1.key" -out "$1.pk8.key"
}

# root_ca NAME CN
root_ca() {
    ec_key "$1" prime256v1
    run openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" -out "$1.crt"
}

# sign NAME ISSUER CN EXTENSIONS: certificate for NAME.key issued by ISSUER.
sign() {
    SERIAL=$((SERIAL + 1))
    printf '%b' "$4" >"$1.ext"
    run openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    run openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -set_serial "$SERIAL" \
        -sha256 -days 3650 -extfile "$1.ext" -out "$1.crt"
}

# sign_dated NAME ISSUER CN EXTENSIONS START END: like sign, fixed validity
# (YYYYMMDDHHMMSSZ), through `openssl ca` since `x509 -req` cannot backdate.
sign_dated() {
    SERIAL=$((SERIAL + 1))
    printf '%b' "$4" >"$1.ext"
    run openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    mkdir -p "ca-$1" && : >"ca-$1/index.txt" && printf '%X\n' "$SERIAL" >"ca-$1/serial"
    cat >"ca-$1/ca.cnf" <<EOF
[ ca ]
default_ca = tca
[ tca ]
dir = $WORK/ca-$1
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
EOF
    run openssl ca -batch -notext -config "ca-$1/ca.cnf" -cert "$2.crt" -keyfile "$2.key" \
        -startdate "$5" -enddate "$6" -extfile "$1.ext" -in "$1.csr" -out "$1.crt"
}

LEAF='basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nextendedKeyUsage=serverAuth,clientAuth\n'
DS='keyUsage=critical,digitalSignature\n'
HOSTS='subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n'

root_ca ca "coapsec Test CA"
ec_key server prime256v1
sign server ca localhost "$LEAF$DS$HOSTS"
ec_key client prime256v1
sign client ca coapsec-test-client "${LEAF}${DS}subjectAltName=DNS:coapsec-test-client\n"
for n in server client; do
    run openssl pkey -in "$n.key" -pubout -out "$n.pub.pem"
    run openssl pkey -in "$n.key" -pubout -outform DER -out "$n.pub.der"
done
echo "Client_identity:73656372657450534b" >gnutls-psk.txt

ec_key expired prime256v1
sign_dated expired ca localhost "$LEAF$DS$HOSTS" 20200101000000Z 20210101000000Z
ec_key notyet prime256v1
sign_dated notyet ca localhost "$LEAF$DS$HOSTS" 20990101000000Z 21000101000000Z

root_ca rogue-ca "coapsec Rogue CA"
ec_key rogue prime256v1
sign rogue rogue-ca localhost "$LEAF$DS$HOSTS"

ec_key p384-int secp384r1
sign p384-int ca "coapsec P-384 Intermediate" \
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
ec_key p384-leaf prime256v1
sign p384-leaf p384-int localhost "$LEAF$DS$HOSTS"
cat p384-leaf.crt p384-int.crt >p384-leaf-chain.crt

ec_key keyagree prime256v1
sign keyagree ca localhost "${LEAF}keyUsage=critical,keyAgreement\n$HOSTS"

ec_key otherhost prime256v1
sign otherhost ca otherhost "$LEAF${DS}subjectAltName=DNS:otherhost\n"

# Self-check: the good chain verifies, the negative ones fail as intended.
run openssl verify -CAfile ca.crt server.crt client.crt keyagree.crt otherhost.crt
run openssl verify -CAfile ca.crt -untrusted p384-int.crt p384-leaf.crt
run openssl verify -CAfile rogue-ca.crt rogue.crt
if openssl verify -CAfile ca.crt rogue.crt >>"$LOG" 2>&1; then
    fail "rogue.crt verifies against ca.crt"
fi
if openssl verify -CAfile ca.crt expired.crt >>"$LOG" 2>&1; then
    fail "expired.crt is not expired"
fi

rm -f ./*.csr ./*.ext
rm -rf ./ca-*
mv -f ./*.key ./*.crt ./*.pem ./*.der gnutls-psk.txt "$DIR"/ || fail "cannot move fixtures into $DIR"
echo "$STAMP_VERSION" >"$DIR/.keys-done"
exit 0
