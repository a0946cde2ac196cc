/*
 * target.c - the To <-> Uri-Path mapping of TS-0008 §6.2.2.3 (also used for
 * Location-Path): a CSE-relative target "CSEBase/ae12" becomes the segments
 * CSEBase, ae12; an SP-relative one "/CSE178/CSEBase" becomes ~, CSE178,
 * CSEBase; an absolute one "//sp.org/CSE178/CSEBase" becomes _, sp.org,
 * CSE178, CSEBase. Targets with empty, "." or ".." segments, segments longer
 * than a Uri-Path allows, or nothing after the ~ / _ marker map to no path.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

/* 1 if the segment can be carried in a path option and read back unchanged. */
static int cs_seg_ok(const char *s, size_t n) {
    if (n == 0 || n > 255)
        return 0;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\0')
            return 0;
    return 1;
}

/* The kind of target: the marker segment ("~", "_" or NULL), where the
 * segments start, and the least number of segments after the marker. */
static void cs_split_kind(coapsec_onem2m_str to, const char **marker, size_t *start,
                          size_t *min_segs) {
    if (to.len >= 2 && to.p[0] == '/' && to.p[1] == '/') {
        *marker = "_";
        *start = 2;
        *min_segs = 2; /* SP-ID and CSE-ID */
    } else if (to.len >= 1 && to.p[0] == '/') {
        *marker = "~";
        *start = 1;
        *min_segs = 1;
    } else {
        *marker = NULL;
        *start = 0;
        *min_segs = 1;
    }
}

int cs_m2m_target_to_opts(coapsec_onem2m_str to, uint16_t opt, coapsec_msg *m) {
    if (to.p == NULL || to.len == 0)
        return COAPSEC_ERR_NOPATH;
    const char *marker;
    size_t start, min_segs;
    cs_split_kind(to, &marker, &start, &min_segs);

    /* First pass: validate and count. */
    size_t nsegs = 0, pos = start;
    while (pos <= to.len) {
        const char *seg = to.p + pos;
        const char *slash = memchr(seg, '/', to.len - pos);
        size_t n = slash ? (size_t)(slash - seg) : to.len - pos;
        if (!cs_seg_ok(seg, n))
            return COAPSEC_ERR_NOPATH;
        if (nsegs == 0 && marker == NULL && n == 1 && (seg[0] == '~' || seg[0] == '_'))
            return COAPSEC_ERR_NOPATH; /* would read back as SP-relative / absolute */
        nsegs++;
        pos += n + 1;
    }
    if (nsegs < min_segs)
        return COAPSEC_ERR_NOPATH;
    if ((size_t)m->nopts + nsegs + (marker != NULL) > COAPSEC_MAX_OPTIONS)
        return COAPSEC_ERR_NOMEM;

    int rc;
    if (marker != NULL && (rc = coapsec_msg_add_opt(m, opt, marker, 1)) != 0)
        return rc;
    pos = start;
    while (pos <= to.len) {
        const char *seg = to.p + pos;
        const char *slash = memchr(seg, '/', to.len - pos);
        size_t n = slash ? (size_t)(slash - seg) : to.len - pos;
        if ((rc = coapsec_msg_add_opt(m, opt, seg, n)) != 0)
            return rc;
        pos += n + 1;
    }
    return 0;
}

int cs_m2m_opts_to_target(coapsec_onem2m_prim *p, const coapsec_msg *m, uint16_t opt,
                          coapsec_onem2m_str *out) {
    uint16_t n = m->nopts < COAPSEC_MAX_OPTIONS ? m->nopts : COAPSEC_MAX_OPTIONS;
    size_t mark = p->used, nsegs = 0, min_segs = 1;
    int first = 1;
    for (uint16_t i = 0; i < n; i++) {
        const coapsec_opt *o = &m->opts[i];
        if (o->num != opt)
            continue;
        const char *v = (const char *)o->val;
        if (first) {
            first = 0;
            if (o->len == 1 && (v[0] == '~' || v[0] == '_')) {
                const char *pre = v[0] == '~' ? "/" : "//";
                min_segs = v[0] == '~' ? 1 : 2;
                if (cs_m2m_store(p, pre, strlen(pre)) == NULL)
                    goto nobuf;
                continue;
            }
        } else if (nsegs > 0 && cs_m2m_store(p, "/", 1) == NULL) {
            goto nobuf;
        }
        if (!cs_seg_ok(v, o->len)) {
            p->used = mark;
            return COAPSEC_ERR_NOPATH;
        }
        if (cs_m2m_store(p, v, o->len) == NULL)
            goto nobuf;
        nsegs++;
    }
    if (nsegs < min_segs) {
        p->used = mark;
        return COAPSEC_ERR_NOPATH;
    }
    out->p = p->buf + mark;
    out->len = p->used - mark;
    return 0;
nobuf:
    p->used = mark;
    return COAPSEC_ERR_NOBUF;
}
