/*
 * tools/store.h - the `coapsec server` resource store: resources created by
 * PUT/POST, keyed by their path ("a/b" for /a/b), each keeping its payload
 * and Content-Format. Bounded by a maximum number of resources and of total
 * payload bytes, both set at creation.
 */
#ifndef CS_TOOLS_STORE_H
#define CS_TOOLS_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CS_STORE_PATH_MAX 256

typedef struct cs_store_item {
    char path[CS_STORE_PATH_MAX]; /* segments joined by '/', no leading '/' */
    int cf;                       /* Content-Format, -1 when the request had none */
    uint8_t *data;
    size_t len;
} cs_store_item;

typedef struct cs_store {
    cs_store_item *items;
    size_t count;
    size_t max_items;
    size_t max_bytes;
    size_t total_bytes;
} cs_store;

enum { CS_STORE_CREATED = 1, CS_STORE_REPLACED = 2 };

/** Set up an empty store; returns 0 or -1 (out of memory). */
int cs_store_init(cs_store *s, size_t max_items, size_t max_bytes);
void cs_store_free(cs_store *s);

/** The resource at path, or NULL. */
const cs_store_item *cs_store_get(const cs_store *s, const char *path);

/**
 * Create or replace the resource at path. Returns CS_STORE_CREATED or
 * CS_STORE_REPLACED; COAPSEC_ERR_NOMEM when the resource count cap is reached,
 * COAPSEC_ERR_NOBUF when the byte cap would be exceeded, COAPSEC_ERR_INVAL for
 * an over-long path. On failure the store is unchanged.
 */
int cs_store_put(cs_store *s, const char *path, int cf, const uint8_t *data, size_t len);

/** Remove the resource at path; returns 0 or COAPSEC_ERR_NOTFOUND. */
int cs_store_delete(cs_store *s, const char *path);

#endif /* CS_TOOLS_STORE_H */
