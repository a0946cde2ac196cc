/*
 * tools/cli.c - option-value parsers and printers shared by the `coapsec`
 * subcommands (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hex.h"

int cs_cli_verbose = 0;

void cs_cli_log(int level, const char *fmt, ...) {
    if (level > cs_cli_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cs_cli_method(const char *name) {
    static const struct {
        const char *n;
        int code;
    } m[] = {{"get", COAPSEC_GET},       {"post", COAPSEC_POST},   {"put", COAPSEC_PUT},
             {"delete", COAPSEC_DELETE}, {"fetch", COAPSEC_FETCH}, {"patch", COAPSEC_PATCH},
             {"ipatch", COAPSEC_IPATCH}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcasecmp(name, m[i].n) == 0)
            return m[i].code;
    return -1;
}

static const struct {
    const char *name;
    unsigned cf;
} cf_names[] = {
    {"text/plain", 0},
    {"application/link-format", 40},
    {"application/xml", 41},
    {"application/octet-stream", 42},
    {"application/exi", 47},
    {"application/json", 50},
    {"application/cbor", 60},
    /* libcoap's short names (coap-client -t / -A) */
    {"text", 0},
    {"plain", 0},
    {"link", 40},
    {"link-format", 40},
    {"xml", 41},
    {"binary", 42},
    {"octet", 42},
    {"octet-stream", 42},
    {"exi", 47},
    {"json", 50},
    {"cbor", 60},
};

long cs_cli_content_format(const char *name) {
    unsigned long v;
    if (cs_cli_parse_ulong(name, 0, 65535, &v) == 0)
        return (long)v;
    for (size_t i = 0; i < sizeof cf_names / sizeof cf_names[0]; i++)
        if (strcasecmp(name, cf_names[i].name) == 0)
            return (long)cf_names[i].cf;
    return -1;
}

const char *cs_cli_cf_name(unsigned cf) {
    for (size_t i = 0; i < 7; i++)
        if (cf_names[i].cf == cf)
            return cf_names[i].name;
    return NULL;
}

int cs_cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out) {
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cs_cli_parse_opt(const char *arg, cs_cli_opt *out) {
    memset(out, 0, sizeof *out);
    const char *comma = strchr(arg, ',');
    size_t nlen = comma ? (size_t)(comma - arg) : strlen(arg);
    char num[8];
    unsigned long n;
    if (nlen == 0 || nlen >= sizeof num)
        return -1;
    memcpy(num, arg, nlen);
    num[nlen] = 0;
    if (cs_cli_parse_ulong(num, 1, 65535, &n) != 0)
        return -1;
    out->num = (uint16_t)n;
    if (!comma)
        return 0;
    const char *v = comma + 1;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        v += 2;
        size_t hl = strlen(v);
        if (hl % 2 || hl / 2 > sizeof out->val)
            return -1;
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = cs_hexval(v[2 * i]), lo = cs_hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            out->val[i] = (uint8_t)(hi << 4 | lo);
        }
        out->len = (uint16_t)(hl / 2);
        return 0;
    }
    size_t l = strlen(v);
    if (l > sizeof out->val)
        return -1;
    memcpy(out->val, v, l);
    out->len = (uint16_t)l;
    return 0;
}

long cs_cli_parse_key(const char *arg, uint8_t *out, size_t cap) {
    if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
        const char *v = arg + 2;
        size_t hl = strlen(v);
        if (hl == 0 || hl % 2 || hl / 2 > cap)
            return -1;
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = cs_hexval(v[2 * i]), lo = cs_hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        return (long)(hl / 2);
    }
    size_t l = strlen(arg);
    if (l == 0 || l > cap)
        return -1;
    memcpy(out, arg, l);
    return (long)l;
}

const char *cs_cli_suite_name(unsigned suite) {
    switch (suite) {
    case 0xC0A8:
        return "TLS_PSK_WITH_AES_128_CCM_8";
    case 0xC0AE:
        return "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8";
    default:
        return "unknown";
    }
}

