/*
 * fuzz_dtls_client.c - libFuzzer harness for the DTLS client: the input is a
 * sequence of datagrams (u16 length || bytes) from the server, fed to a
 * client that offers PSK and 0xC0AE (X.509 and raw public keys, fixed keys,
 * mutual authentication), with the clock moving and timers firing. Under
 * COAPSEC_FUZZING the client's randomness and ephemeral ECDH key are fixed,
 * so the seeds (a recorded server side of real handshakes) carry a valid
 * ServerKeyExchange signature and reach the Certificate, ServerKeyExchange,
 * CertificateRequest and ServerHelloDone handling and our flight 5.
 * Seeds: COAPSEC_FUZZ_MKSEED=path COAPSEC_FUZZ_MKSEED_MODE=1 (X.509) | 2 (RPK).
 */
#include <stdlib.h>

#include "dtls_fuzz_pair.h"

static coapsec_dtls_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *mode = getenv("COAPSEC_FUZZ_MKSEED_MODE");
    if (getenv("COAPSEC_FUZZ_MKSEED")) {
        if (fp_handshake_mode(mode ? atoi(mode) : FP_X509) == 0)
            fp_maybe_write_seed("COAPSEC_FUZZ_MKSEED", fp_seed_s2c, fp_seed_s2c_len);
        exit(0);
    }
    coapsec_dtls_config_default(&cfg);
    cfg.cb.send = fp_sink_send;
    cfg.cb.recv = fp_sink_recv;
    fp_ecdsa_config(&cfg, 0, FP_X509 | FP_RPK);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static coapsec_dtls_conn conn;
    static coapsec_dtls_hs hs;
    static uint8_t buf[4096];
    coapsec_dtls_client_creds cr;
    memset(&cr, 0, sizeof cr);
    cr.psk_id = (const uint8_t *)FP_ID;
    cr.psk_id_len = strlen(FP_ID);
    cr.psk = (const uint8_t *)FP_KEY;
    cr.psk_len = strlen(FP_KEY);
    cr.identity = &fp_cli_id;
    cr.authority = "localhost";
    coapsec_tstamp now = 0;
    if (coapsec_dtls_client_start_ex(&conn, &cfg, NULL, &hs, &cr, now) != 0)
        return 0;
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
        coapsec_dtls_conn_recv(&conn, buf, n, now);
        if (coapsec_dtls_conn_state(&conn) == COAPSEC_DTLS_ST_ESTABLISHED)
            coapsec_dtls_conn_send(&conn, buf, n > 64 ? 64 : n, now);
        now += 700;
        if (now >= coapsec_dtls_conn_expiry(&conn))
            coapsec_dtls_conn_handle_expiry(&conn, now);
    }
    coapsec_dtls_conn_close(&conn, now);
    return 0;
}
