/*
 * mod_pkce_auth.c: OpenID Connect login (authorization code flow with
 * PKCE) for Apache httpd 2.4. This file is the httpd glue: hooks and the
 * module record. The directives are in mod_pkce_config.c, cookies and the
 * session store in mod_pkce_cookie.c, the login flow in mod_pkce_callback.c,
 * and everything that does not need httpd in src/.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>

#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include "mod_pkce_auth.h"
#include "pkce_claims.h"
#include "pkce_url.h"

/* The AuthType value that hands a location to this module. */
#define AUTH_TYPE "pkce"

apr_int64_t pkce_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

int pkce_error_page(request_rec *r, int status, const char *title,
                    const char *detail)
{
    /* Callers pass `detail` already escaped and in ASCII, because httpd
     * labels error pages ISO-8859-1; `title` is always a literal. */
    const char *html = apr_psprintf(r->pool,
        "<!DOCTYPE html>\n<html lang=\"en\"><head>"
        "<title>%s</title></head>\n<body><h1>%s</h1>\n<p>%s</p>\n</body></html>\n",
        title, title, detail);

    ap_custom_response(r, status, html);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return status;
}

/* Get the server configuration, or NULL when the module is not set up for
 * this server. */
static pkce_srv_conf *srv_conf(request_rec *r)
{
    pkce_srv_conf *conf = ap_get_module_config(r->server->module_config,
                                               &pkce_auth_module);

    return conf->provider != NULL ? conf : NULL;
}

/* Remove incoming headers that carry our claim prefix, so a client cannot
 * pose as an authenticated user to the application. */
static void strip_claim_headers(request_rec *r, const pkce_srv_conf *conf)
{
    const apr_array_header_t *fields = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)fields->elts;
    apr_array_header_t *doomed = apr_array_make(r->pool, 4, sizeof(char *));
    int i;

    for (i = 0; i < fields->nelts; i++) {
        if (e[i].key != NULL && pkce_header_has_prefix(e[i].key, conf->claim_prefix)) {
            APR_ARRAY_PUSH(doomed, const char *) = e[i].key;
        }
    }
    for (i = 0; i < doomed->nelts; i++) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PKCELOGNO(100)
                      "removed the request header %.64s: only this module "
                      "may set headers with the prefix %s",
                      APR_ARRAY_IDX(doomed, i, const char *), conf->claim_prefix);
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(doomed, i, const char *));
    }
}

