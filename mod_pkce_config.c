/*
 * mod_pkce_config.c: the PKCEAuth* directives, their merging, and the
 * start-up check that the configuration is complete.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <http_core.h>

#include "mod_pkce_auth.h"
#include "pkce_url.h"

/* Bounds of an integer directive, handed to set_int through cmd->info. */
typedef struct int_slot_t {
    apr_size_t offset;
    apr_int64_t min;
    apr_int64_t max;
    const char *unit;
} int_slot_t;

#define SRV_CONF(cmd) \
    ((pkce_srv_conf *)ap_get_module_config((cmd)->server->module_config, \
                                            &pkce_auth_module))

void *pkce_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    pkce_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* Strings, arrays and the run-time pointers stay NULL (unset). */
    conf->state_timeout = PKCE_UNSET;
    conf->state_max_count = PKCE_UNSET;
    conf->session_max_age = PKCE_UNSET;
    conf->clock_skew = PKCE_UNSET;
    conf->http_timeout = PKCE_UNSET;
    conf->http_connect_timeout = PKCE_UNSET;
    conf->provider_refresh = PKCE_UNSET;
    conf->jwks_refetch_interval = PKCE_UNSET;
    return conf;
}

#define MERGE_PTR(field) conf->field = add->field ? add->field : base->field
#define MERGE_INT(field) \
    conf->field = add->field != PKCE_UNSET ? add->field : base->field

void *pkce_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    pkce_srv_conf *base = basev, *add = addv;
    pkce_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));

    MERGE_PTR(issuer);
    MERGE_PTR(client_id);
    MERGE_PTR(client_secret);
    MERGE_PTR(redirect_uri);
    MERGE_PTR(redirect_path);
    MERGE_PTR(passphrases);
    MERGE_PTR(scope);
    MERGE_INT(state_timeout);
    MERGE_INT(state_max_count);
    MERGE_INT(session_max_age);
    MERGE_PTR(cookie_name);
    MERGE_PTR(remote_user_claim);
    MERGE_PTR(claim_prefix);
    MERGE_PTR(pass_claims);
    MERGE_INT(clock_skew);
    MERGE_INT(http_timeout);
    MERGE_INT(http_connect_timeout);
    MERGE_PTR(ca_file);
    MERGE_INT(provider_refresh);
    MERGE_INT(jwks_refetch_interval);
    return conf;
}

void pkce_config_apply_defaults(pkce_srv_conf *conf)
{
#define DEFAULT(field, value) \
    if (conf->field == PKCE_UNSET) conf->field = (value)
#define DEFAULT_STR(field, value) \
    if (conf->field == NULL) conf->field = (value)
    DEFAULT_STR(scope, PKCE_DEFAULT_SCOPE);
    DEFAULT(state_timeout, PKCE_DEFAULT_STATE_TIMEOUT);
    DEFAULT(state_max_count, PKCE_DEFAULT_STATE_MAX_COUNT);
    DEFAULT(session_max_age, PKCE_DEFAULT_SESSION_MAX_AGE);
    DEFAULT_STR(cookie_name, PKCE_DEFAULT_COOKIE_NAME);
    DEFAULT_STR(remote_user_claim, PKCE_DEFAULT_REMOTE_USER_CLAIM);
    DEFAULT_STR(claim_prefix, PKCE_DEFAULT_CLAIM_PREFIX);
    DEFAULT(clock_skew, PKCE_DEFAULT_CLOCK_SKEW);
    DEFAULT(http_timeout, PKCE_DEFAULT_HTTP_TIMEOUT);
    DEFAULT(http_connect_timeout, PKCE_DEFAULT_HTTP_CONNECT_TIMEOUT);
    DEFAULT(provider_refresh, PKCE_DEFAULT_PROVIDER_REFRESH);
    DEFAULT(jwks_refetch_interval, PKCE_DEFAULT_JWKS_REFETCH_INTERVAL);
#undef DEFAULT
#undef DEFAULT_STR
    /* A connect time-out longer than the whole request would never fire. */
    if (conf->http_connect_timeout > conf->http_timeout) {
        conf->http_connect_timeout = conf->http_timeout;
    }
}

int pkce_config_is_used(const pkce_srv_conf *conf)
{
    return conf->issuer || conf->client_id || conf->redirect_uri
           || conf->passphrases;
}

/*
 * Resolve a secret given as a literal, as "file:PATH" (the file's first
 * line) or as "env:NAME". Returns NULL and sets `*perr` on failure.
 */
