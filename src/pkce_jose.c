/*
 * pkce_jose.c: JWK sets (RFC 7517), compact JWS (RFC 7515) and signature
 * verification (RFC 7518, RFC 8037) with OpenSSL 3 EVP.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "pkce_b64.h"
#include "pkce_jose.h"

/* RSA moduli below this are too weak to trust. */
#define JOSE_RSA_MIN_BITS 2048
/* OpenSSL 3.0 does not verify with larger moduli
 * (OPENSSL_RSA_MAX_MODULUS_BITS in openssl/rsa.h). */
#define JOSE_RSA_MAX_BITS 16384
/* Characters of a token value (alg, kid) copied into an error message. */
#define JOSE_MSG_VALUE_MAX 64

typedef enum {
    JOSE_RSA_PKCS1,
    JOSE_RSA_PSS,
    JOSE_ECDSA,
    JOSE_EDDSA,
    JOSE_HMAC
} jose_family_e;

/* A JWS "alg" value this library verifies. */
typedef struct jose_alg_t {
    const char *name;
    jose_family_e family;
    const char *digest;    /* NULL for EdDSA, which hashes internally */
    const char *crv;       /* JWK "crv" of the key; NULL for RSA and HMAC */
    int key_bits;          /* EVP_PKEY_get_bits() of an EC key; else 0 */
    apr_size_t coord_len;  /* ES*: bytes of R and of S */
} jose_alg_t;

static const jose_alg_t jose_algs[] = {
    {"RS256", JOSE_RSA_PKCS1, "SHA256", NULL, 0, 0},
    {"RS384", JOSE_RSA_PKCS1, "SHA384", NULL, 0, 0},
    {"RS512", JOSE_RSA_PKCS1, "SHA512", NULL, 0, 0},
    {"PS256", JOSE_RSA_PSS, "SHA256", NULL, 0, 0},
    {"PS384", JOSE_RSA_PSS, "SHA384", NULL, 0, 0},
    {"PS512", JOSE_RSA_PSS, "SHA512", NULL, 0, 0},
    {"ES256", JOSE_ECDSA, "SHA256", "P-256", 256, 32},
    {"ES384", JOSE_ECDSA, "SHA384", "P-384", 384, 48},
    {"ES512", JOSE_ECDSA, "SHA512", "P-521", 521, 66},
    {"EdDSA", JOSE_EDDSA, NULL, "Ed25519", 0, 0},
    {"HS256", JOSE_HMAC, "SHA256", NULL, 0, 0},
    {"HS384", JOSE_HMAC, "SHA384", NULL, 0, 0},
    {"HS512", JOSE_HMAC, "SHA512", NULL, 0, 0},
};

/* An EC curve of RFC 7518 section 6.2.1.1 and its OpenSSL group name. */
typedef struct jose_curve_t {
    const char *crv;
    const char *group;
    apr_size_t coord_len;    /* bytes of the x and y coordinates */
} jose_curve_t;

static const jose_curve_t jose_curves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

static apr_status_t jose_pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static apr_status_t jose_json_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

/* Parse JSON text into an object whose reference `p` releases. */
static json_t *jose_json_load(const char *text, apr_size_t len,
                              json_error_t *jerr, apr_pool_t *p)
{
    /* RFC 7515 section 4: rejecting duplicate member names is allowed,
     * and it leaves no doubt about which "alg" or "kid" counts. */
    json_t *json = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);

    if (json != NULL) {
        apr_pool_cleanup_register(p, json, jose_json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return json_is_object(json) ? json : NULL;
}

/*
 * Copy a token value for an error message: at most JOSE_MSG_VALUE_MAX
 * characters, with anything but printable ASCII replaced by '?', so that
 * the value cannot break or forge a log line.
 */
static const char *jose_msg_value(const char *value, apr_pool_t *p)
{
    apr_size_t i;
    char *out = apr_pstrndup(p, value, JOSE_MSG_VALUE_MAX);

    for (i = 0; out[i] != '\0'; i++) {
        unsigned char c = (unsigned char)out[i];

        if (c < 0x20 || c > 0x7e) {
            out[i] = '?';
        }
    }
    return out;
}

/*
 * Read the optional string member `name`: *out is NULL when it is absent.
 * Returns 0 when it is present with another type.
 */
static int jose_member_string(const char **out, const json_t *obj,
                              const char *name)
{
    const json_t *value = json_object_get(obj, name);

    *out = NULL;
    if (value == NULL) {
        return 1;
    }
    if (!json_is_string(value)) {
        return 0;
    }
    *out = json_string_value(value);
    return 1;
}

/* Decode the base64url member `name` of a JWK. Returns 0 when it is
 * missing, empty, not a string or not strict base64url. */
static int jwk_member_bytes(unsigned char **out, apr_size_t *outlen,
                            const json_t *jwk, const char *name,
                            apr_pool_t *p)
{
    const json_t *value = json_object_get(jwk, name);

    if (!json_is_string(value) || json_string_length(value) == 0) {
        return 0;
    }
    return pkce_b64url_decode(out, outlen, json_string_value(value),
                              json_string_length(value), p) == APR_SUCCESS;
}

/* Build a public key of OpenSSL key type `type` from the parameters. */
static EVP_PKEY *jwk_pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        pkey = NULL;
    }
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* Free `pkey` and return NULL unless OpenSSL's public key check passes,
 * which for EC includes that the point is on the curve. */
