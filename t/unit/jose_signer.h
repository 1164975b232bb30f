/*
 * jose_signer.h: the token issuer's side for the JOSE unit tests. It
 * generates real keys with OpenSSL at run time, exports their public JWKs
 * and signs compact JWS with them, so that pkce_jose meets genuine
 * signatures and no crypto is stubbed.
 */
#ifndef JOSE_SIGNER_H
#define JOSE_SIGNER_H

#include <apr_pools.h>
#include <jansson.h>
#include <openssl/evp.h>

/** A private key generated for a test. */
typedef struct jose_key_t {
    EVP_PKEY *pkey;   /* freed by a cleanup on the pool it was made in */
    const char *kty;  /* JWK "kty": "RSA", "EC" or "OKP" */
    const char *crv;  /* JWK "crv"; NULL for RSA */
} jose_key_t;

/**
 * Generate a key of `type`: "RSA" (2048 bits), "RSA-1024", "P-256",
 * "P-384", "P-521" or "Ed25519".
 * @return the key, or NULL when the type is unknown or OpenSSL fails
 */
jose_key_t *jose_key_generate(const char *type, apr_pool_t *p);

/**
 * Export the public part of `key` as a JWK (RFC 7517, RFC 7518 section 6,
 * RFC 8037 section 2). `kid`, `use` and `alg` are left out when NULL.
 * @return a new JSON object that the caller owns, or NULL on failure
 */
json_t *jose_key_jwk(const jose_key_t *key, const char *kid, const char *use,
                     const char *alg);

/**
 * Serialize {"keys": keys} as JSON text allocated from `p`. Takes over
 * the reference to `keys`, a JSON array.
 */
char *jose_jwks_text(json_t *keys, apr_pool_t *p);

/** Export the public key as DER SubjectPublicKeyInfo bytes. */
unsigned char *jose_key_public_der(apr_size_t *len, const jose_key_t *key,
                                   apr_pool_t *p);

/** Export the public key as PEM text ("-----BEGIN PUBLIC KEY-----"). */
char *jose_key_public_pem(const jose_key_t *key, apr_pool_t *p);

/** Encode bytes as base64url without padding, independent of libpkce. */
char *jose_b64url(const void *data, apr_size_t len, apr_pool_t *p);

/** Build the JWS signing input: BASE64URL(header) "." BASE64URL(payload),
 * where header and payload are JSON text used byte for byte. */
char *jose_signing_input(const char *header, const char *payload,
                         apr_pool_t *p);

/**
 * Sign `input` with `key` under JWS algorithm `alg` (RS*, PS*, ES*,
 * EdDSA). ES* signatures come as R || S (RFC 7518 section 3.4), or in
 * OpenSSL's DER form when `der` is nonzero.
 * @return the signature bytes, or NULL on failure
 */
unsigned char *jose_sign_bytes(apr_size_t *sig_len, const jose_key_t *key,
                               const char *alg, const char *input, int der,
                               apr_pool_t *p);

/** Compute the HS256/384/512 signature of `input` with `secret`. */
unsigned char *jose_hmac_bytes(apr_size_t *mac_len, const char *alg,
                               const void *secret, apr_size_t secret_len,
                               const char *input, apr_pool_t *p);

/** Build a compact JWS: input "." BASE64URL(sig). */
char *jose_compact(const char *input, const unsigned char *sig,
                   apr_size_t sig_len, apr_pool_t *p);

/** Sign header and payload JSON text with `key`. NULL on failure. */
char *jose_sign(const jose_key_t *key, const char *alg, const char *header,
                const char *payload, apr_pool_t *p);

/** Sign header and payload JSON text with an HMAC secret. */
char *jose_sign_hmac(const char *alg, const void *secret,
                     apr_size_t secret_len, const char *header,
                     const char *payload, apr_pool_t *p);

#endif /* JOSE_SIGNER_H */
