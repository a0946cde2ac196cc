/*
 * endpoint/pki.h - private interface of endpoint/pki.c: the endpoint's ECDSA
 * credentials (our identity, per-destination client identities, X.509 trust
 * anchors, pinned raw public keys, clock and verification flags), how they
 * are put into the DTLS engine's configuration, and the validated identity
 * of each secure peer slot.
 */
#ifndef CS_ENDPOINT_PKI_H
#define CS_ENDPOINT_PKI_H

#include "coapsec/dtls.h"
#include "coapsec/endpoint.h"

struct cs_cpsk_ent;

/* Allocate the PKI state for ep (its peer table must exist). 0 or NOMEM. */
int cs_pki_init(coapsec_endpoint *ep);
void cs_pki_free(coapsec_endpoint *ep);
/* Put the credentials into ep->dcfg (suites offered follow them). */
void cs_pki_refresh(coapsec_endpoint *ep);
/* An ESTABLISHED event of the engine: keep how the peer was authenticated
 * until cs_pki_remember() (its fields live in the handshake object). */
void cs_pki_event(coapsec_endpoint *ep, const coapsec_dtls_event *ev);
/* The session of slot is established with suite: record the kept identity. */
void cs_pki_remember(coapsec_endpoint *ep, uint32_t slot, unsigned suite);
/* Bytes pki.c keeps per peer slot (the identity reference; counted by
 * cs_sx_footprint). Interned identities come on top, one entry
 * (CS_PKI_ENTRY_BYTES) per distinct certificate or raw-key identity in use. */
#define CS_PKI_SLOT_BYTES  sizeof(uint32_t)
#define CS_PKI_ENTRY_BYTES (164 + sizeof(uint32_t))
/* Client credentials for a new session to host:port; psk may be NULL.
 * 0, or COAPSEC_ERR_AUTH with ep->last_error set (nothing to offer). */
int cs_pki_client_creds(coapsec_endpoint *ep, const char *host, uint16_t port,
                        const struct cs_cpsk_ent *psk, coapsec_dtls_client_creds *cr);

#endif /* CS_ENDPOINT_PKI_H */
