/*
 * endpoint/xfer.c - block-wise transfers (RFC 7959) and observations (RFC
 * 7641) through the endpoint: coapsec_endpoint_request_ex(),
 * coapsec_endpoint_observe() and _observe_cancel() on coap:// and coaps://
 * URIs (a coaps:// request queued behind its handshake keeps its kind, see
 * secure.c), the dispatch of a client request to the matching engine call,
 * and the server's Block1 reassembly buffers allocated at creation.
 */
#define _GNU_SOURCE /* struct mmsghdr in ep_int.h */
#include <stdlib.h>
#include <string.h>

#include "endpoint/clock.h"
#include "endpoint/ep_int.h"

int cs_ep_submit(coapsec_endpoint *ep, coapsec_peer_id id, const coapsec_msg *req,
                 const cs_reqopt *o, coapsec_response_cb cb, void *user) {
    switch (o ? o->kind : CS_REQ_PLAIN) {
    case CS_REQ_XFER:
        return coapsec_coap_request_ex(ep->coap, id, req, &o->xfer, cb, user, ep->now);
    case CS_REQ_OBSERVE:
        return coapsec_coap_observe(ep->coap, id, req, cb, user, ep->now);
    default:
        return coapsec_coap_request(ep->coap, id, req, cb, user, ep->now);
    }
}

int cs_ep_observe_goes_on(int status, const coapsec_msg *resp) {
    /* The engine's rule (coapsec_coap_observe): the observation ends with an
     * error, a non-2.xx code or a response without Observe (RFC 7641 §3.2). */
    return status == 0 && resp != NULL && COAPSEC_CODE_CLASS(resp->code) == 2 &&
           coapsec_msg_find(resp, COAPSEC_OPT_OBSERVE) != NULL;
}

int cs_ep_block1_init(coapsec_endpoint *ep, const coapsec_endpoint_config *cfg) {
    if (cfg->block1_count == 0)
        return 0;
    if (cfg->block1_count > COAPSEC_COAP_MAX_BLOCK1 || cfg->block1_size == 0 ||
        cfg->block1_size > SIZE_MAX / cfg->block1_count)
        return COAPSEC_ERR_INVAL;
    /* Pages are touched only as bodies arrive: a large cap costs address space. */
    ep->b1mem = malloc(cfg->block1_size * cfg->block1_count);
    if (!ep->b1mem)
        return COAPSEC_ERR_NOMEM;
    return coapsec_coap_set_block1_buffers(ep->coap, ep->b1mem, cfg->block1_size,
                                           cfg->block1_count);
}

int coapsec_endpoint_request_ex(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                                unsigned flags, const coapsec_coap_xfer *xfer,
                                coapsec_response_cb cb, void *user) {
    if (!ep || !uri || !req)
        return COAPSEC_ERR_INVAL;
    cs_reqopt o;
    memset(&o, 0, sizeof o);
    o.kind = CS_REQ_XFER;
    if (xfer) {
        o.xfer = *xfer;
    } else {
        o.xfer.szx = -1;
    }
    return cs_ep_request_uri(ep, uri, req, flags, &o, cb, user);
}

int coapsec_endpoint_observe(coapsec_endpoint *ep, const char *uri, const coapsec_msg *req,
                             unsigned flags, coapsec_response_cb cb, void *user) {
    if (!ep || !uri || !req || !cb || (req->code != COAPSEC_GET && req->code != COAPSEC_FETCH))
        return COAPSEC_ERR_INVAL;
    cs_reqopt o;
    memset(&o, 0, sizeof o);
    o.kind = CS_REQ_OBSERVE;
    return cs_ep_request_uri(ep, uri, req, flags, &o, cb, user);
}

int coapsec_endpoint_observe_cancel(coapsec_endpoint *ep, int handle, int deregister) {
    if (!ep || handle < 0)
        return COAPSEC_ERR_NOTFOUND;
    ep->now = cs_clock_ms();
    if (handle >= CS_PEND_HANDLE_BASE)
        return cs_sec_observe_cancel(ep, handle, deregister);
    return coapsec_coap_observe_cancel(ep->coap, handle, deregister, ep->now);
}
