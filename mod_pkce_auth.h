/*
 * mod_pkce_auth.h: private definitions of the httpd glue of mod_pkce_auth.
 * Included by every glue file, never by src/.
 */
#ifndef MOD_PKCE_AUTH_H
#define MOD_PKCE_AUTH_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "pkce.h"
#include "pkce_provider.h"
#include "pkce_seal.h"
#include "pkce_session.h"
#include "pkce_state.h"

/* Makes `LogLevel pkce_auth:debug` apply to every line the glue logs. */
APLOG_USE_MODULE(pkce_auth);
extern module AP_MODULE_DECLARE_DATA pkce_auth_module;

/* Tags of our own for log lines, like httpd's AH numbers: one tag per call
 * site, never reused. The next free number is in docs/next-log-tag. */
#define PKCELOGNO(n) "PKCE" #n ": "

/* The status to hand to ap_log_rerror(): httpd cannot describe libpkce's
 * own codes, whose detail is in the message already, so those become 0. */
#define PKCE_LOG_STATUS(rv) \
    ((rv) > APR_OS_START_USERERR && (rv) < APR_OS_START_USERERR + 100 ? 0 : (rv))

/* Marks a directive value that was never set, so merging can tell it from
 * a value that equals the default. */
#define PKCE_UNSET (-1)

/** Per-server configuration: the provider, the client and the cookies. */
typedef struct pkce_srv_conf {
    const char *issuer;
    const char *client_id;
    const char *client_secret;
    const char *redirect_uri;
    const char *redirect_path;        /* path part of redirect_uri */
    apr_array_header_t *passphrases;  /* of const char *, resolved values */
    const char *scope;
    apr_int64_t state_timeout;
    int state_max_count;
    apr_int64_t session_max_age;
    const char *cookie_name;
    const char *remote_user_claim;
    const char *claim_prefix;
    apr_array_header_t *pass_claims;  /* of const char *; NULL: the default set */
    apr_int64_t clock_skew;
    apr_int64_t http_timeout;
    apr_int64_t http_connect_timeout;
    const char *ca_file;
    apr_int64_t provider_refresh;
    apr_int64_t jwks_refetch_interval;

    /* Set at start-up and in each child, not by directives. */
    pkce_seal_keys_t *keys;
    pkce_http_t *http;
    pkce_provider_cache_t *provider;
} pkce_srv_conf;

/* Defaults, applied by pkce_config_apply_defaults(). */
#define PKCE_DEFAULT_SCOPE "openid profile email"
#define PKCE_DEFAULT_STATE_TIMEOUT 300
#define PKCE_DEFAULT_STATE_MAX_COUNT 5
#define PKCE_DEFAULT_SESSION_MAX_AGE (8 * 3600)
#define PKCE_DEFAULT_COOKIE_NAME "pkce_session"
#define PKCE_DEFAULT_REMOTE_USER_CLAIM "sub"
#define PKCE_DEFAULT_CLAIM_PREFIX "OIDC_CLAIM_"
#define PKCE_DEFAULT_CLOCK_SKEW 60
#define PKCE_DEFAULT_HTTP_TIMEOUT 10
#define PKCE_DEFAULT_HTTP_CONNECT_TIMEOUT 5
#define PKCE_DEFAULT_PROVIDER_REFRESH 3600
#define PKCE_DEFAULT_JWKS_REFETCH_INTERVAL 60
/* Largest response accepted from the provider's token endpoint. */
#define PKCE_TOKEN_RESPONSE_MAX (256 * 1024)
/* Name prefix of the state cookies; the state value follows it. */
#define PKCE_STATE_COOKIE_PREFIX "pkce_state_"

/* mod_pkce_config.c */
extern const command_rec pkce_cmds[];
void *pkce_create_srv_conf(apr_pool_t *p, server_rec *s);
void *pkce_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
int pkce_config_check(apr_pool_t *pconf, server_rec *s);
void pkce_config_apply_defaults(pkce_srv_conf *conf);
int pkce_config_is_used(const pkce_srv_conf *conf);

/* mod_pkce_cookie.c: cookies and the session stores */
int pkce_request_is_https(request_rec *r);
void pkce_cookie_set(request_rec *r, const char *name, const char *value,
                     apr_int64_t max_age);
void pkce_cookie_clear(request_rec *r, const char *name);
void pkce_cookie_strip_own(request_rec *r, const pkce_srv_conf *conf);

/**
 * Session storage. The cookie store seals the whole session into the
 * browser's cookies. A server-side store would keep it in a shared cache
 * and put only a sealed key in a cookie.
 */
typedef struct pkce_session_store_t {
    const char *name;
    /* APR_SUCCESS, APR_NOTFOUND when there is no session, or another
     * status when a session was present but unusable (logged at debug). */
    apr_status_t (*load)(pkce_session_t **psession, request_rec *r,
                         const pkce_srv_conf *conf);
    apr_status_t (*save)(request_rec *r, const pkce_srv_conf *conf,
                         const pkce_session_t *session);
    void (*remove)(request_rec *r, const pkce_srv_conf *conf);
} pkce_session_store_t;

extern const pkce_session_store_t pkce_cookie_store;

/* mod_pkce_auth.c */
int pkce_error_page(request_rec *r, int status, const char *title,
                    const char *detail);
apr_int64_t pkce_now(void);

/* mod_pkce_callback.c */
int pkce_handle_callback(request_rec *r, pkce_srv_conf *conf);
int pkce_start_login(request_rec *r, pkce_srv_conf *conf);

#endif /* MOD_PKCE_AUTH_H */
