/*
 * result.c - reading the result of a non-blocking request (TS-0008 §6.3,
 * TS-0001 §8.2.2): the <request> resource an originator retrieves (synch,
 * {"m2m:req":{...,"rs":n,"ol":{...}}}) or the content of the NOTIFY a
 * receiver sends (asynch, {"m2m:rsp":{...}}), as a response primitive; the
 * one-level JSON member lookup they need; and oneM2M timestamps
 * ("YYYYMMDDTHHMMSS", TS-0004 m2m:timestamp) as seconds since the epoch, for
 * originator timeouts derived from rqet.
 */
#include "onem2m/onem2m_int.h"

#include <string.h>

int coapsec_onem2m_json_member(const char *json, size_t len, const char *key,
                               coapsec_onem2m_str *val) {
    if (json == NULL || key == NULL || val == NULL)
        return COAPSEC_ERR_INVAL;
    if (len > COAPSEC_ONEM2M_JSON_MAX)
        return COAPSEC_ERR_FORMAT;
    cs_json j = {json, len, 0};
    size_t klen = strlen(key);
    int rc, found = 0;
    if ((rc = cs_json_expect(&j, '{')) != 0)
        return rc;
    if (cs_json_peek(&j) == '}') {
        j.pos++;
    } else {
        for (;;) {
            coapsec_onem2m_str k;
            if (cs_json_peek(&j) != '"')
                return COAPSEC_ERR_FORMAT;
            size_t kstart = j.pos + 1;
            if ((rc = cs_json_string(&j, NULL, NULL)) != 0 || (rc = cs_json_expect(&j, ':')) != 0)
                return rc;
            k.p = json + kstart; /* raw key text; compared byte for byte */
            k.len = 0;
            while (kstart + k.len < j.pos && json[kstart + k.len] != '"')
                k.len++;
            cs_json_peek(&j);
            size_t vstart = j.pos;
            if ((rc = cs_json_skip(&j, 2)) != 0)
                return rc;
            if (!found && k.len == klen && memcmp(k.p, key, klen) == 0) {
                val->p = json + vstart;
                val->len = j.pos - vstart;
                found = 1;
            }
            int d = cs_json_peek(&j);
            if (d < 0)
                return COAPSEC_ERR_FORMAT;
            j.pos++;
            if (d == '}')
                break;
            if (d != ',')
                return COAPSEC_ERR_FORMAT;
        }
    }
    if (cs_json_peek(&j) != -1)
        return COAPSEC_ERR_FORMAT;
    return found ? 0 : COAPSEC_ERR_NOTFOUND;
}

/* A uint member value (digits only). */
static int cs_member_uint(coapsec_onem2m_str obj, const char *key, uint32_t *out) {
    coapsec_onem2m_str v;
    int rc = coapsec_onem2m_json_member(obj.p, obj.len, key, &v);
    if (rc != 0)
        return rc;
    return cs_m2m_parse_uint(v.p, v.len, UINT32_MAX, out);
}

int coapsec_onem2m_result_from_json(coapsec_onem2m_prim *out, const char *json, size_t len) {
    if (out == NULL || json == NULL)
        return COAPSEC_ERR_INVAL;
    coapsec_onem2m_str obj, res;
    int rc;
    if (coapsec_onem2m_json_member(json, len, "m2m:req", &obj) == 0) {
        uint32_t rs;
        if (cs_member_uint(obj, "rs", &rs) != 0)
            return COAPSEC_ERR_FORMAT;
        if (rs == COAPSEC_ONEM2M_RS_PENDING || rs == COAPSEC_ONEM2M_RS_FORWARDED)
            return 0;
        if (rs != COAPSEC_ONEM2M_RS_COMPLETED && rs != COAPSEC_ONEM2M_RS_FAILED)
            return COAPSEC_ERR_FORMAT;
        if (coapsec_onem2m_json_member(obj.p, obj.len, "ol", &res) != 0)
            return COAPSEC_ERR_FORMAT;
    } else if ((rc = coapsec_onem2m_json_member(json, len, "m2m:rsp", &res)) != 0) {
        return COAPSEC_ERR_FORMAT;
    }
    if ((rc = coapsec_onem2m_from_json(out, res.p, res.len, COAPSEC_ONEM2M_ABSENT)) != 0)
        return rc;
    if (out->rsc == COAPSEC_ONEM2M_ABSENT || out->op != COAPSEC_ONEM2M_ABSENT)
        return COAPSEC_ERR_FORMAT;
    return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t cs_days(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int coapsec_onem2m_time_parse(coapsec_onem2m_str ts, uint64_t *epoch_s) {
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (ts.p == NULL || epoch_s == NULL || ts.len != 15 || ts.p[8] != 'T')
        return COAPSEC_ERR_FORMAT;
    uint32_t v[6];
    static const uint8_t at[6] = {0, 4, 6, 9, 11, 13}, w[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int k = 0; k < w[i]; k++) {
            char c = ts.p[at[i] + k];
            if (c < '0' || c > '9')
                return COAPSEC_ERR_FORMAT;
            v[i] = v[i] * 10 + (uint32_t)(c - '0');
        }
    }
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] || v[3] > 23 ||
        v[4] > 59 || v[5] > 60)
        return COAPSEC_ERR_FORMAT;
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] == 2 && v[2] == 29 && !leap)
        return COAPSEC_ERR_FORMAT;
    int64_t days = cs_days(v[0], v[1], v[2]);
    *epoch_s = (uint64_t)days * 86400u + v[3] * 3600u + v[4] * 60u + v[5];
    return 0;
}
