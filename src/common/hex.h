/*
 * common/hex.h - the value of one hex digit, shared by every parser that
 * reads hex: percent-encoding in URIs (coap/uri.c), \uXXXX escapes in
 * oneM2M JSON (onem2m/json.c), the tool's 0xHEX values, %XX escapes and
 * sha256: lines (tools/cli.c, tools/pki.c), and the test helpers' hex
 * (tests/support/hex.c, tests/dtls/dtls_driver.c). Internal (cs_), not
 * exported.
 */
#ifndef CS_COMMON_HEX_H
#define CS_COMMON_HEX_H

/** 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for anything else (EOF and
 *  negative char values included). */
int cs_hexval(int c);

#endif /* CS_COMMON_HEX_H */
