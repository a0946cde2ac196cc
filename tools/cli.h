/*
 * tools/cli.h - helpers shared by the `coapsec` subcommands: option-value
 * parsers (methods, Content-Formats, -O options, tokens), reading payload
 * files, printing codes and messages, and the verbosity-gated logger.
 */
#ifndef CS_TOOLS_CLI_H
#define CS_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coapsec/msg.h"

#define CS_CLI_MAX_OPTS 16
#define CS_CLI_OPT_MAX  1034 /* longest option value the codec accepts (Proxy-Uri) */

/** Verbosity level shared by the subcommands (-v). */
extern int cs_cli_verbose;

/** Log to stderr when the level is at most cs_cli_verbose. */
void cs_cli_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Method name (get, put, post, delete, fetch, patch, ipatch; any case) -> code, or -1. */
int cs_cli_method(const char *name);

/**
 * Content-Format given as a number (0-65535) or a name: a media type such as
 * "text/plain" or "application/json", or libcoap's short names ("plain",
 * "text", "link", "xml", "octet", "exi", "json", "cbor"). Returns the number or -1.
 */
long cs_cli_content_format(const char *name);

/** Name of a Content-Format for printing ("text/plain"), or NULL when unknown. */
const char *cs_cli_cf_name(unsigned cf);

/** An option given with -O NUM,TEXT or -O NUM,0xHEX. */
typedef struct cs_cli_opt {
    uint16_t num;
    uint16_t len;
    uint8_t val[CS_CLI_OPT_MAX];
} cs_cli_opt;

/** Parse "NUM,TEXT" / "NUM,0xHEX" / "NUM" (empty value). Returns 0 or -1. */
int cs_cli_parse_opt(const char *arg, cs_cli_opt *out);

/**
 * Decode %XX escapes of text into out (libcoap's -e convention). Returns the
 * decoded length, or -1 on a malformed escape or overflow.
 */
long cs_cli_percent_decode(const char *text, uint8_t *out, size_t cap);

/** Read a whole file ("-" = stdin) into a malloc'd buffer; returns 0 or -1 (message printed). */
int cs_cli_read_file(const char *path, uint8_t **data, size_t *len);

/** "2.05 Content" style text for a response code into buf. */
const char *cs_cli_code_str(uint8_t code, char *buf, size_t cap);

/** Print a message's header, options and payload size to f (for -v). */
void cs_cli_dump_msg(FILE *f, const char *prefix, const coapsec_msg *m);

/**
 * A PSK or identity given on the command line: text, or bytes as 0xHEX.
 * Returns the length (1..cap) or -1.
 */
long cs_cli_parse_key(const char *arg, uint8_t *out, size_t cap);

/** Name of a DTLS cipher suite, e.g. "TLS_PSK_WITH_AES_128_CCM_8"; "unknown" otherwise. */
const char *cs_cli_suite_name(unsigned suite);

/** Parse an unsigned decimal in [min, max]; returns 0 or -1. */
int cs_cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Subcommand entry points (argv[0] is the subcommand name). Return the exit status. */
int cs_client_main(int argc, char **argv);
int cs_server_main(int argc, char **argv);
void cs_client_usage(FILE *f);
void cs_server_usage(FILE *f);
int cs_onem2m_main(int argc, char **argv); /* tools/onem2m.c */
void cs_onem2m_usage(FILE *f);

/* Exit statuses of the tool. */
enum {
    CS_EXIT_OK = 0,       /* 2.xx response / clean shutdown */
    CS_EXIT_RESPONSE = 1, /* the server answered 4.xx or 5.xx */
    CS_EXIT_USAGE = 2,    /* bad command line or URI */
    CS_EXIT_FAIL = 3      /* no response (timeout, RST), socket or setup error */
};

#endif /* CS_TOOLS_CLI_H */