static EVP_PKEY *jwk_pkey_checked(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    if (pkey == NULL) {
        return NULL;
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

/* Import an RSA JWK (RFC 7518 section 6.3.1: "n" and "e"). */
static EVP_PKEY *jwk_rsa_pkey(const json_t *jwk, apr_pool_t *ptemp)
{
    unsigned char *n_bytes, *e_bytes;
    apr_size_t n_len, e_len;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    if (!jwk_member_bytes(&n_bytes, &n_len, jwk, "n", ptemp)
        || !jwk_member_bytes(&e_bytes, &e_len, jwk, "e", ptemp)
        || n_len > JOSE_RSA_MAX_BITS / 8 + 1 || e_len > n_len) {
        return NULL;
    }
    n = BN_bin2bn(n_bytes, (int)n_len, NULL);
    e = BN_bin2bn(e_bytes, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (n != NULL && e != NULL && bld != NULL
        && BN_num_bits(n) >= JOSE_RSA_MIN_BITS
        && BN_num_bits(n) <= JOSE_RSA_MAX_BITS
        && BN_is_odd(n) && BN_is_odd(e) && !BN_is_one(e)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
        pkey = jwk_pkey_fromdata("RSA", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* Import an EC JWK (RFC 7518 section 6.2.1) on one of jose_curves. */
static EVP_PKEY *jwk_ec_pkey(const json_t *jwk, const char *crv,
                             apr_pool_t *ptemp)
{
    const jose_curve_t *curve = NULL;
    unsigned char *x, *y, *point;
    apr_size_t x_len, y_len, i;
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pkey = NULL;

    for (i = 0; i < sizeof(jose_curves) / sizeof(jose_curves[0]); i++) {
        if (crv != NULL && strcmp(crv, jose_curves[i].crv) == 0) {
            curve = &jose_curves[i];
        }
    }
    /* RFC 7518 section 6.2.1.2: x and y are the full coordinate size. */
    if (curve == NULL
        || !jwk_member_bytes(&x, &x_len, jwk, "x", ptemp)
        || !jwk_member_bytes(&y, &y_len, jwk, "y", ptemp)
        || x_len != curve->coord_len || y_len != curve->coord_len) {
        return NULL;
    }
    /* SEC 1 uncompressed point: 0x04 || x || y. */
    point = apr_palloc(ptemp, 1 + 2 * curve->coord_len);
    point[0] = 0x04;
    memcpy(point + 1, x, x_len);
    memcpy(point + 1 + x_len, y, y_len);

    bld = OSSL_PARAM_BLD_new();
    if (bld != NULL
        && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           curve->group, 0)
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, 1 + x_len + y_len)) {
        pkey = jwk_pkey_checked(jwk_pkey_fromdata("EC", bld));
    }
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* Import an OKP JWK. RFC 8037 section 2 defines "x" as the 32-byte
 * Ed25519 public key. Other OKP curves are not supported. */
static EVP_PKEY *jwk_okp_pkey(const json_t *jwk, const char *crv,
                              apr_pool_t *ptemp)
{
    unsigned char *x;
    apr_size_t x_len;
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pkey = NULL;

    if (crv == NULL || strcmp(crv, "Ed25519") != 0
        || !jwk_member_bytes(&x, &x_len, jwk, "x", ptemp) || x_len != 32) {
        return NULL;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld != NULL
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            x, x_len)) {
        pkey = jwk_pkey_checked(jwk_pkey_fromdata("ED25519", bld));
    }
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* Parse one member of "keys". Returns NULL when the key is skipped. */
static pkce_jwk_t *jwk_parse(const json_t *jwk, apr_pool_t *p,
                             apr_pool_t *ptemp)
{
    const char *kty, *use, *alg, *kid, *crv;
    EVP_PKEY *pkey = NULL;
    pkce_jwk_t *key;

    if (!json_is_object(jwk)
        || !jose_member_string(&kty, jwk, "kty") || kty == NULL
        || !jose_member_string(&use, jwk, "use")
        || !jose_member_string(&alg, jwk, "alg")
        || !jose_member_string(&kid, jwk, "kid")
        || !jose_member_string(&crv, jwk, "crv")
        || (use != NULL && strcmp(use, "sig") != 0)) {
        return NULL;
    }
    if (strcmp(kty, "RSA") == 0) {
        pkey = jwk_rsa_pkey(jwk, ptemp);
        crv = NULL;
    }
    else if (strcmp(kty, "EC") == 0) {
        pkey = jwk_ec_pkey(jwk, crv, ptemp);
    }
    else if (strcmp(kty, "OKP") == 0) {
        pkey = jwk_okp_pkey(jwk, crv, ptemp);
    }
    if (pkey == NULL) {
        return NULL;
    }
    apr_pool_cleanup_register(p, pkey, jose_pkey_cleanup,
                              apr_pool_cleanup_null);

    key = apr_pcalloc(p, sizeof(*key));
    key->kid = kid != NULL ? apr_pstrdup(p, kid) : NULL;
    key->kty = apr_pstrdup(p, kty);
    key->use = use != NULL ? apr_pstrdup(p, use) : NULL;
    key->alg = alg != NULL ? apr_pstrdup(p, alg) : NULL;
    key->crv = crv != NULL ? apr_pstrdup(p, crv) : NULL;
    key->pkey = pkey;
    return key;
}

apr_status_t pkce_jwks_parse(pkce_jwks_t **pjwks, const char *json,
                             apr_size_t len, pkce_err_t *err, apr_pool_t *p)
{
    apr_pool_t *ptemp;
    json_error_t jerr;
    json_t *root, *keys;
    pkce_jwks_t *jwks;
    apr_status_t rv;
    size_t i;

    *pjwks = NULL;
    if (json == NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jwks",
                            "JWKS document is missing");
    }
    rv = apr_pool_create(&ptemp, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    jerr.text[0] = '\0';
    root = jose_json_load(json, len, &jerr, ptemp);
    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        rv = pkce_err_set(err, PKCE_EINVAL, "malformed_jwks",
                          "JWKS document is not a JSON object with a "
                          "\"keys\" array%s%s", jerr.text[0] ? ": " : "",
                          jerr.text);
        goto done;
    }
    jwks = apr_pcalloc(p, sizeof(*jwks));
    jwks->keys = apr_array_make(p, 4, sizeof(pkce_jwk_t *));
    for (i = 0; i < json_array_size(keys)
                && jwks->keys->nelts < PKCE_JWKS_MAX_KEYS; i++) {
        pkce_jwk_t *key = jwk_parse(json_array_get(keys, i), p, ptemp);

        if (key != NULL) {
            APR_ARRAY_PUSH(jwks->keys, pkce_jwk_t *) = key;
        }
    }
    *pjwks = jwks;

done:
    /* Skipped keys leave OpenSSL errors queued, but they are no failure. */
    ERR_clear_error();
    apr_pool_destroy(ptemp);
    return rv;
}

/* Length of `s`, reading no further than `max` characters. */
static apr_size_t jose_bounded_len(const char *s, apr_size_t max)
{
    apr_size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

/* Decode a base64url part that must hold a JSON object. */
static json_t *jws_decode_object(const char *text, apr_size_t len,
                                 apr_pool_t *p)
{
    unsigned char *raw;
    apr_size_t raw_len;

    if (pkce_b64url_decode(&raw, &raw_len, text, len, p) != APR_SUCCESS) {
        return NULL;
    }
    return jose_json_load((const char *)raw, raw_len, NULL, p);
}

/* Read the header parameters of `jws->header` that this library uses. */
static apr_status_t jws_read_header(pkce_jws_t *jws, pkce_err_t *err)
{
    /* RFC 7515 section 4.1.11: a recipient must reject a JWS whose "crit"
     * lists an extension it does not implement, and this one implements
     * none. A malformed "crit" is rejected as well. */
    if (json_object_get(jws->header, "crit") != NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "crit",
                            "JWS header has a \"crit\" parameter, but no "
                            "JWS extension is supported");
    }
    if (!jose_member_string(&jws->alg, jws->header, "alg")
        || jws->alg == NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS header has no string \"alg\"");
    }
    if (!jose_member_string(&jws->kid, jws->header, "kid")
        || !jose_member_string(&jws->typ, jws->header, "typ")) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS header \"kid\" or \"typ\" is not a string");
    }
    return APR_SUCCESS;
}

/* Decode the three parts of a compact JWS, split at `dot1` and `dot2`. */
static apr_status_t jws_decode_parts(pkce_jws_t *jws, const char *compact,
                                     const char *dot1, const char *dot2,
                                     const char *end, pkce_err_t *err,
                                     apr_pool_t *p)
{
    apr_status_t rv;

    jws->header = jws_decode_object(compact, (apr_size_t)(dot1 - compact), p);
    if (jws->header == NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS header is not a base64url-encoded JSON "
                            "object");
    }
    rv = jws_read_header(jws, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    jws->payload = jws_decode_object(dot1 + 1, (apr_size_t)(dot2 - dot1 - 1),
                                     p);
    if (jws->payload == NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS payload is not a base64url-encoded JSON "
                            "object");
    }
    if (pkce_b64url_decode(&jws->signature, &jws->signature_len, dot2 + 1,
                           (apr_size_t)(end - dot2 - 1), p) != APR_SUCCESS) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS signature is not valid base64url");
    }
    jws->signing_input = apr_pstrmemdup(p, compact,
                                        (apr_size_t)(dot2 - compact));
    jws->signing_input_len = (apr_size_t)(dot2 - compact);
    return APR_SUCCESS;
}

