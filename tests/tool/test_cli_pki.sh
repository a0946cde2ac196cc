#!/usr/bin/env bash
# tests/tool/test_cli_pki.sh - end-to-end test of the `coapsec` tool with
# TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251): `coapsec keygen` makes the
# keys, a CA and certificates (checked with the openssl CLI), then tool
# server <-> tool client on 127.0.0.1: mutual certificate authentication
# (RFC 5246 §7.4.2/§7.4.6, the identity shown with -v), raw public keys
# (RFC 7250) pinned with --rpk-trust (fingerprint lines and PEM), the -n
# warning, each refusal with its message on the side that refused (untrusted
# CA, expired certificate and --no-clock, name mismatch, unknown raw key,
# RPK without --rpk-trust, missing client certificate), and one server
# serving PSK, RPK and certificate clients at once.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_coapsec
require_cmd ss openssl grep head

C=$COAPSEC
T=$CS_TMP
K=$T/pki
K2=$T/other

# --- keygen -------------------------------------------------------------------------
check "keygen ca" "$C" keygen ca "$K"
check "keygen cert for the server (IP SAN)" bash -c '"$0" keygen cert "$1" 127.0.0.1 >/dev/null' "$C" "$K"
check "keygen cert for a device" bash -c '"$0" keygen cert "$1" device-1 >/dev/null' "$C" "$K"
check "keygen cert with --san" bash -c \
    '"$0" keygen cert "$1" wrongname --san DNS:elsewhere.example >/dev/null' "$C" "$K"
check "keygen cert --expired" bash -c '"$0" keygen cert "$1" old --san IP:127.0.0.1 --expired >/dev/null' "$C" "$K"
check "keygen another CA and device" bash -c \
    '"$0" keygen ca "$1" && "$0" keygen cert "$1" rogue >/dev/null' "$C" "$K2"
FP_DEV=$("$C" keygen key "$T/dev-rpk.pem")
FP_OTHER=$("$C" keygen key "$T/other-rpk.pem")
check "keygen key prints sha256:<64 hex>" grep -Eq '^sha256:[0-9a-f]{64}$' <<<"$FP_DEV"
check "keygen key writes an EC PRIVATE KEY (libcoap -M form)" grep -q "BEGIN EC PRIVATE KEY" "$T/dev-rpk.pem"
check "keygen key writes the PUBLIC KEY" grep -q "BEGIN PUBLIC KEY" "$T/dev-rpk.pub.pem"
want=sha256:$(openssl pkey -pubin -in "$T/dev-rpk.pub.pem" -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1)
check "fingerprint = SHA-256 of the SPKI (openssl agrees)" test "$FP_DEV" = "$want"
check "keygen fingerprint of the private key" test "$("$C" keygen fingerprint "$T/dev-rpk.pem")" = "$FP_DEV"
check "openssl verifies the issued chain" openssl verify -CAfile "$K/ca.crt" "$K/127.0.0.1.crt" "$K/device-1.crt"
check "server cert has SAN IP:127.0.0.1" bash -c \
    'openssl x509 -in "$0" -noout -text | grep -q "IP Address:127.0.0.1"' "$K/127.0.0.1.crt"
check "CA cert is a CA, ecdsa-with-SHA256" bash -c \
    't=$(openssl x509 -in "$0" -noout -text); grep -q "CA:TRUE" <<<"$t" && grep -q "ecdsa-with-SHA256" <<<"$t"' "$K/ca.crt"
check "CA key is mode 0600" test "$(stat -c %a "$K/ca.key")" = 600
"$C" keygen cert "$T/nodir" x >/dev/null 2>"$T/nocakg.err"
check "keygen cert without a CA: exit 3 and a message" grep -q "no CA key" "$T/nocakg.err"

# run NAME EXPECTED_RC CLIENT-ARGS...: stdout/stderr in $T/NAME.{out,err}
run() {
    local name=$1 want=$2 rc
    shift 2
    run_ours "$C" client "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, wanted $want; stderr: $(head -c 400 "$T/$name.err")"
        return 1
    fi
    return 0
}
has() { grep -q -- "$2" "$T/$1"; }

