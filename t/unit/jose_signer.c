/*
 * jose_signer.c: real keys and real JWS signatures for the JOSE unit
 * tests, made with OpenSSL 3 EVP.
 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jose_signer.h"

/* How a JWS algorithm signs. */
typedef struct signer_alg_t {
    const char *name;
    const char *digest;      /* NULL for EdDSA */
    int pss;                 /* RSASSA-PSS rather than PKCS #1 v1.5 */
    apr_size_t coord_len;    /* ES*: bytes of R and of S; 0 otherwise */
} signer_alg_t;

static const signer_alg_t signer_algs[] = {
    {"RS256", "SHA256", 0, 0}, {"RS384", "SHA384", 0, 0},
    {"RS512", "SHA512", 0, 0}, {"PS256", "SHA256", 1, 0},
    {"PS384", "SHA384", 1, 0}, {"PS512", "SHA512", 1, 0},
    {"ES256", "SHA256", 0, 32}, {"ES384", "SHA384", 0, 48},
    {"ES512", "SHA512", 0, 66}, {"EdDSA", NULL, 0, 0},
    {"HS256", "SHA256", 0, 0}, {"HS384", "SHA384", 0, 0},
    {"HS512", "SHA512", 0, 0},
};

static const signer_alg_t *signer_alg_find(const char *name)
{
    apr_size_t i;

    for (i = 0; i < sizeof(signer_algs) / sizeof(signer_algs[0]); i++) {
        if (strcmp(name, signer_algs[i].name) == 0) {
            return &signer_algs[i];
        }
    }
    return NULL;
}

static apr_status_t signer_pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

jose_key_t *jose_key_generate(const char *type, apr_pool_t *p)
{
    jose_key_t *key = apr_pcalloc(p, sizeof(*key));

    if (strcmp(type, "RSA") == 0 || strcmp(type, "RSA-1024") == 0) {
        size_t bits = strcmp(type, "RSA") == 0 ? 2048 : 1024;

        key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
        key->kty = "RSA";
    }
    else if (strcmp(type, "Ed25519") == 0) {
        key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        key->kty = "OKP";
        key->crv = "Ed25519";
    }
    else if (strcmp(type, "P-256") == 0 || strcmp(type, "P-384") == 0
             || strcmp(type, "P-521") == 0) {
        /* OpenSSL 3 accepts the NIST names as group name aliases. */
        key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
        key->kty = "EC";
        key->crv = type;
    }
    if (key->pkey == NULL) {
        return NULL;
    }
    apr_pool_cleanup_register(p, key->pkey, signer_pkey_cleanup,
                              apr_pool_cleanup_null);
    return key;
}

/* Set member `name` of `jwk` to BASE64URL(bn), padded to `pad` bytes
 * when `pad` is nonzero. */
static int signer_set_bn(json_t *jwk, const char *name, const BIGNUM *bn,
                         int pad, apr_pool_t *p)
{
    int len = pad ? pad : BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(p, (apr_size_t)len + 1);

    if (BN_bn2binpad(bn, buf, len) != len) {
        return 0;
    }
    return json_object_set_new(jwk, name,
                               json_string(jose_b64url(buf, (apr_size_t)len,
                                                       p))) == 0;
}

/* Set the members of `jwk` that carry the public key itself. */
static int signer_set_key_members(json_t *jwk, const jose_key_t *key,
                                  apr_pool_t *p)
{
    BIGNUM *a = NULL, *b = NULL;
    unsigned char raw[32];
    size_t raw_len = sizeof(raw);
    int ok = 0;

    if (strcmp(key->kty, "RSA") == 0) {
        ok = EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &a)
             && EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &b)
             && signer_set_bn(jwk, "n", a, 0, p)
             && signer_set_bn(jwk, "e", b, 0, p);
    }
    else if (strcmp(key->kty, "EC") == 0) {
        int coord_len = (EVP_PKEY_get_bits(key->pkey) + 7) / 8;

        ok = EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a)
             && EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b)
             && signer_set_bn(jwk, "x", a, coord_len, p)
             && signer_set_bn(jwk, "y", b, coord_len, p);
    }
    else if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &raw_len) == 1) {
        ok = json_object_set_new(jwk, "x",
                                 json_string(jose_b64url(raw, raw_len, p)))
             == 0;
    }
    BN_free(a);
    BN_free(b);
    return ok;
}

json_t *jose_key_jwk(const jose_key_t *key, const char *kid, const char *use,
                     const char *alg)
{
    json_t *jwk = json_object();
    apr_pool_t *p;
    int ok;

    if (jwk == NULL || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        json_decref(jwk);
        return NULL;
    }
    ok = json_object_set_new(jwk, "kty", json_string(key->kty)) == 0
         && (key->crv == NULL
             || json_object_set_new(jwk, "crv", json_string(key->crv)) == 0)
         && (kid == NULL
             || json_object_set_new(jwk, "kid", json_string(kid)) == 0)
         && (use == NULL
             || json_object_set_new(jwk, "use", json_string(use)) == 0)
         && (alg == NULL
             || json_object_set_new(jwk, "alg", json_string(alg)) == 0)
         && signer_set_key_members(jwk, key, p);
    apr_pool_destroy(p);
    if (!ok) {
        json_decref(jwk);
        return NULL;
    }
    return jwk;
}

char *jose_jwks_text(json_t *keys, apr_pool_t *p)
{
    json_t *root = json_pack("{s:o}", "keys", keys);
    char *text, *copy;

    if (root == NULL) {
        return NULL;
    }
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text == NULL) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

