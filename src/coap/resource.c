/*
 * resource.c - the server's fixed resource table and the /.well-known/core
 * document in CoRE Link Format (RFC 6690 §2, §4), with the query filtering
 * of RFC 6690 §4.1 (one "name=value" or "name=prefix*" parameter; "href"
 * matches the link target).
 */
#include "engine.h"

#include <string.h>

/* ---- table ------------------------------------------------------------------------- */

const coapsec_coap_resource *cs_resource_find(const coapsec_coap_ctx *ctx, const char *path) {
    for (size_t i = 0; i < ctx->nres; i++) {
        if (strcmp(ctx->res[i].path, path) == 0)
            return &ctx->res[i];
    }
    return NULL;
}

int coapsec_coap_add_resource(coapsec_coap_ctx *ctx, const coapsec_coap_resource *r) {
    if (ctx == NULL || r == NULL || r->path == NULL || r->handler == NULL || r->path[0] == '/' ||
        strlen(r->path) >= COAPSEC_COAP_MAX_PATH || cs_resource_find(ctx, r->path) != NULL)
        return COAPSEC_ERR_INVAL;
    if (ctx->nres >= COAPSEC_COAP_MAX_RESOURCES)
        return COAPSEC_ERR_NOMEM;
    ctx->res_obs[ctx->nres] = 0;
    ctx->res[ctx->nres++] = *r;
    return 0;
}

int coapsec_coap_remove_resource(coapsec_coap_ctx *ctx, const char *path) {
    if (ctx == NULL || path == NULL)
        return COAPSEC_ERR_INVAL;
    for (size_t i = 0; i < ctx->nres; i++) {
        if (strcmp(ctx->res[i].path, path) == 0) {
            cs_obs_drop_path(ctx, ctx->res[i].path);
            memmove(&ctx->res[i], &ctx->res[i + 1], (ctx->nres - i - 1) * sizeof(ctx->res[0]));
            memmove(&ctx->res_obs[i], &ctx->res_obs[i + 1], ctx->nres - i - 1);
            ctx->nres--;
            return 0;
        }
    }
    return COAPSEC_ERR_NOTFOUND;
}

int coapsec_coap_set_observable(coapsec_coap_ctx *ctx, const char *path, int on) {
    const coapsec_coap_resource *r =
        ctx != NULL && path != NULL ? cs_resource_find(ctx, path) : NULL;
    if (r == NULL)
        return COAPSEC_ERR_NOTFOUND;
    size_t i = (size_t)(r - ctx->res);
    if (!on && ctx->res_obs[i])
        cs_obs_drop_path(ctx, r->path);
    ctx->res_obs[i] = on != 0;
    return 0;
}

void coapsec_coap_set_fallback(coapsec_coap_ctx *ctx, coapsec_coap_handler h, void *user) {
    ctx->fallback = h;
    ctx->fallback_user = user;
}

/* ---- link format ------------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t cap, len;
    int overflow;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(sbuf *b, const char *s) {
    put(b, s, strlen(s));
}

/* Does value v[0..vn) match the pattern (exact, or prefix when it ends in '*')? */
static int pattern_match(const char *pat, size_t pn, const char *v, size_t vn) {
    if (pn > 0 && pat[pn - 1] == '*')
        return vn >= pn - 1 && memcmp(v, pat, pn - 1) == 0;
    return vn == pn && memcmp(v, pat, pn) == 0;
}

/* Match a parameter value: the whole value, or (quoted lists such as rt/if) any
 * space-separated item of it. */