# --- one server: certificate, CA for clients, pinned device RPK, and PSK ----------------
echo "$FP_DEV # the device's raw key" >"$T/srv-rpk-trust.txt"
P=$(free_udp_port 2)
start_ours server "$C" server -A 127.0.0.1 -p "$P" -c "$K/127.0.0.1.crt" -j "$K/127.0.0.1.key" \
    -C "$K/ca.crt" --rpk-trust "$T/srv-rpk-trust.txt" -k psk-key-0123456789ab -v 3
SRV=$CS_LAST_PID
wait_for_udp_port $((P + 1))
U=coaps://127.0.0.1:$((P + 1))
SRVFP=$("$C" keygen fingerprint "$K/127.0.0.1.key")

if run cert 0 -B 10 -v 1 -c "$K/device-1.crt" -j "$K/device-1.key" -C "$K/ca.crt" "$U/"; then
    check "cert: -v shows 0xC0AE" has cert.err "DTLS: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE)"
    check "cert: -v shows the server's validated name and key" has cert.err \
        "server authenticated by X.509 '127.0.0.1' $SRVFP"
    check "cert: response payload" has cert.out "coapsec"
fi
check "server shows the client certificate's name" grep -q "authenticated by X.509 'device-1'" "$T/server.log"

# RPK both ways: the client pins the server's key given as PEM
"$C" keygen fingerprint "$K/127.0.0.1.key" >/dev/null
openssl pkey -in "$K/127.0.0.1.key" -pubout -out "$T/srv.pub.pem" 2>/dev/null
printf '# server key\n' >"$T/cli-rpk-trust.txt"
cat "$T/srv.pub.pem" >>"$T/cli-rpk-trust.txt"
if run rpk 0 -B 10 -v 1 -M "$T/dev-rpk.pem" --rpk-trust "$T/cli-rpk-trust.txt" "$U/"; then
    check "rpk: 0xC0AE with the pinned raw key" has rpk.err "server authenticated by raw public key $SRVFP"
fi
check "server shows the device's raw key" grep -q "authenticated by raw public key $FP_DEV" "$T/server.log"

# PSK on the same server, same port
if run psk 0 -B 10 -v 1 -u dev-psk -k psk-key-0123456789ab "$U/"; then
    check "psk: the same server negotiates 0xC0A8" has psk.err "(0xC0A8)"
fi

# all three at once
run_ours "$C" client -B 10 -v 1 -u a -k psk-key-0123456789ab "$U/" >"$T/m1.out" 2>"$T/m1.err" &
p1=$!
run_ours "$C" client -B 10 -v 1 -M "$T/dev-rpk.pem" --rpk-trust "$T/cli-rpk-trust.txt" "$U/" >"$T/m2.out" 2>"$T/m2.err" &
p2=$!
run_ours "$C" client -B 10 -v 1 -c "$K/device-1.crt" -j "$K/device-1.key" -C "$K/ca.crt" "$U/" >"$T/m3.out" 2>"$T/m3.err" &
p3=$!
wait $p1; r1=$?
wait $p2; r2=$?
wait $p3; r3=$?
check "one server, PSK + RPK + cert clients at once: all answered" test "$r1$r2$r3" = 000
check "  ... PSK client got 0xC0A8" has m1.err "(0xC0A8)"
check "  ... RPK client got 0xC0AE" has m2.err "raw public key"
check "  ... cert client got 0xC0AE" has m3.err "X.509 '127.0.0.1'"

# --- refusals, each named on the side that refused ------------------------------------
if run untrusted 3 -B 10 -c "$K/device-1.crt" -j "$K/device-1.key" -C "$K2/ca.crt" "$U/"; then
    check "client refuses a server from an unknown CA" has untrusted.err \
        "handshake failed: untrusted CA (certificate at depth 0"
    check "  ... naming the alert" has untrusted.err "(unknown_ca)"
fi
if run rogue 3 -B 10 -c "$K2/rogue.crt" -j "$K2/rogue.key" -C "$K/ca.crt" "$U/"; then
    check "server refuses a client certificate from an unknown CA" \
        grep -q "handshake with .* failed: untrusted CA" "$T/server.log"
    check "  ... and the client is told" has rogue.err "handshake failed: the peer rejected"
fi
if run unknownrpk 3 -B 10 -M "$T/other-rpk.pem" --rpk-trust "$T/cli-rpk-trust.txt" "$U/"; then
    check "server refuses an unknown raw key, naming it" \
        grep -q "failed: unknown raw public key ($FP_OTHER)" "$T/server.log"