static const char *resolve_secret(cmd_parms *cmd, const char *arg,
                                  const char **perr)
{
    *perr = NULL;
    if (strncmp(arg, "file:", 5) == 0) {
        const char *path = ap_server_root_relative(cmd->temp_pool, arg + 5);
        apr_file_t *f;
        char line[1024];

        if (path == NULL
            || apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                             cmd->temp_pool) != APR_SUCCESS) {
            *perr = apr_psprintf(cmd->pool, "%s: cannot read the file %s; "
                                 "check that it exists and is readable by root",
                                 cmd->cmd->name, arg + 5);
            return NULL;
        }
        line[0] = '\0';
        apr_file_gets(line, sizeof(line), f);
        apr_file_close(f);
        line[strcspn(line, "\r\n")] = '\0';
        return apr_pstrdup(cmd->pool, line);
    }
    if (strncmp(arg, "env:", 4) == 0) {
        const char *value = getenv(arg + 4);
        if (value == NULL) {
            *perr = apr_psprintf(cmd->pool, "%s: the environment variable %s "
                                 "is not set; set it in Apache's environment "
                                 "(e.g. /etc/apache2/envvars)",
                                 cmd->cmd->name, arg + 4);
            return NULL;
        }
        return apr_pstrdup(cmd->pool, value);
    }
    return arg;
}

static const char *set_passphrase(cmd_parms *cmd, void *dconf, const char *arg)
{
    pkce_srv_conf *conf = SRV_CONF(cmd);
    const char *err, *value = resolve_secret(cmd, arg, &err);

    if (value == NULL) {
        return err;
    }
    if (strlen(value) < PKCE_SEAL_MIN_PASSPHRASE) {
        return apr_psprintf(cmd->pool, "%s: a passphrase needs at least %d "
                            "characters%s%s; make one with "
                            "`openssl rand -base64 32`", cmd->cmd->name,
                            PKCE_SEAL_MIN_PASSPHRASE,
                            strncmp(arg, "file:", 5) == 0
                            ? ", but the first line of the file " : "",
                            strncmp(arg, "file:", 5) == 0
                            ? apr_pstrcat(cmd->temp_pool, arg + 5,
                                          " is shorter or empty", NULL) : "");
    }
    if (conf->passphrases == NULL) {
        conf->passphrases = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(conf->passphrases, const char *) = value;
    return NULL;
}

static const char *set_url(cmd_parms *cmd, const char **slot, const char *arg)
{
    pkce_err_t err;

    if (pkce_url_check_absolute(arg, &err, cmd->temp_pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s; give an absolute URL "
                            "such as https://login.example.com/",
                            cmd->cmd->name, arg, err.text);
    }
    *slot = arg;
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dconf, const char *arg)
{
    /* OpenID Connect Discovery 1.0 section 3: an issuer is a URL with a
     * scheme, host and optional port and path, but no query or fragment. */
    if (strchr(arg, '?') != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' has a query string, which "
                            "an issuer never has; copy the issuer value from "
                            "the provider's discovery document",
                            cmd->cmd->name, arg);
    }
    return set_url(cmd, &SRV_CONF(cmd)->issuer, arg);
}

static int has_suffix(const char *text, const char *suffix)
{
    apr_size_t n = strlen(text), m = strlen(suffix);

    return n >= m && strcmp(text + n - m, suffix) == 0;
}

static const char *set_redirect_uri(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    pkce_srv_conf *conf = SRV_CONF(cmd);
    const char *err = set_url(cmd, &conf->redirect_uri, arg);
    apr_uri_t uri;

    if (err != NULL) {
        return err;
    }
    apr_uri_parse(cmd->pool, arg, &uri);
    if (uri.path == NULL || uri.path[0] != '/' || strcmp(uri.path, "/") == 0
        || uri.query != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' needs a path of its own "
                            "(such as /callback) and no query string, "
                            "because the module answers that path itself",
                            cmd->cmd->name, arg);
    }
    /* Browsers resolve "." and ".." segments (and their %2e spellings)
     * before following the provider's redirect, so such a path would never
     * match the path that arrives. */
    if (strstr(uri.path, "/./") != NULL || strstr(uri.path, "/../") != NULL
        || has_suffix(uri.path, "/.") || has_suffix(uri.path, "/..")
        || ap_strcasestr(uri.path, "%2e") != NULL) {
        return apr_psprintf(cmd->pool, "%s: the path of '%s' has '.' or '..' "
                            "segments, which browsers resolve before the "
                            "callback arrives; give the resolved path, such "
                            "as /callback", cmd->cmd->name, arg);
    }
    conf->redirect_path = uri.path;
    return NULL;
}