/* Replace characters that cannot appear in a header value. */
static const char *header_safe(const char *value, apr_pool_t *p)
{
    char *out = apr_pstrdup(p, value), *c;

    for (c = out; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return out;
}

/* Hand the identity of `session` to the application. */
static void set_identity(request_rec *r, const pkce_srv_conf *conf,
                         const pkce_session_t *session)
{
    const char *name;
    json_t *value;

    r->user = apr_pstrdup(r->pool, session->user);
    r->ap_auth_type = apr_pstrdup(r->pool, ap_auth_type(r));
    json_object_foreach(session->claims, name, value) {
        const char *text = pkce_claims_text(session->claims, name, r->pool);
        const char *var;

        if (text == NULL) {
            continue;
        }
        var = pkce_claim_var_name(conf->claim_prefix, name, r->pool);
        text = header_safe(text, r->pool);
        apr_table_setn(r->headers_in, var, text);
        apr_table_setn(r->subprocess_env, var, text);
    }
}

/* The session found for this request, kept for its subrequests and
 * internal redirects, whose Cookie header no longer carries it. */
typedef struct request_note_t {
    pkce_session_t *session;
} request_note_t;

static pkce_session_t *parent_session(request_rec *r)
{
    request_rec *parent = r->main ? r->main : r->prev;

    for (; parent != NULL; parent = parent->main ? parent->main : parent->prev) {
        request_note_t *note = ap_get_module_config(parent->request_config,
                                                    &pkce_auth_module);
        if (note != NULL) {
            return note->session;
        }
    }
    return NULL;
}

/* check_authn: runs for every request in a location with AuthType pkce.
 * A valid session sets the user; otherwise the login starts. */
static int pkce_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r);
    pkce_srv_conf *conf;
    pkce_session_t *session;
    request_note_t *note;
    apr_status_t rv;

    if (type == NULL || strcasecmp(type, AUTH_TYPE) != 0) {
        return DECLINED;
    }
    if ((conf = srv_conf(r)) == NULL) {
        conf = ap_get_module_config(r->server->module_config, &pkce_auth_module);
        if (conf->keys != NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PKCELOGNO(114)
                          "AuthType pkce is used for %s, but this child has "
                          "no HTTP client for the provider (see PKCE113 at "
                          "its start)", r->uri);
        }
        else {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PKCELOGNO(101)
                          "AuthType pkce is used for %s, but this server has "
                          "no PKCEAuthIssuer, PKCEAuthClientID, "
                          "PKCEAuthRedirectURI and PKCEAuthCryptoPassphrase",
                          r->uri);
        }
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    session = parent_session(r);
    rv = session ? APR_SUCCESS : pkce_cookie_store.load(&session, r, conf);
    if (rv == APR_SUCCESS) {
        note = apr_pcalloc(r->pool, sizeof(*note));
        note->session = session;
        ap_set_module_config(r->request_config, &pkce_auth_module, note);
        set_identity(r, conf, session);
        return OK;
    }
    if (rv != APR_NOTFOUND) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, PKCE_LOG_STATUS(rv), r,
                      PKCELOGNO(102)
                      "session cookie ignored: %s",
                      rv == PKCE_EEXPIRED ? "expired (PKCEAuthSessionMaxAge)"
                      : "does not open or is invalid (altered, truncated, "
                        "sealed with a passphrase no longer configured, or "
                        "made for another PKCEAuthIssuer or PKCEAuthClientID)");
    }
    return pkce_start_login(r, conf);
}

/* post_read_request: claim headers from the client are removed from every
 * initial request to a server where the module is configured, before any
 * other module can read them or authorization can let the request through
 * without a login. Internal redirects and subrequests inherit the cleaned
 * headers. */
static int pkce_post_read_request(request_rec *r)
{
    pkce_srv_conf *conf = srv_conf(r);

    if (conf != NULL && r->main == NULL && r->prev == NULL) {
        strip_claim_headers(r, conf);
    }
    return DECLINED;
}

/* fixups: the module's cookies are removed from every request before it
 * reaches a handler, also where no login was needed, because a session
 * cookie is a credential that the application has no use for. */
static int pkce_fixups(request_rec *r)
{
    pkce_srv_conf *conf = srv_conf(r);

    if (conf != NULL) {
        pkce_cookie_strip_own(r, conf);
    }
    return DECLINED;
}

/* quick_handler: the callback is handled before httpd maps the URL, so it
 * works whether or not its path lies inside a protected location, and no
 * other module's access checks apply to it. */
static int pkce_quick_handler(request_rec *r, int lookup_uri)
{
    pkce_srv_conf *conf;

    if (lookup_uri || r->main != NULL || r->parsed_uri.path == NULL
        || (conf = srv_conf(r)) == NULL
        || strcmp(r->parsed_uri.path, conf->redirect_path) != 0) {
        return DECLINED;
    }
    return pkce_handle_callback(r, conf);
}

/* check_config: runs for `apachectl configtest` too, so an incomplete
 * configuration is reported there, not at the first login. */
static int pkce_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    return pkce_config_check(pconf, s);
}

/* Tell whether `issuer` uses plain http to a host other than loopback,
 * where tokens and keys could be read or changed on the way. */
