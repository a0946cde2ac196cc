/*
 * tools/store.c - the bounded resource store of `coapsec server` (see
 * store.h). A flat array searched linearly: the store is small by design.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "coapsec/common.h"

int cs_store_init(cs_store *s, size_t max_items, size_t max_bytes) {
    memset(s, 0, sizeof *s);
    s->max_items = max_items;
    s->max_bytes = max_bytes;
    if (max_items) {
        s->items = calloc(max_items, sizeof *s->items);
        if (!s->items)
            return -1;
    }
    return 0;
}

void cs_store_free(cs_store *s) {
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i].data);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static cs_store_item *find(const cs_store *s, const char *path) {
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->items[i].path, path) == 0)
            return &s->items[i];
    return NULL;
}

const cs_store_item *cs_store_get(const cs_store *s, const char *path) {
    return find(s, path);
}

int cs_store_put(cs_store *s, const char *path, int cf, const uint8_t *data, size_t len) {
    size_t plen = strlen(path);
    if (plen >= CS_STORE_PATH_MAX)
        return COAPSEC_ERR_INVAL;
    cs_store_item *it = find(s, path);
    size_t old = it ? it->len : 0;
    if (!it && s->count >= s->max_items)
        return COAPSEC_ERR_NOMEM;
    if (len > s->max_bytes || s->total_bytes - old > s->max_bytes - len)
        return COAPSEC_ERR_NOBUF;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return COAPSEC_ERR_NOMEM;
    if (len)
        memcpy(copy, data, len);
    int rc = CS_STORE_REPLACED;
    if (!it) {
        it = &s->items[s->count++];
        memcpy(it->path, path, plen + 1);
        rc = CS_STORE_CREATED;
    } else {
        free(it->data);
    }
    it->data = copy;
    it->len = len;
    it->cf = cf;
    s->total_bytes = s->total_bytes - old + len;
    return rc;
}

int cs_store_delete(cs_store *s, const char *path) {
    cs_store_item *it = find(s, path);
    if (!it)
        return COAPSEC_ERR_NOTFOUND;
    s->total_bytes -= it->len;
    free(it->data);
    *it = s->items[--s->count];
    return 0;
}
