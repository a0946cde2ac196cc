/* error.c - text for the COAPSEC_ERR_* codes declared in coapsec/common.h. */
#include "coapsec/common.h"

const char *coapsec_strerror(int err) {
    switch (err) {
    case COAPSEC_OK:
        return "success";
    case COAPSEC_ERR_INVAL:
        return "invalid argument";
    case COAPSEC_ERR_NOBUF:
        return "buffer too small";
    case COAPSEC_ERR_FORMAT:
        return "message format error";
    case COAPSEC_ERR_NOMEM:
        return "no room left in a fixed-size pool";
    case COAPSEC_ERR_NOTFOUND:
        return "not found";
    case COAPSEC_ERR_TIMEOUT:
        return "timed out: no answer from the peer";
    case COAPSEC_ERR_RESET:
        return "the peer answered with a reset (RST)";
    case COAPSEC_ERR_CLOSED:
        return "the session was closed or replaced";
    case COAPSEC_ERR_BADOPT:
        return "unrecognised critical option";
    case COAPSEC_ERR_CRYPTO:
        return "cryptographic operation failed";
    case COAPSEC_ERR_DECRYPT:
        return "record failed to authenticate";
    case COAPSEC_ERR_HANDSHAKE:
        return "DTLS handshake failed";
    case COAPSEC_ERR_UNSUPPORTED:
        return "not supported";
    case COAPSEC_ERR_STATE:
        return "not valid in the current state";
    case COAPSEC_ERR_IO:
        return "socket error";
    case COAPSEC_ERR_BUSY:
        return "too many outstanding exchanges; try later";
    case COAPSEC_ERR_REPLAY:
        return "replayed record";
    case COAPSEC_ERR_AUTH:
        return "peer authentication failed";
    case COAPSEC_ERR_URI:
        return "malformed URI";
    case COAPSEC_ERR_BADUINT:
        return "malformed or out-of-range unsigned integer";
    case COAPSEC_ERR_BADOP:
        return "unknown or unmappable oneM2M operation";
    case COAPSEC_ERR_NOPATH:
        return "oneM2M target maps to no CoAP path";
    default:
        return "unknown error";
    }
}
