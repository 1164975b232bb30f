/*
 * pkce_jose.h: JWS compact serialization (RFC 7515), JWK sets (RFC 7517)
 * and signature verification with OpenSSL 3 EVP.
 *
 * This is the one code path for every signed token the module accepts: ID
 * tokens now, access tokens and logout tokens later. Keys come only from a
 * JWKS that the caller fetched from the configured provider (or from the
 * client secret for HS*). The `jku`, `x5u`, `jwk` and `x5c` header
 * parameters are ignored and never fetched.
 */
#ifndef PKCE_JOSE_H
#define PKCE_JOSE_H

#include <jansson.h>
#include <openssl/evp.h>

#include <apr_tables.h>

#include "pkce.h"

/** Largest compact JWS accepted, in bytes; longer input is rejected. */
#define PKCE_JWS_MAX_LEN (64 * 1024)
/** Most keys kept from one JWKS; further keys are ignored. */
#define PKCE_JWKS_MAX_KEYS 64

/** One public key of a JWKS, usable for signature verification. */
typedef struct pkce_jwk_t {
    const char *kid;  /* NULL when the JWK has no "kid" */
    const char *kty;  /* "RSA", "EC" or "OKP" */
    const char *use;  /* NULL when absent; keys with use other than "sig" are dropped */
    const char *alg;  /* NULL when absent */
    const char *crv;  /* "P-256", "P-384", "P-521" or "Ed25519"; NULL for RSA */
    EVP_PKEY *pkey;   /* freed by a cleanup on the pool the JWKS was parsed in */
} pkce_jwk_t;

/** A parsed JWKS: the keys it had that this library can verify with. */
typedef struct pkce_jwks_t {
    apr_array_header_t *keys;  /* of pkce_jwk_t * */
} pkce_jwks_t;

/**
 * Parse a JWKS document. Keys of an unsupported type or curve, with
 * `use` other than "sig", or with invalid parameters (RSA modulus under 2048
 * bits, EC point not on the curve) are skipped, not fatal.
 * @param pjwks receives the set, allocated from `p`; EVP_PKEY objects are
 *              freed when `p` is cleared or destroyed
 * @return APR_SUCCESS, or PKCE_EINVAL when the text is not a JSON object
 *         with a "keys" array
 */
apr_status_t pkce_jwks_parse(pkce_jwks_t **pjwks, const char *json,
                             apr_size_t len, pkce_err_t *err, apr_pool_t *p);

/** A parsed, not yet verified, compact JWS whose payload is a JSON object. */
typedef struct pkce_jws_t {
    const char *alg;            /* header "alg", never NULL after parsing */
    const char *kid;            /* header "kid", or NULL */
    const char *typ;            /* header "typ", or NULL */
    json_t *header;             /* decref'd by a cleanup on the pool */
    json_t *payload;            /* decref'd by a cleanup on the pool */
    const char *signing_input;  /* BASE64URL(header) "." BASE64URL(payload) */
    apr_size_t signing_input_len;
    unsigned char *signature;   /* decoded signature bytes */
    apr_size_t signature_len;
} pkce_jws_t;

/**
 * Split and decode a compact JWS (three base64url parts, the first two JSON
 * objects). Rejects: input over PKCE_JWS_MAX_LEN, a part count other than
 * three, invalid base64url, a header without a string "alg", and a "crit"
 * header that is not a list of names this library implements (it implements
 * none, so any "crit" rejects).
 * @return APR_SUCCESS or PKCE_EINVAL (reason "malformed_jws" or "crit")
 */
apr_status_t pkce_jws_parse(pkce_jws_t **pjws, const char *compact,
                            pkce_err_t *err, apr_pool_t *p);

/** Keys that pkce_jws_verify() may use to verify a signature. */
typedef struct pkce_jws_keys_t {
    const pkce_jwks_t *jwks;           /* provider keys; may be NULL */
    const unsigned char *hmac_secret;  /* client secret for HS*; NULL disables HS* */
    apr_size_t hmac_secret_len;
} pkce_jws_keys_t;

/**
 * Verify the signature of `jws`.
 *
 * Algorithms: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA (Ed25519),
 * and HS256/384/512 only with `keys->hmac_secret` set. "none" and anything
 * else is rejected. The key is chosen from `keys->jwks` by "kid" when the
 * header has one, and must match the algorithm's key type (and curve for
 * ES*), have `use` absent or "sig", and `alg` absent or equal to the header
 * "alg". Without a "kid", every key that matches in this way is tried.
 *
 * @return APR_SUCCESS; PKCE_ENOKEY (reason "unknown_kid" or "no_key") when
 *         no key matches, so the caller may fetch the JWKS again;
 *         PKCE_EVERIFY (reason "alg_not_allowed" or "bad_signature")
 */
apr_status_t pkce_jws_verify(const pkce_jws_t *jws, const pkce_jws_keys_t *keys,
                             pkce_err_t *err, apr_pool_t *ptemp);

#endif /* PKCE_JOSE_H */
