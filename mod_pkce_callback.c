/*
 * mod_pkce_callback.c: the two halves of a login. pkce_start_login() sends
 * the browser to the provider; pkce_handle_callback() takes it back at
 * PKCEAuthRedirectURI, redeems the code and issues the session.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include <http_protocol.h>
#include <http_request.h>

#include "mod_pkce_auth.h"
#include "pkce_claims.h"
#include "pkce_crypto.h"
#include "pkce_jose.h"
#include "pkce_url.h"

/* Lines about one login start with "login ID:", where ID is a short hash
 * of its state, so the login can be followed through the error log. */
#define FLOW "login %s: "

/* Longest path and query kept to return to after login, in bytes. */
#define MAX_RETURN_PATH 2048

/* ID token claims that describe the token itself, not the user; they are
 * not passed to the application unless PKCEAuthPassClaims names them. */
static const char *const protocol_claims[] = {
    "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "s_hash",
    "azp", "jti", "auth_time", "sid", NULL
};

/* Parts of the callback request. */
typedef struct callback_t {
    const char *flow;       /* short id of the login, for the log */
    const char *state;
    const char *code;
    pkce_login_t *login;
    pkce_provider_t *prov;  /* referenced; released by the caller */
    const char *id_token;
    json_t *claims;         /* verified ID token payload */
} callback_t;

/* Tell whether `state` looks like a state this module made, before it is
 * used in a cookie name: 43 base64url characters. */
static int state_is_well_formed(const char *state)
{
    apr_size_t i;

    if (strlen(state) != 43) {
        return 0;
    }
    for (i = 0; i < 43; i++) {
        char c = state[i];
        if (!apr_isalnum(c) && c != '-' && c != '_') {
            return 0;
        }
    }
    return 1;
}

/* A state cookie seen in the request, for eviction. */
typedef struct state_cookie_t {
    const char *name;
    apr_int64_t created;  /* 0 when it does not open */
} state_cookie_t;

typedef struct state_scan_t {
    request_rec *r;
    const pkce_srv_conf *conf;
    apr_array_header_t *found;  /* of state_cookie_t */
} state_scan_t;

static int scan_state_cookie(void *baton, const char *name, apr_size_t name_len,
                             const char *value, apr_size_t value_len)
{
    state_scan_t *scan = baton;
    apr_size_t prefix = strlen(PKCE_STATE_COOKIE_PREFIX);
    state_cookie_t *sc;
    pkce_login_t *login;
    char *text;
    apr_size_t len;
    const char *state;

    if (name_len <= prefix || memcmp(name, PKCE_STATE_COOKIE_PREFIX, prefix) != 0) {
        return 1;
    }
    /* Only names this module can have made are touched, so that no
     * client-chosen name is echoed back in a Set-Cookie header. */
    state = apr_pstrmemdup(scan->r->pool, name + prefix, name_len - prefix);
    if (!state_is_well_formed(state)) {
        return 1;
    }
    sc = apr_array_push(scan->found);
    sc->name = apr_pstrmemdup(scan->r->pool, name, name_len);
    sc->created = 0;
    if (pkce_unseal(&text, &len, scan->conf->keys,
                    pkce_login_purpose(state, scan->r->pool), value, value_len,
                    scan->r->pool) == APR_SUCCESS
        && pkce_login_decode(&login, text, len, state, pkce_now(),
                             scan->conf->state_timeout, scan->r->pool) == APR_SUCCESS) {
        sc->created = login->created;
    }
    return 1;
}

static int compare_created(const void *a, const void *b)
{
    const state_cookie_t *x = a, *y = b;

    return x->created < y->created ? -1 : x->created > y->created;
}

/* Delete the oldest state cookies so that, with the one about to be set,
 * at most PKCEAuthStateMaxCount remain. Abandoned logins would otherwise
 * pile up until requests pass the server's header size limit. */