static const char *set_client_id(cmd_parms *cmd, void *dconf, const char *arg)
{
    if (arg[0] == '\0') {
        return apr_psprintf(cmd->pool, "%s: the client ID is empty; copy it "
                            "from the provider's application settings",
                            cmd->cmd->name);
    }
    SRV_CONF(cmd)->client_id = arg;
    return NULL;
}

static const char *set_client_secret(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    const char *err, *value = resolve_secret(cmd, arg, &err);

    if (value == NULL) {
        return err;
    }
    if (value[0] == '\0') {
        return apr_psprintf(cmd->pool, "%s: the client secret is empty; "
                            "remove the directive for a public client",
                            cmd->cmd->name);
    }
    SRV_CONF(cmd)->client_secret = value;
    return NULL;
}

static const char *set_scope(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *pos = arg;
    char *word;

    while (*(word = ap_getword_white(cmd->temp_pool, &pos)) != '\0') {
        if (strcmp(word, "openid") == 0) {
            SRV_CONF(cmd)->scope = arg;
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: the scope must include \"openid\", "
                        "e.g. \"openid profile email\"", cmd->cmd->name);
}

/* Accept a name made of letters, digits, "-" and "_" only. */
static const char *check_token(cmd_parms *cmd, const char *arg)
{
    const char *c;

    if (arg[0] == '\0') {
        return apr_psprintf(cmd->pool, "%s: the value is empty", cmd->cmd->name);
    }
    for (c = arg; *c != '\0'; c++) {
        if (!apr_isalnum(*c) && *c != '-' && *c != '_') {
            return apr_psprintf(cmd->pool, "%s: '%s' may contain only "
                                "letters, digits, '-' and '_'",
                                cmd->cmd->name, arg);
        }
    }
    return NULL;
}

static const char *set_cookie_name(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    const char *err = check_token(cmd, arg);

    if (err == NULL && strncmp(arg, PKCE_STATE_COOKIE_PREFIX,
                               strlen(PKCE_STATE_COOKIE_PREFIX)) == 0) {
        err = apr_psprintf(cmd->pool, "%s: names starting with '%s' are "
                           "reserved for the login state cookies",
                           cmd->cmd->name, PKCE_STATE_COOKIE_PREFIX);
    }
    if (err == NULL) {
        SRV_CONF(cmd)->cookie_name = arg;
    }
    return err;
}

/* Request headers that the claim prefix must not match: every incoming
 * header with the prefix is removed, and removing one of these would break
 * requests (Content-Length and Transfer-Encoding frame the body) or strip
 * information the application needs. */
static const char *const protected_headers[] = {
    "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
    "Authorization", "Cache-Control", "Connection", "Content-Encoding",
    "Content-Length", "Content-Type", "Cookie", "Expect", "Forwarded",
    "Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
    "If-Unmodified-Since", "Keep-Alive", "Origin", "Pragma",
    "Proxy-Authorization", "Range", "Referer", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "User-Agent", "Via",
    "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    "X-Real-IP", "X-Requested-With", NULL
};

static const char *set_claim_prefix(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    const char *err = check_token(cmd, arg);
    int i;

    if (err != NULL) {
        return err;
    }
    for (i = 0; protected_headers[i] != NULL; i++) {
        if (pkce_header_has_prefix(protected_headers[i], arg)) {
            return apr_psprintf(cmd->pool, "%s: '%s' would remove the "
                                "request header %s, since incoming headers "
                                "with this prefix are removed; choose a "
                                "longer, distinct prefix such as OIDC_CLAIM_",
                                cmd->cmd->name, arg, protected_headers[i]);
        }
    }
    SRV_CONF(cmd)->claim_prefix = arg;
    return NULL;
}

static const char *set_remote_user_claim(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    if (arg[0] == '\0') {
        return apr_psprintf(cmd->pool, "%s: the claim name is empty, "
                            "e.g. sub or email", cmd->cmd->name);
    }
    SRV_CONF(cmd)->remote_user_claim = arg;
    return NULL;
}

static const char *add_pass_claim(cmd_parms *cmd, void *dconf, const char *arg)
{
    pkce_srv_conf *conf = SRV_CONF(cmd);

    if (conf->pass_claims == NULL) {
        conf->pass_claims = apr_array_make(cmd->pool, 8, sizeof(const char *));
    }
    APR_ARRAY_PUSH(conf->pass_claims, const char *) = arg;
    return NULL;
}

/* Parse a whole decimal number within the slot's bounds; no atoi. */
static const char *parse_int(cmd_parms *cmd, const int_slot_t *slot,
                             const char *arg, apr_int64_t *pvalue)
{
    char *end = NULL;
    apr_int64_t value;

    errno = 0;
    value = apr_strtoi64(arg, &end, 10);
    if (arg[0] == '\0' || *end != '\0' || errno != 0 || value < slot->min
        || value > slot->max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number of "
                            "%s from %" APR_INT64_T_FMT " to %"
                            APR_INT64_T_FMT, cmd->cmd->name, arg, slot->unit,
                            slot->min, slot->max);
    }
    *pvalue = value;
    return NULL;
}

