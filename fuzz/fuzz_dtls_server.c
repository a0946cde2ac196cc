/*
 * fuzz_dtls_server.c - libFuzzer harness for the DTLS server: the input is a
 * sequence of datagrams (u16 length || bytes) from one client address, fed to
 * the stateless ClientHello check and then to the accepted connection, with
 * the clock moving and timers firing. Built with COAPSEC_FUZZING (fixed
 * randomness and cookie secret) so that the seed, a recorded real handshake,
 * gets past the cookie and the Finished check. The server also holds ECDSA
 * credentials (X.509 chain and raw public key, fixed keys) and trusts the
 * fixed client key, so the 0xC0AE seeds reach the client's Certificate,
 * ClientKeyExchange and CertificateVerify parsers.
 * Seeds: COAPSEC_FUZZ_MKSEED=path [COAPSEC_FUZZ_MKSEED_MODE=1 (X.509) | 2 (RPK)].
 */
#include <stdlib.h>

#include "dtls_fuzz_pair.h"

static coapsec_dtls_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *mode = getenv("COAPSEC_FUZZ_MKSEED_MODE");
    if (getenv("COAPSEC_FUZZ_MKSEED") && mode) {
        if (fp_handshake_mode(atoi(mode)) == 0)
            fp_maybe_write_seed("COAPSEC_FUZZ_MKSEED", fp_seed, fp_seed_len);
        exit(0);
    }
    if (getenv("COAPSEC_FUZZ_MKSEED")) {
        static coapsec_dtls_config c;
        static coapsec_dtls_conn sc;
        static coapsec_dtls_hs sh;
        if (fp_handshake(&sc, &sh, &c) == 0)
            fp_maybe_write_seed("COAPSEC_FUZZ_MKSEED", fp_seed, fp_seed_len);
        exit(0);
    }
    fp_server_config(&cfg);
    fp_ecdsa_config(&cfg, 1, FP_X509 | FP_RPK);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static coapsec_dtls_server srv;
    static coapsec_dtls_conn conn;
    static coapsec_dtls_hs hs;
    static uint8_t buf[4096];
    coapsec_dtls_server_init(&srv, &cfg, 0);
    int accepted = 0;
    coapsec_tstamp now = 0;
    while (size >= 2) {
        size_t n = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        if (n > sizeof buf)
            n = sizeof buf;
        memcpy(buf, data, n);
        data += n;
        size -= n;
        if (!accepted) {
            uint8_t out[COAPSEC_DTLS_DGRAM_MAX];
            size_t outlen = sizeof out;
            int r = coapsec_dtls_server_hello(&srv, FP_ADDR, strlen(FP_ADDR), buf, n, out, &outlen,
                                              now);
            if (r == COAPSEC_DTLS_HELLO_ACCEPT) {
                accepted = 1;
                coapsec_dtls_server_accept(&conn, &cfg, NULL, &hs, buf, n, now);
            }
        } else {
            coapsec_dtls_conn_recv(&conn, buf, n, now);
            if (coapsec_dtls_conn_state(&conn) == COAPSEC_DTLS_ST_ESTABLISHED)
                coapsec_dtls_conn_send(&conn, buf, n > 64 ? 64 : n, now);
        }
        now += 700; /* timers fire now and then */
        if (accepted && now >= coapsec_dtls_conn_expiry(&conn))
            coapsec_dtls_conn_handle_expiry(&conn, now);
    }
    if (accepted) {
        for (int i = 0; i < 10 && coapsec_dtls_conn_expiry(&conn) != COAPSEC_TSTAMP_NONE; i++)
            coapsec_dtls_conn_handle_expiry(&conn, coapsec_dtls_conn_expiry(&conn));
        coapsec_dtls_conn_close(&conn, now);
    }
    return 0;
}