static int issuer_is_plain_remote(const char *issuer, apr_pool_t *p)
{
    apr_uri_t uri;

    if (apr_uri_parse(p, issuer, &uri) != APR_SUCCESS || uri.scheme == NULL
        || strcmp(uri.scheme, "http") != 0 || uri.hostname == NULL) {
        return 0;
    }
    return strcmp(uri.hostname, "localhost") != 0
           && strncmp(uri.hostname, "127.", 4) != 0
           && strcmp(uri.hostname, "::1") != 0;
}

/*
 * post_config, run twice at start-up and once per restart:
 *   1. initialise libcurl once, before any thread exists;
 *   2. apply defaults and derive the cookie keys of each server, warning
 *      (on the last run only) about an issuer on plain http.
 */
static int pkce_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    pkce_err_t err;

    /*1*/
    if (pkce_http_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PKCELOGNO(110)
                     "curl_global_init failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /*2*/
    for (; s != NULL; s = s->next) {
        pkce_srv_conf *conf = ap_get_module_config(s->module_config,
                                                   &pkce_auth_module);
        if (!pkce_config_is_used(conf)) {
            continue;
        }
        pkce_config_apply_defaults(conf);
        if (pkce_seal_keys_make(&conf->keys, conf->passphrases, &err,
                                pconf) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PKCELOGNO(111)
                         "PKCEAuthCryptoPassphrase: %s", err.text);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (issuer_is_plain_remote(conf->issuer, ptemp)
            && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PKCELOGNO(112)
                         "PKCEAuthIssuer %s uses plain http: tokens and keys "
                         "travel unprotected; use https outside tests",
                         conf->issuer);
        }
    }
    return OK;
}

/* child_init: each child process gets its own HTTP client and metadata
 * cache, made after the fork so no connection is shared across processes. */
static void pkce_child_init(apr_pool_t *pchild, server_rec *s)
{
    for (; s != NULL; s = s->next) {
        pkce_srv_conf *conf = ap_get_module_config(s->module_config,
                                                   &pkce_auth_module);
        pkce_http_opts_t http_opts;
        pkce_provider_opts_t prov_opts;

        if (conf->keys == NULL) {
            continue;
        }
        http_opts.timeout_ms = (long)conf->http_timeout * 1000;
        http_opts.connect_timeout_ms = (long)conf->http_connect_timeout * 1000;
        http_opts.ca_file = conf->ca_file;
        http_opts.max_response = PKCE_TOKEN_RESPONSE_MAX > PKCE_PROVIDER_MAX_DOC
                                 ? PKCE_TOKEN_RESPONSE_MAX : PKCE_PROVIDER_MAX_DOC;
        prov_opts.issuer = conf->issuer;
        prov_opts.refresh = conf->provider_refresh;
        prov_opts.jwks_min_interval = conf->jwks_refetch_interval;
        if (pkce_http_create(&conf->http, &http_opts, pchild) != APR_SUCCESS
            || pkce_provider_cache_create(&conf->provider, &prov_opts,
                                          conf->http, pchild) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PKCELOGNO(113)
                         "cannot create the HTTP client for %s; logins on "
                         "this server will fail", conf->issuer);
            conf->provider = NULL;
        }
    }
}

static void pkce_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(pkce_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(pkce_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(pkce_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* FIRST, ahead of caches: a callback must never be served from one. */
    ap_hook_quick_handler(pkce_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    /* FIRST, so that mod_setenvif and others never see a forged header. */
    ap_hook_post_read_request(pkce_post_read_request, NULL, NULL,
                              APR_HOOK_FIRST);
    ap_hook_check_authn(pkce_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(pkce_fixups, NULL, NULL, APR_HOOK_MIDDLE);
}

/* Not AP_DECLARE_MODULE: mod_pkce_auth.h already has APLOG_USE_MODULE. */
module AP_MODULE_DECLARE_DATA pkce_auth_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* per-directory config: none, AuthType is core's */
    NULL,                   /* merge per-directory config */
    pkce_create_srv_conf,
    pkce_merge_srv_conf,
    pkce_cmds,
    pkce_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
