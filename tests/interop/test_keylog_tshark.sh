#!/usr/bin/env bash
# tests/interop/test_keylog_tshark.sh - the Wireshark key log of the coapsec
# tool (--keylog FILE and SSLKEYLOGFILE; NSS key log format, one
# "CLIENT_RANDOM <client_random> <master_secret>" line per handshake, RFC
# 5246 §8.1 master secret). Tool server <-> tool client on a free loopback
# port, captured with tshark: with the key log tshark decrypts the DTLS
# records and finds the request's Uri-Path (RFC 7252 §5.10.1) in the CoAP
# decode; without it the path does not appear. Both mandated suites:
# TLS_PSK_WITH_AES_128_CCM_8 and TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 with raw
# public keys (RFC 7250), where no pre-shared key could help Wireshark.
# Also: client and server log the same line, the file is mode 0600, the
# warning on stderr, and no key log at all when none is asked for.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tshark.sh"
trap 'cap_stop_all; cs_cleanup' EXIT

require_coapsec
require_cmd tshark ss grep stat
C=$COAPSEC
T=$CS_TMP
KEY=keylog-psk-0123456789abcdef

# uri_paths CAP PORT [KEYLOG]: every Uri-Path tshark decodes in CAP.
uri_paths() {
    local cap=$1 port=$2 kl=${3:-}
    local opts=(-d "udp.port==$port,dtls" -d "dtls.port==$port,coap")
    [ -n "$kl" ] && opts+=(-o "tls.keylog_file:$kl")
    tshark -r "$cap" "${opts[@]}" -Y coap -T fields -e coap.opt.uri_path 2>/dev/null | sed '/^$/d'
}

export -f uri_paths

# session NAME PATH SERVER-ARGS -- CLIENT-ARGS: one request over a capture;
# the server's and the client's key logs are $T/NAME-srv.keys, $T/NAME-cli.keys.
session() {
    local name=$1 path=$2 sargs=() cargs=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    local p
    p=$(free_udp_port 2)
    PORT=$((p + 1))
    start_ours "$name-srv" "$C" server -A 127.0.0.1 -p "$p" "${sargs[@]}" --keylog "$T/$name-srv.keys" -v 1
    local spid=$CS_LAST_PID
    wait_for_udp_port "$PORT"
    cap_start lo "$PORT" "$T/$name.pcapng" || die "cannot capture on lo"
    SSLKEYLOGFILE=$T/$name-cli.keys run_ours "$C" client -B 10 "${cargs[@]}" -m put -e hello \
        "coaps://127.0.0.1:$PORT/$path" >"$T/$name-cli.out" 2>"$T/$name-cli.err"
    CLIENT_RC=$?
    cap_stop
    stop_bg "$spid"
}

# --- PSK (0xC0A8) ---------------------------------------------------------------------
session psk keylog/psk-path -k "$KEY" -- -u dev1 -k "$KEY"
check "psk: request answered" test "$CLIENT_RC" = 0
check "psk: the capture holds a 0xC0A8 ServerHello" bash -c \
    '. "$0"; cap_suites "$1" "$2" | grep -qx 0xc0a8' "$(dirname "$0")/tshark.sh" "$T/psk.pcapng" "$PORT"
check "psk: client key log: one CLIENT_RANDOM line (32 + 48 bytes hex)" bash -c \
    '[ "$(wc -l <"$0")" = 1 ] && grep -Eqx "CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}" "$0"' "$T/psk-cli.keys"
check "psk: server logged the same line" cmp -s "$T/psk-cli.keys" "$T/psk-srv.keys"
check "psk: key log is mode 0600" test "$(stat -c %a "$T/psk-srv.keys")" = 600
check "psk: client warns (SSLKEYLOGFILE)" grep -q \
    "WARNING: writing TLS secrets to $T/psk-cli.keys (SSLKEYLOGFILE): anyone with this file can decrypt the traffic" \
    "$T/psk-cli.err"
check "psk: server warns (--keylog)" grep -q "WARNING: writing TLS secrets to .*psk-srv.keys (--keylog)" \
    "$T/psk-srv.log"