apr_status_t pkce_jws_parse(pkce_jws_t **pjws, const char *compact,
                            pkce_err_t *err, apr_pool_t *p)
{
    const char *dot1, *dot2, *end;
    apr_size_t len;
    pkce_jws_t *jws;
    apr_status_t rv;

    *pjws = NULL;
    if (compact == NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS is missing");
    }
    len = jose_bounded_len(compact, PKCE_JWS_MAX_LEN + 1);
    if (len > PKCE_JWS_MAX_LEN) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS is longer than the maximum of %d bytes",
                            PKCE_JWS_MAX_LEN);
    }
    end = compact + len;
    dot1 = memchr(compact, '.', len);
    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', (apr_size_t)(end - dot1 - 1))
                        : NULL;
    if (dot2 == NULL
        || memchr(dot2 + 1, '.', (apr_size_t)(end - dot2 - 1)) != NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "malformed_jws",
                            "JWS does not have three dot-separated parts");
    }
    jws = apr_pcalloc(p, sizeof(*jws));
    rv = jws_decode_parts(jws, compact, dot1, dot2, end, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pjws = jws;
    return APR_SUCCESS;
}

static const jose_alg_t *jose_alg_find(const char *name)
{
    apr_size_t i;

    for (i = 0; i < sizeof(jose_algs) / sizeof(jose_algs[0]); i++) {
        /* RFC 7515 section 4.1.1: "alg" is case-sensitive. */
        if (strcmp(name, jose_algs[i].name) == 0) {
            return &jose_algs[i];
        }
    }
    return NULL;
}

