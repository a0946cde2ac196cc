/*
 * fuzz_record.c - libFuzzer harness for the DTLS record layer: the input is
 * one datagram, split into records and opened with a fixed key (bounds and
 * AEAD paths), checked against a replay window, and then fed to a copy of an
 * established server connection (record demultiplexing, epochs, alerts,
 * renegotiation refusal, application data).
 */
#include <stdlib.h>

#include "dtls/dtls_int.h"
#include "dtls_fuzz_pair.h"

static coapsec_dtls_config scfg;
static coapsec_dtls_conn established;
static coapsec_dtls_hs shs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (fp_handshake(&established, &shs, &scfg) != 0)
        abort();
    if (getenv("COAPSEC_FUZZ_MKSEED")) {
        /* the last client datagram: one application-data record */
        size_t pos = 0, last = 0;
        while (pos + 2 <= fp_seed_len) {
            last = pos;
            pos += 2 + ((size_t)fp_seed[pos] << 8 | fp_seed[pos + 1]);
        }
        size_t n = (size_t)fp_seed[last] << 8 | fp_seed[last + 1];
        fp_maybe_write_seed("COAPSEC_FUZZ_MKSEED", fp_seed + last + 2, n);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t buf[65536 + 64];
    static const uint8_t key[16] = {1}, iv[4] = {2};
    if (size > sizeof buf)
        return 0;
    memcpy(buf, data, size);
    uint64_t top = 0, bits = 0;
    for (size_t pos = 0; pos < size;) {
        cs_record r;
        if (cs_rec_parse(buf + pos, size - pos, &r) != 0)
            break;
        pos += CS_REC_HDR + r.len;
        if (cs_replay_ok(top, bits, r.seq))
            cs_replay_mark(&top, &bits, r.seq);
        if (r.epoch)
            (void)cs_rec_open(&r, key, iv);
    }
    coapsec_dtls_conn c = established;
    memcpy(buf, data, size);
    coapsec_dtls_conn_recv(&c, buf, size, 1000);
    return 0;
}