fi
if run noclientcert 3 -B 10 -C "$K/ca.crt" "$U/"; then
    check "server requires a client certificate" grep -q "failed: the client sent no certificate" "$T/server.log"
fi
if run clientnotrust 3 -B 10 -M "$T/dev-rpk.pem" -C "$K2/ca.crt" "$U/"; then
    check "client with -M and a foreign -C refuses the server" has clientnotrust.err "handshake failed:"
fi
if run rpknotrust 2 -B 10 -M "$T/dev-rpk.pem" "$U/"; then
    check "-M without --rpk-trust or -n: usage error naming the options" has rpknotrust.err \
        "give -C/-R CA certificates, --rpk-trust FILE, or -n"
fi
if run insecure 0 -B 10 -n -M "$T/dev-rpk.pem" "$U/"; then
    check "-n: loud warning" has insecure.err "WARNING: -n: peer certificates and raw public keys are NOT verified"
fi
printf 'sha256:1234\n' >"$T/bad-trust.txt"
if run badtrust 2 -M "$T/dev-rpk.pem" --rpk-trust "$T/bad-trust.txt" "$U/"; then
    check "malformed --rpk-trust line: file and line named" has badtrust.err "bad-trust.txt:1: expected sha256:"
fi
if run nofile 2 -c "$T/nope.crt" -C "$K/ca.crt" "$U/"; then
    check "missing key file: named" has nofile.err "nope.crt"
fi
stop_bg "$SRV"

# --- expired certificate, --no-clock, name mismatch ------------------------------------------
P2=$(free_udp_port 2)
start_ours server2 "$C" server -A 127.0.0.1 -p "$P2" -c "$K/old.crt" -j "$K/old.key" -v 1
S2=$CS_LAST_PID
wait_for_udp_port $((P2 + 1))
if run expired 3 -B 10 -C "$K/ca.crt" "coaps://127.0.0.1:$((P2 + 1))/"; then
    check "client refuses an expired server certificate" has expired.err \
        "handshake failed: certificate expired"
    check "  ... certificate_expired" has expired.err "(certificate_expired)"
fi
if run noclock 0 -B 10 -v 1 --no-clock -C "$K/ca.crt" "coaps://127.0.0.1:$((P2 + 1))/"; then
    check "--no-clock: dates not checked, chain still is" has noclock.err "X.509 '127.0.0.1'"
fi
if run noclock-untrusted 3 -B 10 --no-clock -C "$K2/ca.crt" "coaps://127.0.0.1:$((P2 + 1))/"; then
    check "--no-clock still refuses an unknown CA" has noclock-untrusted.err "untrusted CA"
fi
stop_bg "$S2"

P3=$(free_udp_port 2)
start_ours server3 "$C" server -A 127.0.0.1 -p "$P3" -c "$K/wrongname.crt" -j "$K/wrongname.key" --mtu 256
S3=$CS_LAST_PID
wait_for_udp_port $((P3 + 1))
if run mismatch 3 -B 10 -C "$K/ca.crt" "coaps://127.0.0.1:$((P3 + 1))/"; then
    check "client refuses a certificate for another name" has mismatch.err \
        "handshake failed: name mismatch: dialled 127.0.0.1, certificate has elsewhere.example"
fi
run mtu 0 -B 10 --mtu 256 -n "coaps://127.0.0.1:$((P3 + 1))/" &&
    pass "--mtu 256 on both sides: certificate flight fragmented, handshake completes"
stop_bg "$S3"

# --- usage ------------------------------------------------------------------------
"$C" server -C "$K/ca.crt" -p "$(free_udp_port 2)" >/dev/null 2>"$T/srvnokey.err"
rc=$?
check "server -C without a key: exit 2" bash -c '[ "$0" = 2 ] && grep -q "need our own key" "$1"' "$rc" "$T/srvnokey.err"
run badmtu 2 --mtu 100 -n "$U/" && check "--mtu below 256 refused" has badmtu.err "--mtu wants"
for cmd in client server; do
    check "help $cmd lists the PKI options" bash -c \
        'o=$("$0" help "$1"); for x in -c -j -C -R -M -n --rpk-trust --no-clock --mtu; do grep -q -- "$x " <<<"$o" || exit 1; done' "$C" "$cmd"
done
check "help lists keygen" bash -c '"$0" help | grep -q keygen' "$C"
finish
