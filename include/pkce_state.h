/*
 * pkce_state.h: what one login in progress needs at the callback.
 *
 * It travels in a sealed cookie named after its state value, so any
 * process or node with the same passphrase can finish the login and
 * several logins (tabs) can run at once.
 */
#ifndef PKCE_STATE_H
#define PKCE_STATE_H

#include "pkce.h"

/** A login in progress. */
typedef struct pkce_login_t {
    const char *state;     /* OAuth 2.0 state, base64url of 32 random bytes */
    const char *nonce;     /* OpenID Connect nonce, base64url of 32 random bytes */
    const char *verifier;  /* PKCE code verifier, 43 characters */
    const char *return_to; /* local path to go back to after login */
    apr_int64_t created;   /* seconds since the epoch */
} pkce_login_t;

/**
 * Start a login: fresh random state, nonce and verifier.
 * @param return_to must satisfy pkce_url_is_local_path(); otherwise "/"
 *                  is used
 * @return APR_SUCCESS or PKCE_ECRYPTO
 */
apr_status_t pkce_login_new(pkce_login_t **plogin, const char *return_to,
                            apr_int64_t now, apr_pool_t *p);

/** Serialize `login` as compact JSON allocated from `p` (NULL on failure). */
char *pkce_login_encode(const pkce_login_t *login, apr_pool_t *p);

/**
 * Parse text made by pkce_login_encode() and check it: the state must equal
 * `state`, the verifier must be valid, the return path local, and the login
 * no older than `timeout` seconds at `now` (nor created in the future).
 * @return APR_SUCCESS, PKCE_EINVAL or PKCE_EEXPIRED
 */
apr_status_t pkce_login_decode(pkce_login_t **plogin, const char *text,
                               apr_size_t len, const char *state,
                               apr_int64_t now, apr_int64_t timeout,
                               apr_pool_t *p);

/** The sealing purpose of the state cookie of `state`. */
const char *pkce_login_purpose(const char *state, apr_pool_t *p);

#endif /* PKCE_STATE_H */