/* Return whether `key` may verify a signature made with `alg`. The
 * EVP_PKEY is checked too, so a key whose JWK fields were changed after
 * parsing cannot verify an algorithm of another key type. */
static int jwk_fits_alg(const pkce_jwk_t *key, const jose_alg_t *alg)
{
    if (key->pkey == NULL
        || (key->use != NULL && strcmp(key->use, "sig") != 0)
        || (key->alg != NULL && strcmp(key->alg, alg->name) != 0)) {
        return 0;
    }
    switch (alg->family) {
    case JOSE_RSA_PKCS1:
    case JOSE_RSA_PSS:
        return strcmp(key->kty, "RSA") == 0
               && EVP_PKEY_is_a(key->pkey, "RSA");
    case JOSE_ECDSA:
        return strcmp(key->kty, "EC") == 0 && key->crv != NULL
               && strcmp(key->crv, alg->crv) == 0
               && EVP_PKEY_is_a(key->pkey, "EC")
               && EVP_PKEY_get_bits(key->pkey) == alg->key_bits;
    case JOSE_EDDSA:
        return strcmp(key->kty, "OKP") == 0 && key->crv != NULL
               && strcmp(key->crv, alg->crv) == 0
               && EVP_PKEY_is_a(key->pkey, "ED25519");
    default:
        return 0;
    }
}

