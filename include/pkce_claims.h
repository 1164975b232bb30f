/*
 * pkce_claims.h: checks of the claims of a verified ID token (OpenID Connect
 * Core 1.0 section 3.1.3.7), and helpers to read claims out of a JWT payload.
 */
#ifndef PKCE_CLAIMS_H
#define PKCE_CLAIMS_H

#include <jansson.h>

#include "pkce.h"

/** Expected values of an ID token's claims. */
typedef struct pkce_claims_expect_t {
    const char *issuer;     /* "iss" must equal this exactly */
    const char *client_id;  /* "aud" must contain it; "azp", if present, must equal it */
    const char *nonce;      /* "nonce" must equal it; NULL skips the check */
    apr_int64_t now;        /* current time, in seconds since the epoch */
    apr_int64_t skew;       /* allowed clock difference, in seconds */
} pkce_claims_expect_t;

/**
 * Check the claims of an ID token payload:
 * - "iss" a string equal to expect->issuer;
 * - "aud" a string or an array of strings containing expect->client_id;
 * - "azp" equal to expect->client_id when present, and required when "aud"
 *   has more than one value;
 * - "exp" a number with now < exp + skew;
 * - "iat" a number with iat <= now + skew;
 * - "nbf", when present, a number with nbf <= now + skew;
 * - "nonce" a string equal to expect->nonce, compared in constant time;
 * - "sub" a non-empty string.
 * @return APR_SUCCESS, or PKCE_EVERIFY with err->reason naming the check
 *         ("iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "sub")
 */
apr_status_t pkce_claims_check_id_token(const json_t *payload,
                                        const pkce_claims_expect_t *expect,
                                        pkce_err_t *err);

/**
 * Render claim `name` of `payload` as text for a header or environment
 * variable: strings as they are, numbers and booleans in JSON form, arrays
 * of scalars joined by ",", objects and nested arrays as compact JSON.
 * @return the text allocated from `p`, or NULL when the claim is absent or null
 */
const char *pkce_claims_text(const json_t *payload, const char *name,
                             apr_pool_t *p);

#endif /* PKCE_CLAIMS_H */
