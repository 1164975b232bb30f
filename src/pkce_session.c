/*
 * pkce_session.c: the session's JSON form.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "pkce_session.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *pkce_json_pool_own(json_t *json, apr_pool_t *p)
{
    if (json != NULL) {
        apr_pool_cleanup_register(p, json, json_cleanup, apr_pool_cleanup_null);
    }
    return json;
}

char *pkce_json_encode_steal(json_t *json, apr_pool_t *p)
{
    char *dumped, *text = NULL;

    if (json == NULL) {
        return NULL;
    }
    dumped = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    if (dumped != NULL) {
        text = apr_pstrdup(p, dumped);
        free(dumped);
    }
    return text;
}

char *pkce_session_encode(const pkce_session_t *session, apr_pool_t *p)
{
    json_t *doc;

    doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:O}",
                    "v", PKCE_SESSION_FORMAT,
                    "sub", session->sub,
                    "user", session->user,
                    "iss", session->iss,
                    "iat", (json_int_t)session->created,
                    "exp", (json_int_t)session->expires,
                    "claims", session->claims);
    return pkce_json_encode_steal(doc, p);
}

apr_status_t pkce_session_decode(pkce_session_t **psession, const char *text,
                                 apr_size_t len, apr_int64_t now,
                                 apr_pool_t *p)
{
    pkce_session_t *session = apr_pcalloc(p, sizeof(*session));
    json_t *doc, *claims = NULL;
    const char *sub = NULL, *user = NULL, *iss = NULL;
    json_int_t version = 0, created = 0, expires = 0;

    *psession = NULL;
    doc = pkce_json_pool_own(json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), p);
    if (doc == NULL
        || json_unpack(doc, "{s:I, s:s, s:s, s:s, s:I, s:I, s:o}",
                       "v", &version, "sub", &sub, "user", &user, "iss", &iss,
                       "iat", &created, "exp", &expires, "claims", &claims) != 0
        || version != PKCE_SESSION_FORMAT || !json_is_object(claims)) {
        return PKCE_EINVAL;
    }
    if (expires <= now) {
        return PKCE_EEXPIRED;
    }
    /* The strings and claims stay valid while `doc` lives, that is as long
     * as `p`. */
    session->sub = sub;
    session->user = user;
    session->iss = iss;
    session->created = created;
    session->expires = expires;
    session->claims = claims;
    *psession = session;
    return APR_SUCCESS;
}