/*
 * Convert a JOSE ECDSA signature to the DER ECDSA-Sig-Value that OpenSSL
 * verifies. RFC 7518 section 3.4: the JWS signature is R || S, each an
 * unsigned big-endian integer of exactly the coordinate size, so any
 * other length (a DER signature, for one) is rejected.
 */
static int jose_ecdsa_der(const unsigned char **pder, size_t *pder_len,
                          const unsigned char *raw, apr_size_t raw_len,
                          apr_size_t coord_len, apr_pool_t *p)
{
    ECDSA_SIG *sig;
    BIGNUM *r, *s;
    unsigned char *der, *cursor;
    int der_len, ok = 0;

    if (raw_len != 2 * coord_len) {
        return 0;
    }
    sig = ECDSA_SIG_new();
    r = BN_bin2bn(raw, (int)coord_len, NULL);
    s = BN_bin2bn(raw + coord_len, (int)coord_len, NULL);
    if (sig == NULL || r == NULL || s == NULL
        || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return 0;
    }
    /* From here on `sig` owns r and s. */
    der_len = i2d_ECDSA_SIG(sig, NULL);
    if (der_len > 0) {
        der = apr_palloc(p, (apr_size_t)der_len);
        cursor = der;
        if (i2d_ECDSA_SIG(sig, &cursor) == der_len) {
            *pder = der;
            *pder_len = (size_t)der_len;
            ok = 1;
        }
    }
    ECDSA_SIG_free(sig);
    return ok;
}

/* Set the RSA padding of `alg` on a verification context. */
static int jose_set_rsa_padding(EVP_PKEY_CTX *pctx, const jose_alg_t *alg)
{
    if (alg->family == JOSE_RSA_PKCS1) {
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    }
    if (alg->family != JOSE_RSA_PSS) {
        return 1;
    }
    /* RFC 7518 section 3.5: MGF1 with the same hash function, and a salt
     * as long as the hash output; RSA_PSS_SALTLEN_DIGEST requires that
     * length when verifying. */
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
           && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                               RSA_PSS_SALTLEN_DIGEST) > 0
           && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg->digest, NULL) > 0;
}

/* Return whether the signature of `jws` verifies with `pkey`. */
static int jose_verify_with(EVP_PKEY *pkey, const jose_alg_t *alg,
                            const pkce_jws_t *jws, apr_pool_t *ptemp)
{
    const unsigned char *sig = jws->signature;
    size_t sig_len = jws->signature_len;
    EVP_MD_CTX *mdctx;
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;

    if (alg->family == JOSE_ECDSA) {
        if (!jose_ecdsa_der(&sig, &sig_len, jws->signature,
                            jws->signature_len, alg->coord_len, ptemp)) {
            return 0;
        }
    }
    else if ((alg->family == JOSE_RSA_PKCS1 || alg->family == JOSE_RSA_PSS)
             && sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
        /* RFC 8017 sections 8.1.2 and 8.2.2: a signature must be exactly
         * as long as the modulus. OpenSSL 3.0 accepts shorter RSASSA-PSS
         * signatures, so the length is checked here. */
        return 0;
    }
    mdctx = EVP_MD_CTX_new();
    if (mdctx != NULL
        && EVP_DigestVerifyInit_ex(mdctx, &pctx, alg->digest, NULL, NULL,
                                   pkey, NULL) == 1
        && jose_set_rsa_padding(pctx, alg)) {
        ok = EVP_DigestVerify(mdctx, sig, sig_len,
                              (const unsigned char *)jws->signing_input,
                              jws->signing_input_len) == 1;
    }
    EVP_MD_CTX_free(mdctx);
    if (!ok) {
        ERR_clear_error();
    }
    return ok;
}

