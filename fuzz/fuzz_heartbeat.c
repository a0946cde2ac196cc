/*
 * fuzz_heartbeat.c - libFuzzer harness for what an established DTLS session
 * parses besides application data: heartbeat messages (RFC 6520,
 * src/dtls/heartbeat.c) and session tickets (RFC 5077, src/dtls/resume.c).
 * A real PSK handshake runs once (fp_handshake); heartbeat is then switched
 * on for the session and every input starts from that snapshot. The first
 * byte picks the target:
 *   0: the rest is a HeartbeatMessage, sealed as the client would and fed to
 *      the server (then the timers run: retransmission, dead peer);
 *   1: the rest is a ticket for cs_ticket_open() under the server's keys;
 *   2: the rest is raw datagrams (u16 length || bytes) for the session.
 */
#include <stdlib.h>

#include "dtls/dtls_int.h"
#include "dtls_fuzz_pair.h"

static coapsec_dtls_config cfg;
static coapsec_dtls_conn conn, base;
static coapsec_dtls_hs hs, base_hs;
static coapsec_dtls_ticket_keys tk;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    (void)fp_maybe_write_seed; /* seeds here are written by hand (fuzz/corpus/fuzz_heartbeat) */
    if (fp_handshake(&conn, &hs, &cfg) != 0)
        abort();
    cfg.heartbeat = COAPSEC_DTLS_HB_ALLOWED;
    cfg.heartbeat_interval_ms = 1000;
    cfg.max_retransmits = 2;
    conn.hb_flags = CS_HB_NEG | CS_HB_ANSWER | CS_HB_MAY_SEND;
    if (coapsec_dtls_ticket_keys_init(&tk, &cfg, 0, 0) != 0)
        abort();
    cfg.tickets = &tk;
    base = conn;
    base_hs = hs;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t rec[COAPSEC_DTLS_DGRAM_MAX + 64];
    if (size < 1)
        return 0;
    conn = base;
    hs = base_hs;
    uint8_t mode = data[0];
    data++;
    size--;
    coapsec_tstamp now = 10;
    if (mode == 0) {
        if (size > COAPSEC_DTLS_DGRAM_MAX - COAPSEC_DTLS_OVERHEAD)
            size = COAPSEC_DTLS_DGRAM_MAX - COAPSEC_DTLS_OVERHEAD;
        (void)coapsec_dtls_conn_heartbeat(&conn, now); /* so that a response can match */
        int n = cs_rec_write(rec, sizeof rec, CS_CT_HEARTBEAT, 0xFEFD, conn.read_epoch,
                             conn.rw_top + 1, conn.key[0], conn.iv[0], data, size);
        if (n > 0)
            coapsec_dtls_conn_recv(&conn, rec, (size_t)n, now);
        for (int i = 0; i < 6; i++) {
            now = coapsec_dtls_conn_expiry(&conn);
            if (now == COAPSEC_TSTAMP_NONE)
                break;
            coapsec_dtls_conn_handle_expiry(&conn, now);
        }
    } else if (mode == 1) {
        coapsec_dtls_session s;
        (void)cs_ticket_open(&tk, data, size, &s);
    } else {
        while (size >= 2) {
            size_t n = (size_t)data[0] << 8 | data[1];
            data += 2;
            size -= 2;
            if (n > size)
                n = size;
            if (n > COAPSEC_DTLS_DGRAM_MAX)
                n = COAPSEC_DTLS_DGRAM_MAX;
            memcpy(rec, data, n);
            data += n;
            size -= n;
            coapsec_dtls_conn_recv(&conn, rec, n, now);
            now += 700;
            if (coapsec_dtls_conn_expiry(&conn) <= now)
                coapsec_dtls_conn_handle_expiry(&conn, now);
        }
    }
    return 0;
}
