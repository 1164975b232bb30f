/*
 * pkce_state.c: the login state carried in the state cookie.
 */
#include <string.h>

#include <jansson.h>

#include <apr_strings.h>

#include "pkce_crypto.h"
#include "pkce_session.h"
#include "pkce_state.h"
#include "pkce_url.h"

/* Seconds of clock difference between nodes tolerated on "created". */
#define CREATED_SKEW 60

apr_status_t pkce_login_new(pkce_login_t **plogin, const char *return_to,
                            apr_int64_t now, apr_pool_t *p)
{
    pkce_login_t *login = apr_pcalloc(p, sizeof(*login));
    char *state, *nonce, *verifier;

    *plogin = NULL;
    if (pkce_random_b64url(&state, PKCE_RANDOM_BYTES, p) != APR_SUCCESS
        || pkce_random_b64url(&nonce, PKCE_RANDOM_BYTES, p) != APR_SUCCESS
        || pkce_random_b64url(&verifier, PKCE_RANDOM_BYTES, p) != APR_SUCCESS) {
        return PKCE_ECRYPTO;
    }
    login->state = state;
    login->nonce = nonce;
    login->verifier = verifier;
    login->return_to = pkce_url_is_local_path(return_to)
                       ? apr_pstrdup(p, return_to) : "/";
    login->created = now;
    *plogin = login;
    return APR_SUCCESS;
}

char *pkce_login_encode(const pkce_login_t *login, apr_pool_t *p)
{
    return pkce_json_encode_steal(
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "state", login->state,
                  "nonce", login->nonce, "verifier", login->verifier,
                  "return_to", login->return_to,
                  "created", (json_int_t)login->created), p);
}

apr_status_t pkce_login_decode(pkce_login_t **plogin, const char *text,
                               apr_size_t len, const char *state,
                               apr_int64_t now, apr_int64_t timeout,
                               apr_pool_t *p)
{
    pkce_login_t *login = apr_pcalloc(p, sizeof(*login));
    const char *got_state, *nonce, *verifier, *return_to;
    json_int_t created;
    json_t *doc;

    *plogin = NULL;
    doc = pkce_json_pool_own(json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), p);
    if (doc == NULL
        || json_unpack(doc, "{s:s, s:s, s:s, s:s, s:I}", "state", &got_state,
                       "nonce", &nonce, "verifier", &verifier,
                       "return_to", &return_to, "created", &created) != 0
        || !pkce_str_equal_ct(got_state, state)
        || !pkce_verifier_is_valid(verifier)
        || !pkce_url_is_local_path(return_to) || nonce[0] == '\0') {
        return PKCE_EINVAL;
    }
    if (created > now + CREATED_SKEW || now - created > timeout) {
        return PKCE_EEXPIRED;
    }
    login->state = got_state;
    login->nonce = nonce;
    login->verifier = verifier;
    login->return_to = return_to;
    login->created = created;
    *plogin = login;
    return APR_SUCCESS;
}

const char *pkce_login_purpose(const char *state, apr_pool_t *p)
{
    return apr_pstrcat(p, "state:", state, NULL);
}
