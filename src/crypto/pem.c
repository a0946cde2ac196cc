/*
 * crypto/pem.c - PEM encodings of P-256 keys through libcrypto's PEM
 * codec: a "PUBLIC KEY" block to SubjectPublicKeyInfo DER (RFC 7250 raw
 * public keys, `--rpk-trust` files), an SPKI back to PEM, and a private
 * key as a SEC 1 "EC PRIVATE KEY" block (the form libcoap's -M wants).
 * Nothing here decodes base64 by hand.
 */
#include "crypto/pkey_int.h"
#include "coapsec/common.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

int cs_spki_from_pem(const char *pem, size_t len, uint8_t *der, size_t cap, size_t *outlen) {
    if (pem == NULL || der == NULL || outlen == NULL || len == 0 || len > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (pkey == NULL)
        return COAPSEC_ERR_FORMAT;
    int rc = 0;
    int n = i2d_PUBKEY(pkey, NULL);
    if (n <= 0) {
        rc = COAPSEC_ERR_CRYPTO;
    } else if ((size_t)n > cap) {
        rc = COAPSEC_ERR_NOBUF;
    } else {
        unsigned char *p = der;
        if (i2d_PUBKEY(pkey, &p) != n)
            rc = COAPSEC_ERR_CRYPTO;
        else
            *outlen = (size_t)n;
    }
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}

/* Copy a memory BIO's contents into buf as a NUL-terminated string. */
static int bio_out(BIO *bio, char *buf, size_t cap, size_t *len) {
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return COAPSEC_ERR_CRYPTO;
    if ((size_t)n >= cap)
        return COAPSEC_ERR_NOBUF;
    memcpy(buf, data, (size_t)n);
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return 0;
}

int cs_spki_to_pem(const uint8_t *spki, size_t spki_len, char *buf, size_t cap, size_t *len) {
    if (spki == NULL || buf == NULL || cap == 0 || spki_len == 0 || spki_len > INT32_MAX)
        return COAPSEC_ERR_INVAL;
    const unsigned char *p = spki;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)spki_len);
    if (pkey == NULL || (size_t)(p - spki) != spki_len) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return COAPSEC_ERR_FORMAT;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    int rc = bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1 ? bio_out(bio, buf, cap, len)
                                                                 : COAPSEC_ERR_CRYPTO;
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}

int cs_p256_key_to_sec1_pem(const cs_p256_key *k, char *buf, size_t cap, size_t *len) {
    if (k == NULL || buf == NULL || cap == 0)
        return COAPSEC_ERR_INVAL;
    /* The "type-specific" traditional encoding of an EC key is SEC 1's
     * ECPrivateKey: "-----BEGIN EC PRIVATE KEY-----". */
    BIO *bio = BIO_new(BIO_s_secmem());
    int rc = bio != NULL && PEM_write_bio_PrivateKey_traditional(bio, k->pkey, NULL, NULL, 0, NULL,
                                                                 NULL) == 1
                 ? bio_out(bio, buf, cap, len)
                 : COAPSEC_ERR_CRYPTO;
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

int cs_write_file_mode(const char *path, const void *data, size_t len, int mode) {
    if (path == NULL || (data == NULL && len > 0))
        return COAPSEC_ERR_INVAL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return COAPSEC_ERR_IO;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (close(fd) != 0 || off != len)
        return COAPSEC_ERR_IO;
    return 0;
}
