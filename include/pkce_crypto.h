/*
 * pkce_crypto.h: random values, the PKCE verifier and challenge (RFC 7636),
 * and constant-time comparison.
 */
#ifndef PKCE_CRYPTO_H
#define PKCE_CRYPTO_H

#include "pkce.h"

/** Bytes of randomness behind a code verifier, state and nonce (256 bits). */
#define PKCE_RANDOM_BYTES 32

/**
 * Make `nbytes` random bytes with OpenSSL RAND_bytes and return them as
 * base64url text in `*pout` (allocated from `p`).
 * @return APR_SUCCESS, or PKCE_ECRYPTO when the random generator failed
 */
apr_status_t pkce_random_b64url(char **pout, apr_size_t nbytes, apr_pool_t *p);

/**
 * Check that `verifier` is a valid PKCE code verifier: 43 to 128
 * characters from the unreserved set [A-Za-z0-9-._~] (RFC 7636 section 4.1).
 * @return 1 when valid, 0 otherwise
 */
int pkce_verifier_is_valid(const char *verifier);

/**
 * Compute the S256 code challenge of `verifier`:
 * BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 section 4.2).
 * @return APR_SUCCESS, PKCE_EINVAL for an invalid verifier, or PKCE_ECRYPTO
 */
apr_status_t pkce_challenge_s256(char **pchallenge, const char *verifier,
                                 apr_pool_t *p);

/**
 * Compare two strings in time that depends only on their lengths.
 * @return 1 when both are non-NULL and equal, 0 otherwise (NULL fails)
 */
int pkce_str_equal_ct(const char *a, const char *b);

/**
 * Return the first `nchars` characters of BASE64URL(SHA256(text)), a short
 * identifier that names a login in the log without revealing `text`.
 */
char *pkce_hash_id(const char *text, apr_size_t nchars, apr_pool_t *p);

#endif /* PKCE_CRYPTO_H */
