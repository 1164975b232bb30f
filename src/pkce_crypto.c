/*
 * pkce_crypto.c: random values, PKCE S256 and constant-time comparison.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <apr_strings.h>

#include "pkce_b64.h"
#include "pkce_crypto.h"

/* Maximum size of one random value, in bytes, so the stack buffer is fixed. */
#define RANDOM_MAX_BYTES 96

apr_status_t pkce_random_b64url(char **pout, apr_size_t nbytes, apr_pool_t *p)
{
    unsigned char buf[RANDOM_MAX_BYTES];

    *pout = NULL;
    if (nbytes == 0 || nbytes > sizeof(buf)) {
        return PKCE_EINVAL;
    }
    if (RAND_bytes(buf, (int)nbytes) != 1) {
        return PKCE_ECRYPTO;
    }
    *pout = pkce_b64url_encode(buf, nbytes, p);
    OPENSSL_cleanse(buf, sizeof(buf));
    return APR_SUCCESS;
}

int pkce_verifier_is_valid(const char *verifier)
{
    apr_size_t len, i;

    if (verifier == NULL) {
        return 0;
    }
    len = strlen(verifier);
    if (len < 43 || len > 128) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)verifier[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
              || c == '~')) {
            return 0;
        }
    }
    return 1;
}

/* Hash `len` bytes of `data` with SHA-256 into `md` (32 bytes). */
static apr_status_t sha256(unsigned char *md, const void *data, apr_size_t len)
{
    unsigned int mdlen = 0;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen != 32) {
        return PKCE_ECRYPTO;
    }
    return APR_SUCCESS;
}

apr_status_t pkce_challenge_s256(char **pchallenge, const char *verifier,
                                 apr_pool_t *p)
{
    unsigned char md[32];
    apr_status_t rv;

    *pchallenge = NULL;
    if (!pkce_verifier_is_valid(verifier)) {
        return PKCE_EINVAL;
    }
    rv = sha256(md, verifier, strlen(verifier));
    if (rv == APR_SUCCESS) {
        *pchallenge = pkce_b64url_encode(md, sizeof(md), p);
    }
    return rv;
}

int pkce_str_equal_ct(const char *a, const char *b)
{
    apr_size_t alen, blen;

    if (a == NULL || b == NULL) {
        return 0;
    }
    alen = strlen(a);
    blen = strlen(b);
    if (alen != blen) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, alen) == 0;
}

char *pkce_hash_id(const char *text, apr_size_t nchars, apr_pool_t *p)
{
    unsigned char md[32];
    char *id;

    if (text == NULL || sha256(md, text, strlen(text)) != APR_SUCCESS) {
        return apr_pstrdup(p, "-");
    }
    id = pkce_b64url_encode(md, sizeof(md), p);
    if (nchars < strlen(id)) {
        id[nchars] = '\0';
    }
    return id;
}