check "psk: with the key log tshark decodes Uri-Path keylog,psk-path" bash -c \
    '[ "$(uri_paths "$0" "$1" "$2" | head -n 1)" = "keylog,psk-path" ]' "$T/psk.pcapng" "$PORT" "$T/psk-cli.keys"
check "psk: without it the path does not appear" bash -c \
    '! uri_paths "$0" "$1" | grep -q psk-path' "$T/psk.pcapng" "$PORT"
check "psk: nor in the raw capture bytes" bash -c '! grep -aq psk-path "$0"' "$T/psk.pcapng"

# --- ECDHE_ECDSA with raw public keys (0xC0AE) ------------------------------------------
"$C" keygen key "$T/srv.pem" >"$T/srv.fp" || die "keygen failed"
"$C" keygen key "$T/cli.pem" >"$T/cli.fp" || die "keygen failed"
session rpk keylog/rpk-path -M "$T/srv.pem" --rpk-trust "$T/cli.fp" -- -M "$T/cli.pem" --rpk-trust "$T/srv.fp"
check "rpk: request answered" test "$CLIENT_RC" = 0
check "rpk: the capture holds a 0xC0AE ServerHello" bash -c \
    '. "$0"; cap_suites "$1" "$2" | grep -qx 0xc0ae' "$(dirname "$0")/tshark.sh" "$T/rpk.pcapng" "$PORT"
check "rpk: server and client logged the same line" cmp -s "$T/rpk-cli.keys" "$T/rpk-srv.keys"
check "rpk: with the key log tshark decodes Uri-Path keylog,rpk-path" bash -c \
    '[ "$(uri_paths "$0" "$1" "$2" | head -n 1)" = "keylog,rpk-path" ]' "$T/rpk.pcapng" "$PORT" "$T/rpk-srv.keys"
check "rpk: without it (ECDHE: no key to guess) the path does not appear" bash -c \
    '! uri_paths "$0" "$1" | grep -q rpk-path' "$T/rpk.pcapng" "$PORT"
check "rpk: a key log of another session does not decrypt it" bash -c \
    '! uri_paths "$0" "$1" "$2" | grep -q rpk-path' "$T/rpk.pcapng" "$PORT" "$T/psk-cli.keys"

# --- no key log unless asked for --------------------------------------------------------
p=$(free_udp_port 2)
start_ours nokl-srv "$C" server -A 127.0.0.1 -p "$p" -k "$KEY"
NS=$CS_LAST_PID
wait_for_udp_port $((p + 1))
(cd "$T" && env -u SSLKEYLOGFILE "$C" client -B 10 -u dev1 -k "$KEY" "coaps://127.0.0.1:$((p + 1))/" \
    >"$T/nokl.out" 2>"$T/nokl.err")
check "no --keylog, no SSLKEYLOGFILE: answered, no warning" bash -c \
    '[ "$0" = 0 ] && ! grep -q WARNING "$1"' "$?" "$T/nokl.err"
SSLKEYLOGFILE= "$C" client -B 10 -u dev1 -k "$KEY" "coaps://127.0.0.1:$((p + 1))/" >/dev/null 2>"$T/empty.err"
check "empty SSLKEYLOGFILE: no key log, no warning" bash -c '[ "$0" = 0 ] && ! grep -q WARNING "$1"' "$?" "$T/empty.err"
stop_bg "$NS"
check "no key log file appeared in the working directory" bash -c \
    '! grep -rlq CLIENT_RANDOM "$0" --exclude="*.keys"' "$T"
"$C" client -B 2 --keylog "$T/no/such/dir/k.txt" -u dev1 -k "$KEY" "coaps://127.0.0.1:$((p + 1))/" \
    >/dev/null 2>"$T/badkl.err"
check "unwritable --keylog: exit 2 naming the file and the cause" bash -c \
    '[ "$0" = 2 ] && grep -q "cannot write the key log .*k.txt.*No such file or directory" "$1"' "$?" "$T/badkl.err"
finish