static const char *set_int(cmd_parms *cmd, void *dconf, const char *arg)
{
    const int_slot_t *slot = cmd->info;
    apr_int64_t value;
    const char *err = parse_int(cmd, slot, arg, &value);
    char *field = (char *)SRV_CONF(cmd) + slot->offset;

    if (err != NULL) {
        return err;
    }
    if (slot->offset == offsetof(pkce_srv_conf, state_max_count)) {
        *(int *)field = (int)value;
    }
    else {
        *(apr_int64_t *)field = value;
    }
    return NULL;
}

static const int_slot_t state_timeout_slot = {
    offsetof(pkce_srv_conf, state_timeout), 1, 3600, "seconds" };
static const int_slot_t state_max_count_slot = {
    offsetof(pkce_srv_conf, state_max_count), 1, 20, "cookies" };
static const int_slot_t session_max_age_slot = {
    offsetof(pkce_srv_conf, session_max_age), 60, 30 * 86400, "seconds" };
static const int_slot_t clock_skew_slot = {
    offsetof(pkce_srv_conf, clock_skew), 0, 600, "seconds" };
static const int_slot_t provider_refresh_slot = {
    offsetof(pkce_srv_conf, provider_refresh), 1, 7 * 86400, "seconds" };
static const int_slot_t jwks_refetch_slot = {
    offsetof(pkce_srv_conf, jwks_refetch_interval), 1, 86400, "seconds" };
static const int_slot_t http_timeout_slot = {
    offsetof(pkce_srv_conf, http_timeout), 1, 300, "seconds" };
static const int_slot_t http_connect_slot = {
    offsetof(pkce_srv_conf, http_connect_timeout), 1, 300, "seconds" };

static const char *set_http_timeout(cmd_parms *cmd, void *dconf,
                                    const char *total, const char *connect)
{
    pkce_srv_conf *conf = SRV_CONF(cmd);
    const char *err = parse_int(cmd, &http_timeout_slot, total,
                                &conf->http_timeout);

    if (err == NULL && connect != NULL) {
        err = parse_int(cmd, &http_connect_slot, connect,
                        &conf->http_connect_timeout);
    }
    return err;
}

static const char *set_ca_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t finfo;

    if (path == NULL
        || apr_stat(&finfo, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file; give "
                            "a PEM bundle such as "
                            "/etc/ssl/certs/ca-certificates.crt",
                            cmd->cmd->name, arg);
    }
    SRV_CONF(cmd)->ca_file = path;
    return NULL;
}

