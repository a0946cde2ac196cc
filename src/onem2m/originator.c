/*
 * originator.c - the originator's side of the oneM2M response types
 * (TS-0008 §6.3, TS-0001 §8.2.2): a fixed table of outstanding requests keyed
 * by Request Identifier, each with a deadline (the originator timeout), the
 * REQUEST_TIMEOUT (4008) result when a deadline passes, tombstones so that a
 * late response is recognised and ignored, and the 1001/1002 "accepted"
 * answers of non-blocking and flex-blocking requests. Sans-I/O: time comes in
 * as the last argument.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

enum { CS_O_FREE = 0, CS_O_WAIT = 1, CS_O_ACCEPTED = 2, CS_O_DEAD = 3 };

void coapsec_onem2m_orig_init(coapsec_onem2m_orig *o) {
    if (o != NULL)
        memset(o, 0, sizeof *o);
}

static int cs_live(const coapsec_onem2m_outstanding_ *e) {
    return e->state == CS_O_WAIT || e->state == CS_O_ACCEPTED;
}

/* The entry (live or tombstone) for rqi, or NULL. A live one wins. */
static coapsec_onem2m_outstanding_ *cs_find(coapsec_onem2m_orig *o, coapsec_onem2m_str rqi) {
    coapsec_onem2m_outstanding_ *dead = NULL;
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++) {
        coapsec_onem2m_outstanding_ *e = &o->o[i];
        if (e->state == CS_O_FREE || e->rqi_len != rqi.len || memcmp(e->rqi, rqi.p, rqi.len) != 0)
            continue;
        if (cs_live(e))
            return e;
        if (dead == NULL || e->seq > dead->seq)
            dead = e;
    }
    return dead;
}

int coapsec_onem2m_orig_start(coapsec_onem2m_orig *o, const coapsec_onem2m_prim *req,
                              uint64_t timeout_ms, coapsec_tstamp now) {
    if (o == NULL || req == NULL || req->rqi.p == NULL || req->rqi.len == 0 ||
        req->rqi.len > COAPSEC_ONEM2M_RQI_MAX || timeout_ms == 0)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_outstanding_ *e = cs_find(o, req->rqi);
    if (e != NULL && cs_live(e))
        return COAPSEC_ERR_STATE;
    coapsec_onem2m_outstanding_ *slot = NULL;
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING && slot == NULL; i++)
        if (o->o[i].state == CS_O_FREE)
            slot = &o->o[i];
    if (slot == NULL) { /* else the oldest tombstone */
        for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++) {
            coapsec_onem2m_outstanding_ *d = &o->o[i];
            if (d->state == CS_O_DEAD && (slot == NULL || d->seq < slot->seq))
                slot = d;
        }
    }
    if (slot == NULL)
        return COAPSEC_ERR_NOMEM;
    memset(slot, 0, sizeof *slot);
    slot->state = CS_O_WAIT;
    slot->rqi_len = (uint8_t)req->rqi.len;
    memcpy(slot->rqi, req->rqi.p, req->rqi.len);
    slot->op = req->op;
    slot->rt = req->rt;
    slot->seq = ++o->seq;
    slot->deadline =
        timeout_ms >= COAPSEC_TSTAMP_NONE - now ? COAPSEC_TSTAMP_NONE - 1 : now + timeout_ms;
    return 0;
}

int coapsec_onem2m_orig_response(coapsec_onem2m_orig *o, const coapsec_onem2m_prim *rsp,
                                 coapsec_tstamp now) {
    if (o == NULL || rsp == NULL || rsp->rqi.p == NULL)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_outstanding_ *e =
        rsp->rqi.len <= COAPSEC_ONEM2M_RQI_MAX ? cs_find(o, rsp->rqi) : NULL;
    if (e == NULL) {
        o->unknown++;
        return COAPSEC_ERR_NOTFOUND;
    }
    if (!cs_live(e) || now >= e->deadline) {
        o->late++;
        return COAPSEC_ERR_TIMEOUT;
    }
    int nonblocking = e->rt == COAPSEC_ONEM2M_RT_NONBLOCKING_SYNCH ||
                      e->rt == COAPSEC_ONEM2M_RT_NONBLOCKING_ASYNCH ||
                      e->rt == COAPSEC_ONEM2M_RT_FLEX_BLOCKING;
    if (nonblocking && (rsp->rsc == COAPSEC_ONEM2M_RSC_ACCEPTED_NB_SYNCH ||
                        rsp->rsc == COAPSEC_ONEM2M_RSC_ACCEPTED_NB_ASYNCH)) {
        e->state = CS_O_ACCEPTED;
        return COAPSEC_ONEM2M_ORIG_ACCEPTED;
    }
    e->state = CS_O_FREE;
    return COAPSEC_ONEM2M_ORIG_FINAL;
}

coapsec_tstamp coapsec_onem2m_orig_expiry(const coapsec_onem2m_orig *o) {
    coapsec_tstamp t = COAPSEC_TSTAMP_NONE;
    if (o == NULL)
        return t;
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++)
        if (cs_live(&o->o[i]) && o->o[i].deadline < t)
            t = o->o[i].deadline;
    return t;
}

int coapsec_onem2m_orig_expire(coapsec_onem2m_orig *o, coapsec_onem2m_prim *out,
                               coapsec_tstamp now) {
    if (o == NULL || out == NULL)
        return 0;
    coapsec_onem2m_outstanding_ *due = NULL;
    for (size_t i = 0; i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++) {
        coapsec_onem2m_outstanding_ *e = &o->o[i];
        if (cs_live(e) && e->deadline <= now && (due == NULL || e->deadline < due->deadline))
            due = e;
    }
    if (due == NULL)
        return 0;
    due->state = CS_O_DEAD; /* tombstone: later responses are late */
    o->timeouts++;
    coapsec_onem2m_prim_init(out);
    out->rsc = COAPSEC_ONEM2M_RSC_REQUEST_TIMEOUT;
    out->rqi.p = cs_m2m_store(out, due->rqi, due->rqi_len);
    out->rqi.len = due->rqi_len;
    return 1;
}

int coapsec_onem2m_orig_outstanding(const coapsec_onem2m_orig *o) {
    int n = 0;
    for (size_t i = 0; o != NULL && i < COAPSEC_ONEM2M_MAX_OUTSTANDING; i++)
        n += cs_live(&o->o[i]);
    return n;
}