static void evict_state_cookies(request_rec *r, const pkce_srv_conf *conf)
{
    state_scan_t scan = { r, conf, apr_array_make(r->pool, 8,
                                                  sizeof(state_cookie_t)) };
    int i, excess;

    pkce_cookie_each(apr_table_get(r->headers_in, "Cookie"),
                     scan_state_cookie, &scan);
    qsort(scan.found->elts, (size_t)scan.found->nelts, sizeof(state_cookie_t),
          compare_created);
    excess = scan.found->nelts - (conf->state_max_count - 1);
    for (i = 0; i < scan.found->nelts; i++) {
        const state_cookie_t *sc = &APR_ARRAY_IDX(scan.found, i, state_cookie_t);

        /* Sorted oldest first; cookies that no longer open sort first too. */
        if (i < excess || sc->created == 0) {
            pkce_cookie_clear(r, sc->name);
        }
    }
    if (excess <= 0) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(010)
                  "dropped %d older login state cookie(s); at most %d logins "
                  "may be in progress per browser (PKCEAuthStateMaxCount)",
                  excess, conf->state_max_count);
}

static const char *authorization_url(request_rec *r, const pkce_srv_conf *conf,
                                     const pkce_provider_t *prov,
                                     const pkce_login_t *login,
                                     const char *challenge)
{
    const char *sep = strchr(prov->authorization_endpoint, '?') ? "&" : "?";

    return apr_pstrcat(r->pool, prov->authorization_endpoint, sep,
                       "response_type=code",
                       "&client_id=", pkce_url_encode(conf->client_id, r->pool),
                       "&redirect_uri=", pkce_url_encode(conf->redirect_uri, r->pool),
                       "&scope=", pkce_url_encode(conf->scope, r->pool),
                       "&state=", login->state,
                       "&nonce=", login->nonce,
                       "&code_challenge=", challenge,
                       "&code_challenge_method=S256", NULL);
}

/* Acquire the provider's metadata; 0, or the status of the 502 page after
 * logging why not. */
static int get_provider(pkce_provider_t **pprov, request_rec *r,
                        pkce_srv_conf *conf)
{
    pkce_err_t err;
    int stale = 0;
    apr_status_t rv;

    pkce_err_clear(&err);
    rv = pkce_provider_acquire(pprov, conf->provider, &stale, &err, pkce_now());
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, PKCE_LOG_STATUS(rv), r,
                      PKCELOGNO(011)
                      "cannot use the provider %s: %s; check PKCEAuthIssuer "
                      "and that the provider is reachable from this server",
                      conf->issuer, err.text);
        return pkce_error_page(r, HTTP_BAD_GATEWAY, "Login provider unavailable",
                               "The login service could not be reached. "
                               "Please try again later.");
    }
    if (stale) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, PKCELOGNO(012)
                      "refreshing the metadata of %s failed, so the cached "
                      "copy stays in use: %s", conf->issuer, err.text);
    }
    return 0;
}

/* Send the browser to the host name of PKCEAuthRedirectURI first when it
 * came by another name (127.0.0.1 for localhost, say), because the state
 * cookie set now must reach the callback on that host. Returns 0 when the
 * host names already match. */
static int align_host(request_rec *r, const pkce_srv_conf *conf)
{
    apr_uri_t uri;

    if (r->hostname == NULL
        || apr_uri_parse(r->pool, conf->redirect_uri, &uri) != APR_SUCCESS
        || uri.hostname == NULL || strcasecmp(uri.hostname, r->hostname) == 0
        || (r->method_number != M_GET && !r->header_only)
        || !pkce_url_is_local_path(r->unparsed_uri)) {
        return 0;
    }
    uri.path = NULL;
    uri.query = NULL;
    uri.fragment = NULL;
    apr_table_setn(r->err_headers_out, "Location",
                   apr_pstrcat(r->pool, apr_uri_unparse(r->pool, &uri,
                                                        APR_URI_UNP_OMITPATHINFO),
                               r->unparsed_uri, NULL));
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(016)
                  "redirecting from host %s to %s, the host of "
                  "PKCEAuthRedirectURI, before login", r->hostname,
                  uri.hostname);
    return HTTP_MOVED_TEMPORARILY;
}

