/*
 * pkce_seal.c: AES-256-GCM sealing of cookie values, keys from HKDF-SHA256.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <apr_strings.h>

#include "pkce_b64.h"
#include "pkce_crypto.h"
#include "pkce_seal.h"

#define KEY_LEN 32
#define KEY_ID_LEN 4
#define IV_LEN 12
#define TAG_LEN 16
#define HEADER_LEN (1 + KEY_ID_LEN + IV_LEN)

/* A fixed salt: it separates our keys from other uses of the passphrase. */
#define HKDF_SALT "mod_pkce_auth seal v1"

typedef struct seal_key_t {
    unsigned char key[KEY_LEN];
    unsigned char id[KEY_ID_LEN];
} seal_key_t;

struct pkce_seal_keys_t {
    apr_array_header_t *keys;  /* of seal_key_t */
};

/* Derive `outlen` bytes from `secret` with HKDF-SHA256 and `info`. */
static apr_status_t hkdf(unsigned char *out, apr_size_t outlen,
                         const char *secret, const char *info)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5];
    apr_status_t rv = PKCE_ECRYPTO;

    if (ctx != NULL) {
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                     (char *)"SHA256", 0);
        params[1] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_KEY, (void *)secret, strlen(secret));
        params[2] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, (void *)HKDF_SALT, strlen(HKDF_SALT));
        params[3] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
        params[4] = OSSL_PARAM_construct_end();
        if (EVP_KDF_derive(ctx, out, outlen, params) == 1) {
            rv = APR_SUCCESS;
        }
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rv;
}

static apr_status_t wipe_keys(void *data)
{
    apr_array_header_t *keys = data;

    OPENSSL_cleanse(keys->elts, (size_t)keys->nelts * sizeof(seal_key_t));
    return APR_SUCCESS;
}

apr_status_t pkce_seal_keys_make(pkce_seal_keys_t **pkeys,
                                 const apr_array_header_t *passphrases,
                                 pkce_err_t *err, apr_pool_t *p)
{
    pkce_seal_keys_t *keys;
    int i;

    *pkeys = NULL;
    if (passphrases == NULL || passphrases->nelts == 0) {
        return pkce_err_set(err, PKCE_EINVAL, "no_passphrase",
                            "no passphrase given");
    }
    keys = apr_pcalloc(p, sizeof(*keys));
    keys->keys = apr_array_make(p, passphrases->nelts, sizeof(seal_key_t));
    apr_pool_cleanup_register(p, keys->keys, wipe_keys, apr_pool_cleanup_null);
    for (i = 0; i < passphrases->nelts; i++) {
        const char *secret = APR_ARRAY_IDX(passphrases, i, const char *);
        seal_key_t *k = apr_array_push(keys->keys);

        if (secret == NULL || strlen(secret) < PKCE_SEAL_MIN_PASSPHRASE) {
            return pkce_err_set(err, PKCE_EINVAL, "short_passphrase",
                                "passphrase %d has fewer than %d characters",
                                i + 1, PKCE_SEAL_MIN_PASSPHRASE);
        }
        if (hkdf(k->key, KEY_LEN, secret, "aes-256-gcm key") != APR_SUCCESS
            || hkdf(k->id, KEY_ID_LEN, secret, "key id") != APR_SUCCESS) {
            return pkce_err_set(err, PKCE_ECRYPTO, "hkdf",
                                "HKDF-SHA256 key derivation failed");
        }
    }
    *pkeys = keys;
    return APR_SUCCESS;
}

/* Run AES-256-GCM over `in` into `out`. `header` (HEADER_LEN bytes, holding
 * the IV at its end) and `purpose` are the additional authenticated data.
 * Encrypts and writes `tag` when `encrypt` is set, else checks `tag`. */
static apr_status_t gcm(unsigned char *out, const unsigned char *in,
                        apr_size_t len, unsigned char *tag,
                        const unsigned char *key, const unsigned char *header,
                        const char *purpose, int encrypt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    const unsigned char *iv = header + 1 + KEY_ID_LEN;
    apr_status_t rv = encrypt ? PKCE_ECRYPTO : PKCE_EVERIFY;
    int n = 0, ok;

    if (ctx == NULL) {
        return PKCE_ECRYPTO;
    }
    ok = EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, iv, encrypt, NULL)
         && EVP_CipherUpdate(ctx, NULL, &n, header, HEADER_LEN)
         && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)purpose,
                             (int)strlen(purpose))
         && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len));
    if (ok && !encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag);
    }
    /* For decryption, the final step is where the tag is checked. */
    ok = ok && EVP_CipherFinal_ex(ctx, out + n, &n);
    if (ok && encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok ? APR_SUCCESS : rv;
}

apr_status_t pkce_seal(char **psealed, const pkce_seal_keys_t *keys,
                       const char *purpose, const void *plain, apr_size_t len,
                       apr_pool_t *p)
{
    const seal_key_t *k = &APR_ARRAY_IDX(keys->keys, 0, seal_key_t);
    apr_size_t total = HEADER_LEN + len + TAG_LEN;
    unsigned char *buf;
    apr_status_t rv;

    *psealed = NULL;
    if (len > PKCE_SEAL_MAX_PLAIN) {
        return PKCE_ETOOBIG;
    }
    buf = apr_palloc(p, total);
    buf[0] = PKCE_SEAL_VERSION;
    memcpy(buf + 1, k->id, KEY_ID_LEN);
    if (RAND_bytes(buf + 1 + KEY_ID_LEN, IV_LEN) != 1) {
        return PKCE_ECRYPTO;
    }
    rv = gcm(buf + HEADER_LEN, plain, len, buf + HEADER_LEN + len, k->key,
             buf, purpose, 1);
    if (rv == APR_SUCCESS) {
        *psealed = pkce_b64url_encode(buf, total, p);
    }
    return rv;
}

apr_status_t pkce_unseal(char **pplain, apr_size_t *plen,
                         const pkce_seal_keys_t *keys, const char *purpose,
                         const char *sealed, apr_size_t sealed_len,
                         apr_pool_t *p)
{
    unsigned char *buf, *out;
    apr_size_t len, clen;
    int i;

    *pplain = NULL;
    *plen = 0;
    if (sealed_len > (PKCE_SEAL_MAX_PLAIN + HEADER_LEN + TAG_LEN) * 4 / 3 + 4
        || pkce_b64url_decode(&buf, &len, sealed, sealed_len, p) != APR_SUCCESS
        || len < HEADER_LEN + TAG_LEN || buf[0] != PKCE_SEAL_VERSION) {
        return PKCE_EVERIFY;
    }
    clen = len - HEADER_LEN - TAG_LEN;
    out = apr_palloc(p, clen + 1);
    for (i = 0; i < keys->keys->nelts; i++) {
        const seal_key_t *k = &APR_ARRAY_IDX(keys->keys, i, seal_key_t);

        /* The key id only picks the candidate key; the tag decides. */
        if (memcmp(k->id, buf + 1, KEY_ID_LEN) != 0) {
            continue;
        }
        if (gcm(out, buf + HEADER_LEN, clen, buf + HEADER_LEN + clen, k->key,
                buf, purpose, 0) == APR_SUCCESS) {
            out[clen] = '\0';
            *pplain = (char *)out;
            *plen = clen;
            return APR_SUCCESS;
        }
    }
    return PKCE_EVERIFY;
}
