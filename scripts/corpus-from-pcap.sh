#!/bin/bash
# corpus-from-pcap.sh PCAP SERVER_PORT NAME [FUZZ_DIR]
# Turns a capture of real DTLS traffic (e.g. an interop run on loopback,
# captured with tshark -i lo -f "udp port N" -w FILE) into fuzz seeds:
#
#   FUZZ_DIR/corpus/fuzz_record/NAME-<hash>        every UDP datagram, both
#                                                  directions, one per file
#   FUZZ_DIR/corpus/fuzz_dtls_server/NAME-ch-<hash> each datagram sent to
#                                                  SERVER_PORT alone, as a
#                                                  one-datagram sequence
#   FUZZ_DIR/corpus/fuzz_dtls_server/NAME-flow-<hash> every datagram sent to
#                                                  SERVER_PORT, in order
#
# fuzz_dtls_server reads a sequence as (u16 big-endian length || datagram)*.
# Files are named by a hash of their content, so re-running adds nothing
# twice. FUZZ_DIR defaults to the fuzz/ directory next to this script.
# Needs tshark (reads udp.payload) and xxd.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 PCAP SERVER_PORT NAME [FUZZ_DIR]" >&2
    exit 2
fi
pcap=$1 port=$2 name=$3
fuzz=${4:-$(cd "$(dirname "$0")/.." && pwd)/fuzz}
for c in tshark xxd sha1sum; do
    command -v "$c" >/dev/null || {
        echo "$0: '$c' is required" >&2
        exit 1
    }
done
rec=$fuzz/corpus/fuzz_record
srv=$fuzz/corpus/fuzz_dtls_server
mkdir -p "$rec" "$srv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# put FILE DIR PREFIX: move FILE into DIR named PREFIX-<sha1 prefix>
put() {
    local h
    h=$(sha1sum "$1" | cut -c1-12)
    mv "$1" "$2/$3-$h"
}

# u16be LEN: two bytes of big-endian length
u16be() {
    printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))"
}

tshark -r "$pcap" -Y udp -T fields -e udp.dstport -e udp.payload >"$tmp/dgrams" 2>"$tmp/err" || {
    cat "$tmp/err" >&2
    exit 1
}
n=0 to_srv=0
: >"$tmp/flow"
while read -r dport hex; do
    [ -n "${hex:-}" ] || continue
    hex=${hex//:/}
    echo "$hex" | xxd -r -p >"$tmp/d"
    len=$(stat -c %s "$tmp/d")
    [ "$len" -gt 0 ] || continue
    cp "$tmp/d" "$tmp/r"
    put "$tmp/r" "$rec" "$name"
    n=$((n + 1))
    if [ "$dport" = "$port" ]; then
        { u16be "$len"; cat "$tmp/d"; } >"$tmp/one"
        cat "$tmp/one" >>"$tmp/flow"
        # a ClientHello (content type 22, handshake type 1 at offset 13)
        if [ "$(xxd -p -s 13 -l 1 "$tmp/d")" = 01 ] && [ "$(xxd -p -l 1 "$tmp/d")" = 16 ]; then
            put "$tmp/one" "$srv" "$name-ch"
        fi
        to_srv=$((to_srv + 1))
    fi
done <"$tmp/dgrams"
[ "$to_srv" -gt 0 ] && put "$tmp/flow" "$srv" "$name-flow"
echo "corpus-from-pcap: $n datagrams ($to_srv to port $port) from $pcap as $name"
[ "$n" -gt 0 ]