static int value_match(const char *pat, size_t pn, const char *v, size_t vn) {
    if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
        v++;
        vn -= 2;
    }
    if (pattern_match(pat, pn, v, vn))
        return 1;
    size_t i = 0;
    while (i < vn) {
        size_t j = i;
        while (j < vn && v[j] != ' ')
            j++;
        if (j > i && pattern_match(pat, pn, v + i, j - i))
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Does the link-value l[0..n) pass the filter name=pat? */
static int link_match(const char *l, size_t n, const char *name, size_t nn, const char *pat,
                      size_t pn) {
    const char *lt = memchr(l, '<', n);
    const char *gt = lt != NULL ? memchr(lt, '>', n - (size_t)(lt - l)) : NULL;
    if (lt == NULL || gt == NULL)
        return 0;
    if (nn == 4 && memcmp(name, "href", 4) == 0)
        return pattern_match(pat, pn, lt + 1, (size_t)(gt - lt - 1));
    /* Walk ";name[=value]" parameters after the target. */
    size_t i = (size_t)(gt - l) + 1;
    while (i < n) {
        if (l[i] != ';') {
            i++;
            continue;
        }
        size_t s = ++i, q = 0, e = s;
        while (e < n && (l[e] != ';' || q)) {
            if (l[e] == '"')
                q = !q;
            e++;
        }
        const char *eq = memchr(l + s, '=', e - s);
        size_t kn = eq != NULL ? (size_t)(eq - (l + s)) : e - s;
        if (kn == nn && memcmp(l + s, name, nn) == 0) {
            const char *v = eq != NULL ? eq + 1 : l + e;
            size_t vn = (size_t)(l + e - v);
            if (value_match(pat, pn, v, vn))
                return 1;
        }
        i = e;
    }
    return 0;
}

int cs_well_known(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const char *query, size_t query_len,
                  char *out, size_t cap, int truncate) {
    /* 1. Every link, unfiltered, into ctx->links. */
    sbuf all = {ctx->links, sizeof(ctx->links), 0, 0};
    for (size_t i = 0; i < ctx->nres; i++) {
        const coapsec_coap_resource *r = &ctx->res[i];
        if (all.len > 0)
            puts_(&all, ",");
        puts_(&all, "</");
        puts_(&all, r->path);
        puts_(&all, ">");
        if (r->attrs != NULL && r->attrs[0] != '\0') {
            puts_(&all, ";");
            puts_(&all, r->attrs);
        }
        if (ctx->res_obs[i] && (r->attrs == NULL || strstr(r->attrs, "obs") == NULL))
            puts_(&all, ";obs"); /* RFC 7641 §6 */
    }
    if (ctx->cb.well_known_links != NULL && !all.overflow) {
        size_t sep = all.len > 0 ? 1 : 0;
        if (all.cap - all.len > sep) {
            int n = ctx->cb.well_known_links(ctx->user, peer, all.p + all.len + sep,
                                             all.cap - all.len - sep);
            if (n > 0 && (size_t)n <= all.cap - all.len - sep) {
                if (sep)
                    all.p[all.len] = ',';
                all.len += sep + (size_t)n;
            }
        }
    }
    if (all.overflow && !truncate)
        return COAPSEC_ERR_NOBUF;

    /* 2. The filter (RFC 6690 §4.1). */
    const char *name = NULL, *pat = NULL;
    size_t nn = 0, pn = 0;
    if (query != NULL && query_len > 0) {
        const char *eq = memchr(query, '=', query_len);
        name = query;
        nn = eq != NULL ? (size_t)(eq - query) : query_len;
        pat = eq != NULL ? eq + 1 : query + query_len;
        pn = eq != NULL ? query_len - nn - 1 : 0;
    }

    /* 3. Copy the matching link-values, split at ',' outside quotes and <>. */
    sbuf o = {out, cap, 0, 0};
    size_t i = 0;
    while (i < all.len) {
        size_t s = i;
        int q = 0, a = 0;
        while (i < all.len && (all.p[i] != ',' || q || a)) {
            if (all.p[i] == '"')
                q = !q;
            else if (!q && all.p[i] == '<')
                a = 1;
            else if (!q && all.p[i] == '>')
                a = 0;
            i++;
        }
        size_t n = i - s;
        i++; /* skip ',' */
        if (n == 0 || (name != NULL && !link_match(all.p + s, n, name, nn, pat, pn)))
            continue;
        size_t need = n + (o.len > 0 ? 1 : 0);
        if (need > o.cap - o.len) {
            if (truncate)
                break; /* keep whole links only */
            return COAPSEC_ERR_NOBUF;
        }
        if (o.len > 0)
            put(&o, ",", 1);
        put(&o, all.p + s, n);
    }
    return (int)o.len;
}

int coapsec_coap_well_known(coapsec_coap_ctx *ctx, coapsec_peer_id peer, const char *query,
                            size_t query_len, char *out, size_t cap) {
    if (ctx == NULL || (out == NULL && cap > 0) || out == ctx->links)
        return COAPSEC_ERR_INVAL;
    return cs_well_known(ctx, peer, query, query_len, out, cap, 0);
}