int pkce_start_login(request_rec *r, pkce_srv_conf *conf)
{
    pkce_provider_t *prov;
    pkce_login_t *login;
    char *challenge, *text, *sealed;
    const char *return_to = r->unparsed_uri, *location;
    int status;

    if ((status = align_host(r, conf)) != 0) {
        return status;
    }
    if ((status = get_provider(&prov, r, conf)) != 0) {
        return status;
    }
    /* The return path travels in the state cookie, which must stay under
     * the 4096 bytes browsers keep per cookie: drop a long query first. */
    if (strlen(return_to) > MAX_RETURN_PATH) {
        /* The path as the client sent it, still percent-encoded: httpd has
         * decoded r->uri and r->parsed_uri.path in place by now. */
        apr_size_t path_len = strcspn(return_to, "?");
        return_to = path_len <= MAX_RETURN_PATH
                    ? apr_pstrmemdup(r->pool, return_to, path_len) : "/";
    }
    if (!pkce_url_is_local_path(return_to)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, PKCELOGNO(013)
                      "request target is not a plain local path, so the "
                      "user returns to / after login");
    }
    if (pkce_login_new(&login, return_to, pkce_now(), r->pool) != APR_SUCCESS
        || pkce_challenge_s256(&challenge, login->verifier, r->pool) != APR_SUCCESS
        || (text = pkce_login_encode(login, r->pool)) == NULL
        || pkce_seal(&sealed, conf->keys, pkce_login_purpose(login->state, r->pool),
                     text, strlen(text), r->pool) != APR_SUCCESS) {
        pkce_provider_release(conf->provider, prov);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PKCELOGNO(014)
                      "cannot create the login state: the OpenSSL random "
                      "generator or cipher failed");
        return pkce_error_page(r, HTTP_INTERNAL_SERVER_ERROR, "Login failed",
                               "The login could not be started.");
    }
    evict_state_cookies(r, conf);
    pkce_cookie_set(r, apr_pstrcat(r->pool, PKCE_STATE_COOKIE_PREFIX,
                                   login->state, NULL),
                    sealed, conf->state_timeout);
    location = authorization_url(r, conf, prov, login, challenge);
    pkce_provider_release(conf->provider, prov);
    apr_table_setn(r->err_headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(015) FLOW
                  "redirecting %s to the provider",
                  pkce_hash_id(login->state, 8, r->pool), r->uri);
    return HTTP_MOVED_TEMPORARILY;
}

/* Escape provider text for an error page. httpd labels error pages
 * ISO-8859-1, so bytes outside printable ASCII become "?" first. */
static const char *page_text(const char *text, apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, text), *c;

    for (c = copy; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
            *c = '?';
        }
    }
    return pkce_html_escape(copy, p);
}

/* Maximum length of the provider's error_description shown on a page, in bytes. */
#define MAX_DESCRIPTION_SHOWN 300

/* Handle an error= response from the provider (RFC 6749 section 4.1.2.1)
 * to a login in progress, whose state cookie has been checked already, so
 * that no stranger's link can put text on the site's pages. */
static int provider_error(request_rec *r, const pkce_srv_conf *conf,
                          const callback_t *cb, const char *error)
{
    const char *description = NULL;
    int status = strcmp(error, "access_denied") == 0 ? HTTP_FORBIDDEN
                                                     : HTTP_UNAUTHORIZED;

    pkce_query_get(&description, r->args, "error_description", r->pool);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PKCELOGNO(020) FLOW
                  "the provider returned error \"%.64s\" (%.200s) to the "
                  "callback; check the user's access and the client settings "
                  "at %s", cb->flow, error,
                  description ? description : "no description", conf->issuer);
    if (description != NULL && strlen(description) > MAX_DESCRIPTION_SHOWN) {
        description = apr_pstrcat(r->pool, apr_pstrndup(r->pool, description,
                                                        MAX_DESCRIPTION_SHOWN),
                                  "...", NULL);
    }
    return pkce_error_page(r, status, "Login was not completed",
        apr_psprintf(r->pool, "The login service answered with the error "
                     "<code>%s</code>%s%s.", page_text(error, r->pool),
                     description ? ": " : "",
                     description ? page_text(description, r->pool) : ""));
}