unsigned char *jose_key_public_der(apr_size_t *len, const jose_key_t *key,
                                   apr_pool_t *p)
{
    int der_len = i2d_PUBKEY(key->pkey, NULL);
    unsigned char *der, *cursor;

    if (der_len <= 0) {
        return NULL;
    }
    der = apr_palloc(p, (apr_size_t)der_len);
    cursor = der;
    if (i2d_PUBKEY(key->pkey, &cursor) != der_len) {
        return NULL;
    }
    *len = (apr_size_t)der_len;
    return der;
}

char *jose_key_public_pem(const jose_key_t *key, apr_pool_t *p)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *pem = NULL;
    long len;

    if (bio != NULL && PEM_write_bio_PUBKEY(bio, key->pkey) == 1) {
        len = BIO_get_mem_data(bio, &data);
        if (len > 0) {
            pem = apr_pstrmemdup(p, data, (apr_size_t)len);
        }
    }
    BIO_free(bio);
    return pem;
}

char *jose_b64url(const void *data, apr_size_t len, apr_pool_t *p)
{
    unsigned char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    int n = EVP_EncodeBlock(out, data, (int)len);
    int i;

    /* Standard base64 to base64url (RFC 4648 section 5), without '='. */
    for (i = 0; i < n; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        }
        else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    return (char *)out;
}

char *jose_signing_input(const char *header, const char *payload,
                         apr_pool_t *p)
{
    return apr_pstrcat(p, jose_b64url(header, strlen(header), p), ".",
                       jose_b64url(payload, strlen(payload), p), NULL);
}

/* Convert OpenSSL's DER ECDSA signature to R || S, each coord_len bytes. */
static unsigned char *signer_ecdsa_raw(const unsigned char *der,
                                       size_t der_len, apr_size_t coord_len,
                                       apr_pool_t *p)
{
    const unsigned char *cursor = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &cursor, (long)der_len);
    unsigned char *raw = apr_palloc(p, 2 * coord_len);
    int ok;

    if (sig == NULL) {
        return NULL;
    }
    ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, (int)coord_len) > 0
         && BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + coord_len,
                         (int)coord_len) > 0;
    ECDSA_SIG_free(sig);
    return ok ? raw : NULL;
}

/* Make the EVP signature of `input`. ES* signatures come in DER form. */
static unsigned char *signer_evp_sign(size_t *sig_len, const jose_key_t *key,
                                      const signer_alg_t *alg,
                                      const char *input, apr_pool_t *p)
{
    EVP_MD_CTX *mdctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    int ok;

    ok = mdctx != NULL
         && EVP_DigestSignInit_ex(mdctx, &pctx, alg->digest, NULL, NULL,
                                  key->pkey, NULL) == 1;
    if (ok && alg->pss) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                 RSA_PSS_SALTLEN_DIGEST) > 0;
    }
    /* The first call gives the maximum length, the second the actual. */
    if (ok && EVP_DigestSign(mdctx, NULL, sig_len,
                             (const unsigned char *)input,
                             strlen(input)) == 1) {
        sig = apr_palloc(p, *sig_len);
        if (EVP_DigestSign(mdctx, sig, sig_len, (const unsigned char *)input,
                           strlen(input)) != 1) {
            sig = NULL;
        }
    }
    EVP_MD_CTX_free(mdctx);
    return sig;
}

unsigned char *jose_sign_bytes(apr_size_t *sig_len, const jose_key_t *key,
                               const char *alg, const char *input, int der,
                               apr_pool_t *p)
{
    const signer_alg_t *info = signer_alg_find(alg);
    unsigned char *sig;
    size_t len = 0;

    if (info == NULL || key == NULL) {
        return NULL;
    }
    sig = signer_evp_sign(&len, key, info, input, p);
    if (sig != NULL && info->coord_len > 0 && !der) {
        sig = signer_ecdsa_raw(sig, len, info->coord_len, p);
        len = 2 * info->coord_len;
    }
    *sig_len = len;
    return sig;
}

unsigned char *jose_hmac_bytes(apr_size_t *mac_len, const char *alg,
                               const void *secret, apr_size_t secret_len,
                               const char *input, apr_pool_t *p)
{
    const signer_alg_t *info = signer_alg_find(alg);
    unsigned char *mac = apr_palloc(p, EVP_MAX_MD_SIZE);
    size_t len = 0;

    if (info == NULL || info->digest == NULL
        || EVP_Q_mac(NULL, "HMAC", NULL, info->digest, NULL, secret,
                     secret_len, (const unsigned char *)input, strlen(input),
                     mac, EVP_MAX_MD_SIZE, &len) == NULL) {
        return NULL;
    }
    *mac_len = len;
    return mac;
}

char *jose_compact(const char *input, const unsigned char *sig,
                   apr_size_t sig_len, apr_pool_t *p)
{
    return apr_pstrcat(p, input, ".", jose_b64url(sig, sig_len, p), NULL);
}

char *jose_sign(const jose_key_t *key, const char *alg, const char *header,
                const char *payload, apr_pool_t *p)
{
    char *input = jose_signing_input(header, payload, p);
    apr_size_t sig_len;
    unsigned char *sig = jose_sign_bytes(&sig_len, key, alg, input, 0, p);

    return sig != NULL ? jose_compact(input, sig, sig_len, p) : NULL;
}

char *jose_sign_hmac(const char *alg, const void *secret,
                     apr_size_t secret_len, const char *header,
                     const char *payload, apr_pool_t *p)
{
    char *input = jose_signing_input(header, payload, p);
    apr_size_t mac_len;
    unsigned char *mac = jose_hmac_bytes(&mac_len, alg, secret, secret_len,
                                         input, p);

    return mac != NULL ? jose_compact(input, mac, mac_len, p) : NULL;
}
