/*
 * fuzz_onem2m.c - libFuzzer harness for the oneM2M binding: the CoAP ->
 * primitive direction (coapsec_msg_decode first, then the request or response
 * reader in both option numberings) and the JSON reader. A request that reads
 * is written back to CoAP and read again: the two reads must agree. A JSON
 * primitive that parses is printed, and the printed text must parse again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coapsec/onem2m.h"

static coapsec_onem2m_prim a, b;

static int str_eq(coapsec_onem2m_str x, coapsec_onem2m_str y) {
    if (x.p == NULL || y.p == NULL)
        return x.p == y.p;
    return x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
}

static void fuzz_coap(const uint8_t *data, size_t size) {
    coapsec_msg m;
    if (coapsec_msg_decode(&m, data, size) != 0)
        return;
    for (int nb = 0; nb <= 1; nb++) {
        uint8_t code;
        uint32_t rsc;
        if (COAPSEC_IS_RESPONSE(m.code)) {
            for (int op = 1; op <= 5; op++)
                (void)coapsec_onem2m_rsp_from_coap(&a, &m, op, nb);
            continue;
        }
        int rc = coapsec_onem2m_req_from_coap(&a, &m, nb);
        if (rc != 0) {
            coapsec_onem2m_err_rsp(rc, &code, &rsc);
            if (!coapsec_onem2m_rsc_code_ok(rsc, code))
                abort();
            continue;
        }
        coapsec_msg m2, d;
        memset(&m2, 0, sizeof m2);
        static uint8_t scratch[COAPSEC_ONEM2M_SCRATCH], wire[65536 + 1024];
        if (coapsec_onem2m_req_to_coap(&a, nb, &m2, scratch, sizeof scratch) != 0)
            continue; /* e.g. more options than a message holds once op is added */
        int n = coapsec_msg_encode(&m2, wire, sizeof wire);
        if (n < 0 || coapsec_msg_decode(&d, wire, (size_t)n) != 0)
            abort();
        if (coapsec_onem2m_req_from_coap(&b, &d, nb) != 0)
            abort();
        if (a.op != b.op || !str_eq(a.to, b.to) || !str_eq(a.fr, b.fr) || !str_eq(a.rqi, b.rqi) ||
            a.ty != b.ty || a.rt != b.rt || a.nquery != b.nquery || !str_eq(a.pc, b.pc))
            abort();
        static char json[65536 * 7];
        (void)coapsec_onem2m_to_json(&a, json, sizeof json);
    }
}

static void fuzz_json(const uint8_t *data, size_t size) {
    if (coapsec_onem2m_from_json(&a, (const char *)data, size, COAPSEC_ONEM2M_ABSENT) != 0)
        return;
    static char out[65536 * 7];
    int n = coapsec_onem2m_to_json(&a, out, sizeof out);
    if (n < 0)
        abort();
    if (coapsec_onem2m_json_check(out, (size_t)n) != 0)
        abort(); /* printed JSON is always well-formed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_coap(data, size);
    fuzz_json(data, size);
    return 0;
}