/* Log a rejected callback and respond with 400. */
static int bad_callback(request_rec *r, const char *tag_and_text,
                        const char *why, const char *flow)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s" FLOW "%s", tag_and_text,
                  flow ? flow : "-", why);
    return pkce_error_page(r, HTTP_BAD_REQUEST, "Login failed",
                           "This login link is invalid or has expired. "
                           "Please go back to the page you wanted and try "
                           "again.");
}

/* Read the state parameter; 0 or an HTTP status. */
static int read_state(request_rec *r, callback_t *cb)
{
    apr_status_t rv = pkce_query_get(&cb->state, r->args, "state", r->pool);

    if (rv == APR_NOTFOUND) {
        return bad_callback(r, PKCELOGNO(021), "the callback has no state "
                            "parameter", NULL);
    }
    if (rv != APR_SUCCESS || !state_is_well_formed(cb->state)) {
        return bad_callback(r, PKCELOGNO(022), "the state parameter is "
                            "repeated or malformed", NULL);
    }
    cb->flow = pkce_hash_id(cb->state, 8, r->pool);
    return 0;
}

/* Read the code parameter; 0 or an HTTP status. */
static int read_code(request_rec *r, callback_t *cb)
{
    apr_status_t rv = pkce_query_get(&cb->code, r->args, "code", r->pool);

    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && cb->code[0] == '\0')) {
        return bad_callback(r, PKCELOGNO(023), "the callback has no code "
                            "parameter", cb->flow);
    }
    if (rv != APR_SUCCESS) {
        return bad_callback(r, PKCELOGNO(024), "the code parameter is "
                            "repeated or malformed", cb->flow);
    }
    return 0;
}

/* Open the state cookie of cb->state; 0 or an HTTP status. */
static int open_state(request_rec *r, const pkce_srv_conf *conf, callback_t *cb)
{
    const char *name = apr_pstrcat(r->pool, PKCE_STATE_COOKIE_PREFIX,
                                   cb->state, NULL);
    const char *sealed = pkce_cookie_get(apr_table_get(r->headers_in, "Cookie"),
                                         name, r->pool);
    char *text;
    apr_size_t len;
    apr_status_t rv;

    if (sealed == NULL) {
        return bad_callback(r, PKCELOGNO(025), "no state cookie matches the "
                            "state: the login was already used, expired, or "
                            "started on another host name than "
                            "PKCEAuthRedirectURI", cb->flow);
    }
    /* A login state serves one callback, so its cookie is deleted whatever
     * happens next (a client that keeps it still meets the single-use code). */
    pkce_cookie_clear(r, name);
    if (pkce_unseal(&text, &len, conf->keys, pkce_login_purpose(cb->state, r->pool),
                    sealed, strlen(sealed), r->pool) != APR_SUCCESS) {
        return bad_callback(r, PKCELOGNO(026), "the state cookie does not "
                            "open: altered, or sealed with a passphrase that "
                            "PKCEAuthCryptoPassphrase no longer lists", cb->flow);
    }
    rv = pkce_login_decode(&cb->login, text, len, cb->state, pkce_now(),
                           conf->state_timeout, r->pool);
    if (rv == PKCE_EEXPIRED) {
        return bad_callback(r, PKCELOGNO(027), apr_psprintf(r->pool,
                            "the login took longer than PKCEAuthStateTimeout "
                            "(%" APR_INT64_T_FMT " s)", conf->state_timeout),
                            cb->flow);
    }
    if (rv != APR_SUCCESS) {
        return bad_callback(r, PKCELOGNO(028), "the state cookie's content "
                            "is invalid", cb->flow);
    }
    return 0;
}

