#!/usr/bin/env bash
# tests/tool/test_install.sh - coapsec installs and links like other C
# libraries: `cmake --install` of the existing build ($COAPSEC_BUILD) into a
# temporary prefix and, separately, into a DESTDIR staging tree; checks the
# installed files (headers, libcoapsec.a, libcoapsec.so with SONAME
# libcoapsec.so.<major> exporting only coapsec_* symbols, the tool, the man
# page against the tool's real options, coapsec.pc, the CMake package); then
# builds examples/ against the installed copy with pkg-config (shared and
# static) and with CMake find_package (shared and static), and runs them:
# nosec_server + nosec_client on a free loopback port (payload checked),
# event_loop as client and server of itself and as a client of nosec_server;
# then the DTLS examples: psk_client <-> psk_server (RFC 4279 PSK, identity
# shown by the server), rpk_device <-> the installed `coapsec server -M
# --rpk-trust` (RFC 7250 raw keys; the reading is read back with a PSK
# client), cert_server <-> `coapsec client -c -j -C` with a CA made by
# `coapsec keygen` here (client certificates required), each with a refusal.
# Writes only in its temporary directory (plus CMake's install_manifest.txt in
# the build directory). A missing program or a build error is a FAIL.
. "$(case $0 in */*) echo "${0%/*}" ;; *) echo . ;; esac)/../interop/lib.sh" || { echo "FAIL: cannot load lib.sh" >&2; exit 1; }
require_cmd cmake make pkg-config readelf nm ldd ss cmp grep sed timeout

B=${COAPSEC_BUILD:-}
S=${COAPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "$B" ] && [ -f "$B/CMakeCache.txt" ] || die "COAPSEC_BUILD is not a configured build directory: '$B'"
T=$CS_TMP
VER=$(sed -n 's/^project(coapsec VERSION \([0-9.]*\).*/\1/p' "$S/CMakeLists.txt")
MAJOR=${VER%%.*}
[ -n "$VER" ] || die "cannot read the project version from $S/CMakeLists.txt"

# Build the examples like the installed library was built: same compiler and,
# for a sanitizer build, the same sanitizers (the library needs their runtime).
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt"; }
CC_B=$(cache CMAKE_C_COMPILER)
require_cmd "$CC_B"
XCFLAGS="-O1 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -pedantic"
XLDFLAGS=""
if [ "$(cache COAPSEC_SANITIZE)" = ON ]; then
    XCFLAGS="$XCFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer"
    XLDFLAGS="-fsanitize=address,undefined"
fi

# --- 1. cmake --install --prefix -------------------------------------------------
P=$T/prefix
cmake --install "$B" --prefix "$P" >"$T/install.log" 2>&1 ||
    die "cmake --install $B --prefix $P failed: $(tail -n 20 "$T/install.log")"
pass "cmake --install --prefix into a temporary prefix"
SO=$(find "$P" -name "libcoapsec.so.$VER" | head -n 1)
[ -n "$SO" ] || die "libcoapsec.so.$VER not installed under $P"
L=$(dirname "$SO")
check "libcoapsec.a installed next to the shared library" test -f "$L/libcoapsec.a"
check "libcoapsec.so.$MAJOR -> libcoapsec.so.$VER" test "$(readlink "$L/libcoapsec.so.$MAJOR")" = "libcoapsec.so.$VER"
check "libcoapsec.so (link-time name) -> libcoapsec.so.$MAJOR" test "$(readlink "$L/libcoapsec.so")" = "libcoapsec.so.$MAJOR"
readelf -d "$SO" >"$T/dynamic.txt" || die "readelf -d $SO failed"
check "SONAME is libcoapsec.so.$MAJOR" grep -q "Library soname: \[libcoapsec.so.$MAJOR\]" "$T/dynamic.txt"
check "libcoapsec.so needs libcrypto" grep -q "NEEDED.*\[libcrypto\.so" "$T/dynamic.txt"
nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' >"$T/exports.txt"
check "shared library exports the API (coapsec_endpoint_new, coapsec_msg_decode)" \
    bash -c 'grep -qx coapsec_endpoint_new "$0" && grep -qx coapsec_msg_decode "$0"' "$T/exports.txt"
check "shared library exports nothing but coapsec_* (internal cs_* hidden)" \
    bash -c '! grep -v "^coapsec_" "$0"' "$T/exports.txt"
hdr_ok=1
for h in "$S"/include/coapsec/*.h; do
    cmp -s "$h" "$P/include/coapsec/$(basename "$h")" || { hdr_ok=0; echo "  not installed: $h"; }
done
check "every public header installed under include/coapsec/" test $hdr_ok = 1
check "installed tool runs: coapsec version = $VER" test "$("$P/bin/coapsec" version)" = "coapsec $VER"

# The man page documents the tool's real options (the usage texts) and version.
M=$P/share/man/man1/coapsec.1
if [ -f "$M" ]; then
    pass "man page installed in share/man/man1"
    sed 's/\\-/-/g' "$M" >"$T/man.txt"
    check "man page .TH names version $VER" grep -q "^\.TH COAPSEC 1 .*\"coapsec $VER\"" "$T/man.txt"
    for sub in client server; do
        opts=$("$P/bin/coapsec" help $sub | grep -oE '(^|[[ ])--?[A-Za-z][-a-z]*' | sed 's/^[[ ]*//' | sort -u)
        [ -n "$opts" ] || fail "man page: no options found in 'coapsec help $sub'"
        missing=""
        for o in $opts; do
            grep -qE "^\.(B|BI|BR) (.*[ \"])?$o([ \",]|$)" "$T/man.txt" || missing="$missing $o"
        done
        check "man page describes every '$sub' option of the tool${missing:+ (missing:$missing)}" test -z "$missing"
    done
else
    fail "man page installed in share/man/man1"
fi

# pkg-config metadata.
export PKG_CONFIG_PATH=$L/pkgconfig
pc() { pkg-config "$@" coapsec; }
check "coapsec.pc installed in LIBDIR/pkgconfig" test -f "$L/pkgconfig/coapsec.pc"
check "pkg-config --validate coapsec.pc" pkg-config --validate coapsec
check "pkg-config --modversion = $VER" test "$(pc --modversion 2>&1)" = "$VER"
check "coapsec.pc prefix is the install-time prefix" test "$(pc --variable=prefix)" = "$P"
check "pkg-config --cflags = -I$P/include" test "$(pc --cflags | xargs)" = "-I$P/include"
check "pkg-config --libs links -lcoapsec from $L" bash -c '[[ " $0 " == *" -L$1 -lcoapsec "* ]]' "$(pc --libs)" "$L"
check "pkg-config --static --libs adds libcrypto (Requires.private)" bash -c '[[ " $0 " == *" -lcrypto "* ]]' "$(pc --static --libs)"

# CMake package.
CM=$L/cmake/coapsec
check "CMake package files installed" test -f "$CM/coapsecConfig.cmake" -a -f "$CM/coapsecConfigVersion.cmake" -a -f "$CM/coapsecTargets.cmake"
check "installed metadata holds no build or source paths (relocatable)" \
    bash -c '! grep -rlF -e "$0" -e "$1" "$2" "$3"' "$B" "$S" "$CM" "$L/pkgconfig"

# --- 2. DESTDIR staging ------------------------------------------------------------
D=$T/stage
SP=/opt/coapsec-install-test-$$
DESTDIR=$D cmake --install "$B" --prefix "$SP" >"$T/install-destdir.log" 2>&1 ||
    die "DESTDIR=$D cmake --install --prefix $SP failed: $(tail -n 20 "$T/install-destdir.log")"
check "DESTDIR: library and headers staged under DESTDIR/PREFIX" \
    test -f "$D$SP/${L#"$P"/}/libcoapsec.so.$VER" -a -f "$D$SP/include/coapsec/coap.h"
check "DESTDIR: nothing written to the real prefix $SP" test ! -e "$SP"
check "DESTDIR: only PREFIX is created under DESTDIR" test "$(ls "$D")" = opt
check "DESTDIR: staged coapsec.pc names the final prefix" grep -qx "prefix=$SP" "$D$SP/${L#"$P"/}/pkgconfig/coapsec.pc"

# --- 3. build the examples against the installed copy ------------------------------
build_make() { # DIR [make args]: copy the examples' sources and Makefile to DIR, make there
    local dir=$1
    shift
    mkdir -p "$dir" && cp "$S"/examples/*.c "$S/examples/Makefile" "$dir/" &&
        make -C "$dir" CC="$CC_B" CFLAGS="$XCFLAGS" LDFLAGS="$XLDFLAGS" "$@" >"$dir.log" 2>&1
}
build_cmake() { # DIR [cmake args]: configure examples/ out of tree into DIR and build
    local dir=$1
    shift
    cmake -S "$S/examples" -B "$dir" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC_B" \
        -DCMAKE_C_FLAGS="$XCFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$XLDFLAGS" "$@" >"$dir.log" 2>&1 &&
        cmake --build "$dir" -j 2 >>"$dir.log" 2>&1
}
EXAMPLES="nosec_client nosec_server event_loop psk_client psk_server rpk_device cert_server"
built() { # NAME DIR: every example in $EXAMPLES exists, else show the log
    local e
    for e in $EXAMPLES; do
        [ -x "$2/$e" ] || { fail "$1 ($e missing)" "$(tail -n 15 "$2.log")"; return; }
    done
    pass "$1"
}
links_installed_so() { ldd "$1" | grep -q "libcoapsec.so.$MAJOR => $L/libcoapsec.so.$MAJOR "; }
links_no_so() { ! ldd "$1" | grep -q libcoapsec; }

build_make "$T/pc"
built "examples build with pkg-config (Makefile, shared, -Werror -pedantic)" "$T/pc"
check "pkg-config build runs against the installed libcoapsec.so.$MAJOR (rpath)" links_installed_so "$T/pc/nosec_client"
build_make "$T/pc-static" STATIC=1
built "examples build with pkg-config --static (Makefile STATIC=1)" "$T/pc-static"
check "static pkg-config build has no libcoapsec.so dependency" links_no_so "$T/pc-static/nosec_client"
build_cmake "$T/cm"
built "examples build with CMake find_package(coapsec) -> coapsec::coapsec" "$T/cm"
check "find_package used the installed package" grep -qx "coapsec_DIR:PATH=$CM" "$T/cm/CMakeCache.txt"
check "CMake build runs against the installed libcoapsec.so.$MAJOR" links_installed_so "$T/cm/nosec_client"
build_cmake "$T/cm-static" -DCOAPSEC_EXAMPLES_STATIC=ON
built "examples build with CMake coapsec::coapsec_static" "$T/cm-static"
check "coapsec::coapsec_static build has no libcoapsec.so dependency" links_no_so "$T/cm-static/nosec_client"

# --- 4. run them -------------------------------------------------------------------
HELLO="Hello from coapsec"
get_ok() { # CLIENT URI: exit 0 and exactly the expected payload
    local out
    out=$(timeout 30 "$1" "$2" 2>"$T/client.err") && [ "$out" = "$HELLO" ] ||
        { echo "  got '$out' ($(head -c 200 "$T/client.err"))"; return 1; }
}
run_pair() { # SERVER-DIR CLIENT-DIRS...
    local srv=$1 port c
    shift
    [ -x "$srv/nosec_server" ] || { fail "server $srv/nosec_server was not built"; return; }
    port=$(free_udp_port)
    start_bg "srv-$(basename "$srv")" "$srv/nosec_server" "$port" 127.0.0.1
    local pid=$CS_LAST_PID
    wait_for_udp_port "$port"
    for c in "$@"; do
        check "$(basename "$c") client GETs /hello from $(basename "$srv") server" \
            get_ok "$c/nosec_client" "coap://127.0.0.1:$port/hello"
    done
    local rc=0
    timeout 30 "$T/pc/nosec_client" "coap://127.0.0.1:$port/nothing" >/dev/null 2>"$T/404.err" || rc=$?
    check "nosec_client exits 1 and reports 4.04 for an unknown path" \
        bash -c '[ "$0" = 1 ] && grep -q "4\.04" "$1"' "$rc" "$T/404.err"
    check "installed coapsec tool gets the same payload from the example server" \
        test "$(timeout 30 "$P/bin/coapsec" client -B 10 "coap://127.0.0.1:$port/hello")" = "$HELLO"
    if [ -x "$srv/event_loop" ]; then
        timeout 30 "$srv/event_loop" "$(free_udp_port)" "coap://127.0.0.1:$port/hello" 2 >"$T/el.out" 2>&1
        check "event_loop (client side) GETs twice from nosec_server" \
            test "$(cat "$T/el.out")" = "$(printf 'response 1: %s\nresponse 2: %s' "$HELLO" "$HELLO")"
    fi
    stop_bg "$pid"
    check "nosec_server exits 0 on SIGTERM" test "$CS_STOP_RC" = 0
}
run_pair "$T/pc" "$T/cm" "$T/cm-static" "$T/pc"
run_pair "$T/cm" "$T/pc" "$T/pc-static"

for d in pc cm; do
    if [ -x "$T/$d/event_loop" ]; then
        q=$(free_udp_port)
        timeout 30 "$T/$d/event_loop" "$q" "coap://127.0.0.1:$q/count" 3 >"$T/self.out" 2>&1
        check "event_loop ($d) is client and server of itself in one poll() loop" \
            test "$(cat "$T/self.out")" = "$(printf 'response 1: 1\nresponse 2: 2\nresponse 3: 3')"
    fi
done

# --- 5. the DTLS examples ----------------------------------------------------------
# Servers from the pkg-config build; clients from it, the static CMake build and the
# installed tool. Keys and certificates are made here with the installed `coapsec keygen`.
X=$T/pc
TOOL=$P/bin/coapsec
PSK_KEY=0123456789abcdef
serve_bg() { # NAME PORT CMD...: start CMD in the background and wait for PORT
    local name=$1 port=$2
    shift 2
    start_bg "$name" "$@"
    SRV_PID=$CS_LAST_PID
    wait_for_udp_port "$port"
}
out_is() { # EXPECTED CMD...: CMD exits 0 and prints exactly EXPECTED
    local want=$1 out
    shift
    out=$(timeout 30 "$@" 2>"$T/cmd.err") && [ "$out" = "$want" ] ||
        { echo "  got '$out' ($(head -c 300 "$T/cmd.err"))"; return 1; }
}
fails_with() { # PATTERN CMD...: CMD exits non-zero and its stderr matches PATTERN
    local pat=$1
    shift
    ! timeout 30 "$@" >/dev/null 2>"$T/cmd.err" && grep -q -- "$pat" "$T/cmd.err" ||
        { echo "  stderr: $(head -c 300 "$T/cmd.err")"; return 1; }
}

# PSK (RFC 4279, TLS_PSK_WITH_AES_128_CCM_8 of RFC 6655).
port=$(free_udp_port)
serve_bg psk_server "$port" "$X/psk_server" "$port" sensor1 "$PSK_KEY" 127.0.0.1
U=coaps://127.0.0.1:$port/hello
check "psk_client GETs /hello from psk_server over DTLS-PSK" out_is "Hello, sensor1" "$X/psk_client" "$U" sensor1 "$PSK_KEY"
check "psk_client (CMake static build) GETs /hello from psk_server" \
    out_is "Hello, sensor1" "$T/cm-static/psk_client" "$U" sensor1 "$PSK_KEY"
check "installed coapsec client -u/-k GETs /hello from psk_server" \
    out_is "Hello, sensor1" "$TOOL" client -B 10 -u sensor1 -k "$PSK_KEY" "$U"
check "psk_client with a wrong key fails the handshake (bad_record_mac)" \
    fails_with bad_record_mac "$X/psk_client" "$U" sensor1 wrong-key-wrong-key
check "psk_client with an unknown identity fails the handshake (unknown_psk_identity)" \
    fails_with unknown_psk_identity "$X/psk_client" "$U" nobody "$PSK_KEY"
stop_bg "$SRV_PID"
check "psk_server exits 0 on SIGTERM" test "$CS_STOP_RC" = 0
check "psk_server's handler printed the client's PSK identity (3 GETs)" \
    test "$(grep -c "^psk_server: GET /hello from identity 'sensor1'$" "$T/psk_server.log")" = 3

# Raw public keys (RFC 7250): the device pins the server's key, the server the device's.
K=$T/keys
mkdir -p "$K"
"$TOOL" keygen key "$K/server.pem" >/dev/null || fail "coapsec keygen key server.pem"
DEV_FP=$("$TOOL" keygen key "$K/device.pem") || fail "coapsec keygen key device.pem"
port=$(free_udp_port 2) # the tool serves coaps on PORT+1
serve_bg rpk_server $((port + 1)) "$TOOL" server -A 127.0.0.1 -p "$port" -M "$K/server.pem" \
    --rpk-trust "$K/device.pub.pem" -k "$PSK_KEY" -v 3
U=coaps://127.0.0.1:$((port + 1))/reading
check "rpk_device PUTs its reading to coapsec server -M --rpk-trust (2.01/2.04)" \
    bash -c 'timeout 30 "$@" >"$0" 2>&1; rc=$?; grep -q "reading -> 2\.0[14]" "$0" && [ $rc = 0 ]' \
    "$T/dev.out" "$X/rpk_device" "$U" "$K/device.pem" "$K/server.pub.pem" 1
check "the server authenticated the device by its raw public key ($DEV_FP)" \
    grep -q "authenticated by raw public key $DEV_FP" "$T/rpk_server.log"
check "the reading is stored on the server (GET with a PSK client: 21.5)" \
    out_is "21.5" "$TOOL" client -B 10 -u reader -k "$PSK_KEY" "$U"
check "rpk_device pinning another key refuses the server's raw public key" \
    fails_with "unknown raw public key" "$X/rpk_device" "$U" "$K/device.pem" "$K/device.pub.pem" 1
stop_bg "$SRV_PID"

# Certificates: cert_server requires a client certificate chaining to its CA.
"$TOOL" keygen ca "$T/pki" >/dev/null && "$TOOL" keygen cert "$T/pki" 127.0.0.1 >/dev/null &&
    "$TOOL" keygen cert "$T/pki" device1 >/dev/null && "$TOOL" keygen ca "$T/other" >/dev/null &&
    "$TOOL" keygen cert "$T/other" intruder >/dev/null || fail "coapsec keygen ca/cert"
port=$(free_udp_port)
serve_bg cert_server "$port" "$X/cert_server" "$port" "$T/pki/127.0.0.1.crt" "$T/pki/127.0.0.1.key" \
    "$T/pki/ca.crt" 127.0.0.1
U=coaps://127.0.0.1:$port/hello
check "coapsec client -c -j -C GETs /hello from cert_server (client certificate name)" \
    out_is "Hello, device1" "$TOOL" client -B 10 -c "$T/pki/device1.crt" -j "$T/pki/device1.key" \
    -C "$T/pki/ca.crt" "$U"
check "cert_server refuses a client without a certificate (handshake_failure, RFC 5246 7.4.6)" \
    fails_with "handshake failed.*handshake_failure" "$TOOL" client -B 10 -C "$T/pki/ca.crt" "$U"
check "cert_server refuses a client certificate from another CA (unknown_ca)" \
    fails_with "handshake failed.*unknown_ca" "$TOOL" client -B 10 -c "$T/other/intruder.crt" \
    -j "$T/other/intruder.key" -C "$T/pki/ca.crt" "$U"
stop_bg "$SRV_PID"
check "cert_server exits 0 on SIGTERM" test "$CS_STOP_RC" = 0
check "cert_server's handler printed the client certificate's name, and only device1's" \
    test "$(grep -c "^cert_server: GET /hello from certificate" "$T/cert_server.log")" = 1 -a \
    "$(grep -c "certificate 'device1'$" "$T/cert_server.log")" = 1

finish