long cs_cli_percent_decode(const char *text, uint8_t *out, size_t cap) {
    size_t o = 0;
    for (const char *p = text; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = cs_hexval(p[1]), lo = hi < 0 ? -1 : cs_hexval(p[2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi << 4 | lo;
            p += 2;
        }
        if (o >= cap)
            return -1;
        out[o++] = (uint8_t)c;
    }
    return (long)o;
}

int cs_cli_read_file(const char *path, uint8_t **data, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "coapsec: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *nb = cap > (64u << 20) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = !buf || ferror(f);
    if (f != stdin)
        fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "coapsec: cannot read %s\n", path);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

static const char *code_name(uint8_t code) {
    switch (code) {
    case COAPSEC_EMPTY:
        return "Empty";
    case COAPSEC_GET:
        return "GET";
    case COAPSEC_POST:
        return "POST";
    case COAPSEC_PUT:
        return "PUT";
    case COAPSEC_DELETE:
        return "DELETE";
    case COAPSEC_FETCH:
        return "FETCH";
    case COAPSEC_PATCH:
        return "PATCH";
    case COAPSEC_IPATCH:
        return "iPATCH";
    case COAPSEC_CREATED:
        return "Created";
    case COAPSEC_DELETED:
        return "Deleted";
    case COAPSEC_VALID:
        return "Valid";
    case COAPSEC_CHANGED:
        return "Changed";
    case COAPSEC_CONTENT:
        return "Content";
    case COAPSEC_CONTINUE:
        return "Continue";
    case COAPSEC_BAD_REQUEST:
        return "Bad Request";
    case COAPSEC_UNAUTHORIZED:
        return "Unauthorized";
    case COAPSEC_BAD_OPTION:
        return "Bad Option";
    case COAPSEC_FORBIDDEN:
        return "Forbidden";
    case COAPSEC_NOT_FOUND:
        return "Not Found";
    case COAPSEC_METHOD_NOT_ALLOWED:
        return "Method Not Allowed";
    case COAPSEC_NOT_ACCEPTABLE:
        return "Not Acceptable";
    case COAPSEC_REQUEST_ENTITY_INCOMPLETE:
        return "Request Entity Incomplete";
    case COAPSEC_PRECONDITION_FAILED:
        return "Precondition Failed";
    case COAPSEC_REQUEST_ENTITY_TOO_LARGE:
        return "Request Entity Too Large";
    case COAPSEC_UNSUPPORTED_CONTENT_FORMAT:
        return "Unsupported Content-Format";
    case COAPSEC_INTERNAL_SERVER_ERROR:
        return "Internal Server Error";
    case COAPSEC_NOT_IMPLEMENTED:
        return "Not Implemented";
    case COAPSEC_BAD_GATEWAY:
        return "Bad Gateway";
    case COAPSEC_SERVICE_UNAVAILABLE:
        return "Service Unavailable";
    case COAPSEC_GATEWAY_TIMEOUT:
        return "Gateway Timeout";
    case COAPSEC_PROXYING_NOT_SUPPORTED:
        return "Proxying Not Supported";
    default:
        return NULL;
    }
}

const char *cs_cli_code_str(uint8_t code, char *buf, size_t cap) {
    const char *n = code_name(code);
    snprintf(buf, cap, "%u.%02u%s%s", (unsigned)COAPSEC_CODE_CLASS(code),
             (unsigned)COAPSEC_CODE_DETAIL(code), n ? " " : "", n ? n : "");
    return buf;
}

void cs_cli_dump_msg(FILE *f, const char *prefix, const coapsec_msg *m) {
    static const char *types[] = {"CON", "NON", "ACK", "RST"};
    char code[48];
    fprintf(f, "%s%s %s mid=%u token=", prefix, types[m->type & 3],
            cs_cli_code_str(m->code, code, sizeof code), (unsigned)m->mid);
    for (unsigned i = 0; i < m->tkl && i < COAPSEC_MAX_TOKEN; i++)
        fprintf(f, "%02x", m->token[i]);
    fputc('\n', f);
    for (unsigned i = 0; i < m->nopts; i++) {
        const coapsec_opt *o = &m->opts[i];
        const coapsec_optdef *d = coapsec_optdef_find(o->num);
        fprintf(f, "%s  option %u%s%s%s: ", prefix, (unsigned)o->num, d ? " (" : "",
                d ? d->name : "", d ? ")" : "");
        uint32_t v;
        if (d && d->format == COAPSEC_OPTFMT_UINT && coapsec_opt_uint(o, &v) == 0) {
            const char *cfn = (o->num == COAPSEC_OPT_CONTENT_FORMAT || o->num == COAPSEC_OPT_ACCEPT)
                                  ? cs_cli_cf_name(v)
                                  : NULL;
            fprintf(f, "%u%s%s%s", (unsigned)v, cfn ? " (" : "", cfn ? cfn : "", cfn ? ")" : "");
        } else if (d && d->format == COAPSEC_OPTFMT_STRING) {
            fprintf(f, "\"%.*s\"", (int)o->len, (const char *)o->val);
        } else {
            fputs("0x", f);
            for (unsigned j = 0; j < o->len; j++)
                fprintf(f, "%02x", o->val[j]);
        }
        fputc('\n', f);
    }
    fprintf(f, "%s  payload: %zu bytes\n", prefix, m->payload_len);
}
