/*
 * pkce_session.h: the session a login creates, and its serialized form.
 *
 * Where a session is kept (sealed in cookies now, in a shared cache later)
 * is the httpd glue's concern: a store there saves and loads the text that
 * pkce_session_encode() makes.
 */
#ifndef PKCE_SESSION_H
#define PKCE_SESSION_H

#include <jansson.h>

#include "pkce.h"

#define PKCE_SESSION_FORMAT 1

/** An authenticated user's session. */
typedef struct pkce_session_t {
    const char *sub;      /* subject at the issuer */
    const char *user;     /* value for REMOTE_USER */
    const char *iss;      /* issuer that authenticated the user */
    apr_int64_t created;  /* seconds since the epoch */
    apr_int64_t expires;  /* seconds since the epoch */
    json_t *claims;       /* object of the claims passed to the application;
                             decref'd by a cleanup on the session's pool */
} pkce_session_t;

/**
 * Serialize `session` as compact JSON.
 * @return the text allocated from `p`, or NULL when it cannot be serialized
 */
char *pkce_session_encode(const pkce_session_t *session, apr_pool_t *p);

/**
 * Parse text made by pkce_session_encode(). Rejects another format
 * version, missing or mistyped members, and a session whose expiry has
 * passed at `now`.
 * @return APR_SUCCESS, PKCE_EINVAL or PKCE_EEXPIRED
 */
apr_status_t pkce_session_decode(pkce_session_t **psession, const char *text,
                                 apr_size_t len, apr_int64_t now,
                                 apr_pool_t *p);

/**
 * Tie a jansson value to `p`: it is decref'd when `p` is cleared or
 * destroyed. Returns `json`.
 */
json_t *pkce_json_pool_own(json_t *json, apr_pool_t *p);

/**
 * Serialize `json` as compact JSON text allocated from `p`, and release
 * the caller's reference to `json` (which may be NULL).
 * @return the text, or NULL when `json` is NULL or cannot be serialized
 */
char *pkce_json_encode_steal(json_t *json, apr_pool_t *p);

#endif /* PKCE_SESSION_H */