/* Check the "iss" parameter of the callback (RFC 9207): when present it
 * must name PKCEAuthIssuer, and it must be present when the provider's
 * metadata promises it. Another issuer means the response comes from
 * another provider than the one this login went to (a mix-up attack). */
static int check_iss_parameter(request_rec *r, const pkce_srv_conf *conf,
                               callback_t *cb)
{
    const char *iss = NULL;
    apr_status_t rv = pkce_query_get(&iss, r->args, "iss", r->pool);

    if (rv == APR_NOTFOUND && !cb->prov->iss_parameter_supported) {
        return 0;
    }
    if (rv == APR_SUCCESS && strcmp(iss, conf->issuer) == 0) {
        return 0;
    }
    return bad_callback(r, PKCELOGNO(029), rv == APR_NOTFOUND
                        ? "the iss parameter is missing, although the "
                          "provider's metadata says it sends one"
                        : "the iss parameter is repeated or differs from "
                          "PKCEAuthIssuer", cb->flow);
}

/* Log a failure on the provider's side and respond with 502. */
static int bad_gateway(request_rec *r, callback_t *cb, const char *tag,
                       apr_status_t rv, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, PKCE_LOG_STATUS(rv), r,
                  "%s" FLOW "%s", tag, cb->flow,
                  why);
    return pkce_error_page(r, HTTP_BAD_GATEWAY, "Login provider error",
                           "The login service gave an unusable answer. "
                           "Please try again later.");
}

/* Describe an OAuth error response body for the log, without secrets:
 * only the "error" and "error_description" members. */
static const char *oauth_error_text(const pkce_http_response_t *resp,
                                    apr_pool_t *p)
{
    json_t *doc = pkce_json_pool_own(json_loadb(resp->body, resp->body_len, 0,
                                                NULL), p);
    const char *error = json_string_value(json_object_get(doc, "error"));
    const char *desc = json_string_value(json_object_get(doc,
                                                         "error_description"));

    if (error == NULL) {
        return "no OAuth error in the body";
    }
    return apr_psprintf(p, "%.64s (%.200s)", error, desc ? desc : "no description");
}

/* Redeem the code at the token endpoint; 0 or an HTTP status. */
static int exchange_code(request_rec *r, const pkce_srv_conf *conf,
                         callback_t *cb)
{
    pkce_http_response_t *resp;
    pkce_err_t err;
    json_t *doc;
    const char *form;
    apr_status_t rv;

    form = apr_pstrcat(r->pool, "grant_type=authorization_code",
                       "&code=", pkce_url_encode(cb->code, r->pool),
                       "&redirect_uri=", pkce_url_encode(conf->redirect_uri, r->pool),
                       "&client_id=", pkce_url_encode(conf->client_id, r->pool),
                       "&code_verifier=", cb->login->verifier, NULL);
    pkce_err_clear(&err);
    rv = pkce_http_post_form(&resp, conf->http, cb->prov->token_endpoint, form,
                             conf->client_secret ? conf->client_id : NULL,
                             conf->client_secret, &err, r->pool);
    if (rv != APR_SUCCESS) {
        return bad_gateway(r, cb, PKCELOGNO(030), rv, apr_psprintf(r->pool,
                           "token request failed: %s; check that the token "
                           "endpoint is reachable within PKCEAuthHTTPTimeout",
                           err.text));
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(031) FLOW
                  "token endpoint answered HTTP %ld in %.3f s", cb->flow,
                  resp->status, resp->seconds);
    if (resp->status < 200 || resp->status > 299) {
        return bad_gateway(r, cb, PKCELOGNO(032), 0, apr_psprintf(r->pool,
                           "token endpoint %s returned HTTP %ld: %s; check "
                           "PKCEAuthClientID, PKCEAuthClientSecret and that "
                           "PKCEAuthRedirectURI is registered (a reused code "
                           "also gives invalid_grant)",
                           cb->prov->token_endpoint, resp->status,
                           oauth_error_text(resp, r->pool)));
    }
    doc = pkce_json_pool_own(json_loadb(resp->body, resp->body_len,
                                        JSON_REJECT_DUPLICATES, NULL), r->pool);
    cb->id_token = json_string_value(json_object_get(doc, "id_token"));
    if (!json_is_object(doc) || cb->id_token == NULL) {
        return bad_gateway(r, cb, PKCELOGNO(033), 0, apr_psprintf(r->pool,
                           "token endpoint %s returned %s; check that "
                           "PKCEAuthScope includes openid",
                           cb->prov->token_endpoint,
                           json_is_object(doc) ? "no id_token" : "no JSON object"));
    }
    return 0;
}