const command_rec pkce_cmds[] = {
    AP_INIT_TAKE1("PKCEAuthIssuer", set_issuer, NULL, RSRC_CONF,
                  "The provider's issuer URL, exactly as its discovery "
                  "document has it (e.g. https://tenant.auth0.com/)"),
    AP_INIT_TAKE1("PKCEAuthClientID", set_client_id, NULL, RSRC_CONF,
                  "The client ID registered at the provider"),
    AP_INIT_TAKE1("PKCEAuthClientSecret", set_client_secret, NULL, RSRC_CONF,
                  "The client secret (literal, file:PATH or env:NAME); "
                  "omit it for a public client"),
    AP_INIT_TAKE1("PKCEAuthRedirectURI", set_redirect_uri, NULL, RSRC_CONF,
                  "The absolute callback URL registered at the provider; "
                  "the module answers its path"),
    AP_INIT_ITERATE("PKCEAuthCryptoPassphrase", set_passphrase, NULL,
                    RSRC_CONF,
                    "One or more passphrases of 32+ characters (literal, "
                    "file:PATH or env:NAME); the first seals cookies, all open"),
    AP_INIT_TAKE1("PKCEAuthScope", set_scope, NULL, RSRC_CONF,
                  "Scopes to request, space-separated, including openid "
                  "(default \"" PKCE_DEFAULT_SCOPE "\")"),
    AP_INIT_TAKE1("PKCEAuthStateTimeout", set_int,
                  (void *)&state_timeout_slot, RSRC_CONF,
                  "Seconds a login may take from redirect to callback "
                  "(default 300)"),
    AP_INIT_TAKE1("PKCEAuthStateMaxCount", set_int,
                  (void *)&state_max_count_slot, RSRC_CONF,
                  "Logins in progress kept per browser; the oldest is "
                  "dropped beyond it (default 5)"),
    AP_INIT_TAKE1("PKCEAuthSessionMaxAge", set_int,
                  (void *)&session_max_age_slot, RSRC_CONF,
                  "Seconds a session lasts after login (default 28800)"),
    AP_INIT_TAKE1("PKCEAuthCookieName", set_cookie_name, NULL, RSRC_CONF,
                  "Name of the session cookie (default "
                  PKCE_DEFAULT_COOKIE_NAME ")"),
    AP_INIT_TAKE1("PKCEAuthRemoteUserClaim", set_remote_user_claim, NULL,
                  RSRC_CONF, "ID token claim that becomes REMOTE_USER "
                  "(default sub)"),
    AP_INIT_TAKE1("PKCEAuthClaimPrefix", set_claim_prefix, NULL, RSRC_CONF,
                  "Prefix of the claim headers and environment variables "
                  "(default " PKCE_DEFAULT_CLAIM_PREFIX ")"),
    AP_INIT_ITERATE("PKCEAuthPassClaims", add_pass_claim, NULL, RSRC_CONF,
                    "ID token claims passed to the application (default: "
                    "all but the protocol claims such as aud, exp and nonce)"),
    AP_INIT_TAKE1("PKCEAuthClockSkew", set_int, (void *)&clock_skew_slot,
                  RSRC_CONF, "Seconds of clock difference allowed when "
                  "checking token times (default 60)"),
    AP_INIT_TAKE12("PKCEAuthHTTPTimeout", set_http_timeout, NULL, RSRC_CONF,
                   "Seconds allowed for a request to the provider, and "
                   "optionally for its connect (default 10 5)"),
    AP_INIT_TAKE1("PKCEAuthCACertificate", set_ca_file, NULL, RSRC_CONF,
                  "PEM file of CA certificates that the provider's TLS "
                  "certificate must chain to (default: the system's)"),
    AP_INIT_TAKE1("PKCEAuthProviderRefresh", set_int,
                  (void *)&provider_refresh_slot, RSRC_CONF,
                  "Seconds the discovery document and JWKS are cached "
                  "(default 3600)"),
    AP_INIT_TAKE1("PKCEAuthJWKSRefetchInterval", set_int,
                  (void *)&jwks_refetch_slot, RSRC_CONF,
                  "Fewest seconds between JWKS fetches caused by an "
                  "unknown key ID (default 60)"),
    { NULL, { NULL }, NULL, 0, RAW_ARGS, NULL }
};

/* Log one missing directive and return 1, so that callers can count. */
static int report_missing(server_rec *s, const char *directive,
                          const char *fix)
{
    const char *where = s->is_virtual && s->defn_name != NULL
        ? apr_psprintf(s->process->pconf, "the virtual host defined at %s:%u",
                       s->defn_name, s->defn_line_number)
        : "the main server configuration";

    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PKCELOGNO(001)
                 "%s is missing in %s: %s", directive, where, fix);
    return 1;
}

int pkce_config_check(apr_pool_t *pconf, server_rec *s)
{
    int missing = 0;

    for (; s != NULL; s = s->next) {
        pkce_srv_conf *conf = ap_get_module_config(s->module_config,
                                                   &pkce_auth_module);
        if (!pkce_config_is_used(conf)) {
            continue;
        }
        if (conf->issuer == NULL) {
            missing += report_missing(s, "PKCEAuthIssuer",
                "add e.g. PKCEAuthIssuer https://tenant.auth0.com/");
        }
        if (conf->client_id == NULL) {
            missing += report_missing(s, "PKCEAuthClientID",
                "add the client ID from the provider's application settings");
        }
        if (conf->redirect_uri == NULL) {
            missing += report_missing(s, "PKCEAuthRedirectURI",
                "add the callback URL registered at the provider, e.g. "
                "https://www.example.com/callback");
        }
        if (conf->passphrases == NULL) {
            missing += report_missing(s, "PKCEAuthCryptoPassphrase",
                "add e.g. PKCEAuthCryptoPassphrase file:/etc/apache2/"
                "pkce_auth.key, a file holding `openssl rand -base64 32`");
        }
    }
    return missing ? !OK : OK;
}