/*
 * Verify an HS* signature. The key is only ever the client secret: a
 * public key from the JWKS is never used as an HMAC key, which defeats
 * the attack of signing HS256 with the provider's public key.
 */
static apr_status_t jws_verify_hmac(const pkce_jws_t *jws,
                                    const jose_alg_t *alg,
                                    const pkce_jws_keys_t *keys,
                                    pkce_err_t *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;

    if (keys == NULL || keys->hmac_secret == NULL
        || keys->hmac_secret_len == 0) {
        return pkce_err_set(err, PKCE_EVERIFY, "alg_not_allowed",
                            "JWS algorithm %s needs a client secret, and "
                            "none is configured", alg->name);
    }
    if (EVP_Q_mac(NULL, "HMAC", NULL, alg->digest, NULL, keys->hmac_secret,
                  keys->hmac_secret_len,
                  (const unsigned char *)jws->signing_input,
                  jws->signing_input_len, mac, sizeof(mac), &mac_len)
        == NULL) {
        ERR_clear_error();
        return pkce_err_set(err, PKCE_EVERIFY, "bad_signature",
                            "computing the %s HMAC failed in OpenSSL",
                            alg->name);
    }
    if (jws->signature_len != mac_len
        || CRYPTO_memcmp(mac, jws->signature, mac_len) != 0) {
        return pkce_err_set(err, PKCE_EVERIFY, "bad_signature",
                            "JWS %s signature does not verify with the "
                            "client secret", alg->name);
    }
    return APR_SUCCESS;
}

/* Verify with the JWKS keys that fit `alg` and the header "kid". */
static apr_status_t jws_verify_jwks(const pkce_jws_t *jws,
                                    const jose_alg_t *alg,
                                    const pkce_jws_keys_t *keys,
                                    pkce_err_t *err, apr_pool_t *ptemp)
{
    const apr_array_header_t *list = NULL;
    int i, kid_found = 0, tried = 0;

    if (keys != NULL && keys->jwks != NULL) {
        list = keys->jwks->keys;
    }
    if (list == NULL) {
        return pkce_err_set(err, PKCE_ENOKEY, "no_key",
                            "no JWKS is available to verify JWS algorithm "
                            "%s", alg->name);
    }
    for (i = 0; i < list->nelts; i++) {
        const pkce_jwk_t *key = APR_ARRAY_IDX(list, i, const pkce_jwk_t *);

        if (jws->kid != NULL) {
            if (key->kid == NULL || strcmp(key->kid, jws->kid) != 0) {
                continue;
            }
            kid_found = 1;
        }
        if (!jwk_fits_alg(key, alg)) {
            continue;
        }
        tried++;
        if (jose_verify_with(key->pkey, alg, jws, ptemp)) {
            return APR_SUCCESS;
        }
    }
    if (tried > 0) {
        return pkce_err_set(err, PKCE_EVERIFY, "bad_signature",
                            "JWS %s signature does not verify with %d "
                            "matching key(s)", alg->name, tried);
    }
    if (jws->kid != NULL && !kid_found) {
        return pkce_err_set(err, PKCE_ENOKEY, "unknown_kid",
                            "no key in the JWKS has kid \"%s\"",
                            jose_msg_value(jws->kid, ptemp));
    }
    return pkce_err_set(err, PKCE_ENOKEY, "no_key",
                        "no key in the JWKS fits JWS algorithm %s%s%s",
                        alg->name, jws->kid != NULL ? " and kid " : "",
                        jws->kid != NULL ? jose_msg_value(jws->kid, ptemp)
                                         : "");
}

apr_status_t pkce_jws_verify(const pkce_jws_t *jws, const pkce_jws_keys_t *keys,
                             pkce_err_t *err, apr_pool_t *ptemp)
{
    const jose_alg_t *alg = jose_alg_find(jws->alg);

    if (alg == NULL) {
        return pkce_err_set(err, PKCE_EVERIFY, "alg_not_allowed",
                            "JWS algorithm \"%s\" is not allowed",
                            jose_msg_value(jws->alg, ptemp));
    }
    if (alg->family == JOSE_HMAC) {
        return jws_verify_hmac(jws, alg, keys, err);
    }
    return jws_verify_jwks(jws, alg, keys, err, ptemp);
}