/* Log a rejected ID token and respond with 401. */
static int bad_token(request_rec *r, callback_t *cb, const char *tag,
                     const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s" FLOW "ID token rejected: %s",
                  tag, cb->flow, why);
    return pkce_error_page(r, HTTP_UNAUTHORIZED, "Login failed",
                           "The identity returned by the login service could "
                           "not be verified.");
}

/* Verify the ID token's signature and claims; 0 or an HTTP status. */
static int validate_id_token(request_rec *r, pkce_srv_conf *conf,
                             callback_t *cb)
{
    pkce_jws_t *jws;
    pkce_jws_keys_t keys;
    pkce_claims_expect_t expect;
    pkce_err_t err;
    apr_status_t rv;

    pkce_err_clear(&err);
    if (pkce_jws_parse(&jws, cb->id_token, &err, r->pool) != APR_SUCCESS) {
        return bad_token(r, cb, PKCELOGNO(040), err.text);
    }
    memset(&keys, 0, sizeof(keys));
    keys.jwks = cb->prov->jwks;
    if (conf->client_secret != NULL) {
        keys.hmac_secret = (const unsigned char *)conf->client_secret;
        keys.hmac_secret_len = strlen(conf->client_secret);
    }
    rv = pkce_jws_verify(jws, &keys, &err, r->pool);
    if (rv == PKCE_ENOKEY) {
        /* The provider may have rotated its keys since the JWKS was cached. */
        pkce_provider_t *fresh;
        pkce_err_t fetch_err;

        rv = pkce_provider_refetch_jwks(&fresh, conf->provider, cb->prov,
                                        &fetch_err, pkce_now());
        cb->prov = fresh;
        if (fresh == NULL) {
            return bad_gateway(r, cb, PKCELOGNO(041), rv, apr_psprintf(r->pool,
                               "fetching the JWKS again for an unknown key "
                               "failed: %s", fetch_err.text));
        }
        keys.jwks = fresh->jwks;
        rv = pkce_jws_verify(jws, &keys, &err, r->pool);
    }
    if (rv != APR_SUCCESS) {
        return bad_token(r, cb, PKCELOGNO(042), apr_psprintf(r->pool,
                         "signature check failed (alg %.20s, kid %.64s): %s",
                         jws->alg, jws->kid ? jws->kid : "none", err.text));
    }
    expect.issuer = conf->issuer;
    expect.client_id = conf->client_id;
    expect.nonce = cb->login->nonce;
    expect.now = pkce_now();
    expect.skew = conf->clock_skew;
    if (pkce_claims_check_id_token(jws->payload, &expect, &err) != APR_SUCCESS) {
        return bad_token(r, cb, PKCELOGNO(043), apr_psprintf(r->pool,
                         "claim check \"%s\" failed: %s", err.reason, err.text));
    }
    cb->claims = jws->payload;
    return 0;
}

static int is_protocol_claim(const char *name)
{
    int i;

    for (i = 0; protocol_claims[i] != NULL; i++) {
        if (strcmp(name, protocol_claims[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Pick the claims passed to the application. */
static json_t *passed_claims(const pkce_srv_conf *conf, json_t *payload,
                             apr_pool_t *p)
{
    json_t *out = pkce_json_pool_own(json_object(), p), *value;
    const char *name;
    int i;

    if (conf->pass_claims != NULL) {
        for (i = 0; i < conf->pass_claims->nelts; i++) {
            name = APR_ARRAY_IDX(conf->pass_claims, i, const char *);
            value = json_object_get(payload, name);
            if (value != NULL) {
                json_object_set(out, name, value);
            }
        }
        return out;
    }
    json_object_foreach(payload, name, value) {
        if (!is_protocol_claim(name)) {
            json_object_set(out, name, value);
        }
    }
    return out;
}

/* Make the session from the verified claims and store it. */
static int issue_session(request_rec *r, pkce_srv_conf *conf, callback_t *cb)
{
    pkce_session_t session;
    const char *user = pkce_claims_text(cb->claims, conf->remote_user_claim,
                                        r->pool);
    apr_status_t rv;

    if (user == NULL || user[0] == '\0') {
        return bad_token(r, cb, PKCELOGNO(050), apr_psprintf(r->pool,
                         "the claim \"%s\" named by PKCEAuthRemoteUserClaim "
                         "is missing; request a scope that includes it "
                         "(PKCEAuthScope) or choose another claim",
                         conf->remote_user_claim));
    }
    session.sub = json_string_value(json_object_get(cb->claims, "sub"));
    session.user = user;
    session.iss = conf->issuer;
    session.created = pkce_now();
    session.expires = session.created + conf->session_max_age;
    session.claims = passed_claims(conf, cb->claims, r->pool);
    rv = pkce_cookie_store.save(r, conf, &session);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, PKCE_LOG_STATUS(rv), r,
                      PKCELOGNO(051) FLOW
                      "cannot store the session: it is over %d bytes sealed; "
                      "pass fewer claims with PKCEAuthPassClaims", cb->flow,
                      16 * 4000);
        return pkce_error_page(r, HTTP_INTERNAL_SERVER_ERROR, "Login failed",
                               "The session could not be stored.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, PKCELOGNO(052) FLOW
                  "session issued for user \"%s\", returning to %s", cb->flow,
                  user, cb->login->return_to);
    apr_table_setn(r->err_headers_out, "Location", cb->login->return_to);
    return HTTP_MOVED_TEMPORARILY;
}

int pkce_handle_callback(request_rec *r, pkce_srv_conf *conf)
{
    callback_t cb;
    const char *error = NULL;
    int status;

    memset(&cb, 0, sizeof(cb));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (r->method_number != M_GET) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PKCELOGNO(060)
                      "the callback accepts only GET, not %.20s", r->method);
        /* httpd builds the Allow header of a 405 from r->allowed_methods. */
        ap_allow_methods(r, 1, "GET", NULL);
        return pkce_error_page(r, HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                               "The login callback accepts only GET.");
    }

    /* 1. The login this callback belongs to, by its state cookie. */
    if ((status = read_state(r, &cb)) != 0
        || (status = open_state(r, conf, &cb)) != 0) {
        return status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(061) FLOW
                  "callback received", cb.flow);
    if ((status = get_provider(&cb.prov, r, conf)) != 0) {
        return status;
    }

    /* 2. The issuer, then an error or a code from the provider. */
    if ((status = check_iss_parameter(r, conf, &cb)) == 0) {
        if (pkce_query_get(&error, r->args, "error", r->pool) != APR_NOTFOUND) {
            status = provider_error(r, conf, &cb, error ? error : "(malformed)");
        }
        else {
            status = read_code(r, &cb);
        }
    }
    if (status != 0) {
        pkce_provider_release(conf->provider, cb.prov);
        return status;
    }

    /* 3. Code for tokens, then the ID token, then the session. */
    if ((status = exchange_code(r, conf, &cb)) == 0
        && (status = validate_id_token(r, conf, &cb)) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(062) FLOW
                      "ID token valid for sub \"%s\"", cb.flow,
                      json_string_value(json_object_get(cb.claims, "sub")));
        status = issue_session(r, conf, &cb);
    }
    pkce_provider_release(conf->provider, cb.prov);
    return status;
}
