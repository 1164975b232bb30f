/*
 * mod_pkce_cookie.c: the module's cookies, and the session store that keeps
 * a whole sealed session in the browser's cookies.
 */
#include <string.h>

#include <apr_strings.h>

#include <http_protocol.h>
#include <http_request.h>

#include "mod_pkce_auth.h"
#include "pkce_url.h"

/* Cookie values longer than this are split into numbered chunks, because
 * browsers keep at most about 4096 bytes per cookie, name included. */
#define CHUNK_SIZE 4000
/* Most chunks a session may take; more means "no session". */
#define MAX_CHUNKS 16
/* Marks the main cookie of a chunked value: "c.N" (N chunks follow). The
 * "." cannot occur in a sealed base64url value, so the two never mix up. */
#define CHUNK_MARK "c."

/* Return the purpose bound into sealed session cookies. Naming the client
 * keeps two applications that share a passphrase and an issuer from
 * accepting each other's sessions. */
static const char *session_purpose(const pkce_srv_conf *conf, apr_pool_t *p)
{
    return apr_pstrcat(p, "session:", conf->client_id, NULL);
}

int pkce_request_is_https(request_rec *r)
{
    return strcmp(ap_http_scheme(r), "https") == 0;
}

void pkce_cookie_set(request_rec *r, const char *name, const char *value,
                     apr_int64_t max_age)
{
    const char *age = max_age >= 0
        ? apr_psprintf(r->pool, "; Max-Age=%" APR_INT64_T_FMT, max_age) : "";

    /* err_headers_out, so the cookie also goes out with redirects and
     * error pages. */
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_psprintf(r->pool, "%s=%s%s; Path=/; HttpOnly; "
                                "SameSite=Lax%s", name, value, age,
                                pkce_request_is_https(r) ? "; Secure" : ""));
}

void pkce_cookie_clear(request_rec *r, const char *name)
{
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_psprintf(r->pool, "%s=; Max-Age=0; Expires=Thu, 01 Jan "
                                "1970 00:00:00 GMT; Path=/; HttpOnly; "
                                "SameSite=Lax%s", name,
                                pkce_request_is_https(r) ? "; Secure" : ""));
}

/* Tell whether cookie `name` is one of ours: the session cookie, one of
 * its chunks, or a state cookie. */
static int is_own_cookie(const pkce_srv_conf *conf, const char *name,
                         apr_size_t len)
{
    apr_size_t base = strlen(conf->cookie_name);
    apr_size_t state = strlen(PKCE_STATE_COOKIE_PREFIX);
    apr_size_t i;

    if (len >= state && memcmp(name, PKCE_STATE_COOKIE_PREFIX, state) == 0) {
        return 1;
    }
    if (len < base || memcmp(name, conf->cookie_name, base) != 0) {
        return 0;
    }
    if (len == base) {
        return 1;
    }
    if (name[base] != '_' || len == base + 1) {
        return 0;
    }
    for (i = base + 1; i < len; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return 0;
        }
    }
    return 1;
}

typedef struct strip_t {
    const pkce_srv_conf *conf;
    apr_array_header_t *kept;  /* of const char *, "name=value" pairs passed on */
    apr_pool_t *p;
} strip_t;

static int strip_one(void *baton, const char *name, apr_size_t name_len,
                     const char *value, apr_size_t value_len)
{
    strip_t *strip = baton;

    if (!is_own_cookie(strip->conf, name, name_len)) {
        APR_ARRAY_PUSH(strip->kept, const char *) =
            apr_psprintf(strip->p, "%.*s=%.*s", (int)name_len, name,
                         (int)value_len, value);
    }
    return 1;
}

void pkce_cookie_strip_own(request_rec *r, const pkce_srv_conf *conf)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    strip_t strip;

    if (header == NULL) {
        return;
    }
    strip.conf = conf;
    strip.kept = apr_array_make(r->pool, 8, sizeof(const char *));
    strip.p = r->pool;
    pkce_cookie_each(header, strip_one, &strip);
    if (strip.kept->nelts == 0) {
        apr_table_unset(r->headers_in, "Cookie");
    }
    else {
        const char *joined = APR_ARRAY_IDX(strip.kept, 0, const char *);
        int i;

        for (i = 1; i < strip.kept->nelts; i++) {
            joined = apr_pstrcat(r->pool, joined, "; ",
                                 APR_ARRAY_IDX(strip.kept, i, const char *),
                                 NULL);
        }
        apr_table_setn(r->headers_in, "Cookie", joined);
    }
}

/* Read the sealed session value, joining chunks, into `*psealed`.
 * Returns APR_NOTFOUND when there is no session cookie and PKCE_EINVAL when
 * the chunks do not add up. */
static apr_status_t read_sealed(const char **psealed, request_rec *r,
                                const pkce_srv_conf *conf)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    const char *main_value = pkce_cookie_get(header, conf->cookie_name, r->pool);
    char *end = NULL;
    long count, i;
    apr_array_header_t *parts;

    *psealed = main_value;
    if (main_value == NULL) {
        return APR_NOTFOUND;
    }
    if (strncmp(main_value, CHUNK_MARK, strlen(CHUNK_MARK)) != 0) {
        return APR_SUCCESS;
    }
    *psealed = NULL;
    count = strtol(main_value + strlen(CHUNK_MARK), &end, 10);
    if (*end != '\0' || count < 2 || count > MAX_CHUNKS) {
        return PKCE_EINVAL;
    }
    parts = apr_array_make(r->pool, (int)count, sizeof(const char *));
    for (i = 1; i <= count; i++) {
        const char *name = apr_psprintf(r->pool, "%s_%ld", conf->cookie_name, i);
        const char *part = pkce_cookie_get(header, name, r->pool);
        if (part == NULL || part[0] == '\0') {
            return PKCE_EINVAL;
        }
        APR_ARRAY_PUSH(parts, const char *) = part;
    }
    *psealed = apr_array_pstrcat(r->pool, parts, '\0');
    return APR_SUCCESS;
}

static apr_status_t cookie_load(pkce_session_t **psession, request_rec *r,
                                const pkce_srv_conf *conf)
{
    const char *sealed;
    char *text;
    apr_size_t len;
    apr_status_t rv;

    *psession = NULL;
    if ((rv = read_sealed(&sealed, r, conf)) != APR_SUCCESS) {
        return rv;
    }
    rv = pkce_unseal(&text, &len, conf->keys, session_purpose(conf, r->pool), sealed,
                     strlen(sealed), r->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = pkce_session_decode(psession, text, len, pkce_now(), r->pool);
    if (rv == APR_SUCCESS && strcmp((*psession)->iss, conf->issuer) != 0) {
        /* Sealed by a server with the same passphrase but another issuer. */
        *psession = NULL;
        rv = PKCE_EVERIFY;
    }
    return rv;
}

/* Clear chunk cookies numbered from `first` that the browser sent. */
static void clear_chunks_from(request_rec *r, const pkce_srv_conf *conf,
                              int first)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    int i;

    for (i = first; i <= MAX_CHUNKS; i++) {
        const char *name = apr_psprintf(r->pool, "%s_%d", conf->cookie_name, i);
        if (pkce_cookie_get(header, name, r->pool) != NULL) {
            pkce_cookie_clear(r, name);
        }
    }
}

static apr_status_t cookie_save(request_rec *r, const pkce_srv_conf *conf,
                                const pkce_session_t *session)
{
    char *text = pkce_session_encode(session, r->pool), *sealed;
    apr_size_t len;
    int count, i;
    apr_status_t rv;

    if (text == NULL) {
        return PKCE_EINVAL;
    }
    rv = pkce_seal(&sealed, conf->keys, session_purpose(conf, r->pool), text, strlen(text),
                   r->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    len = strlen(sealed);
    if (len <= CHUNK_SIZE) {
        pkce_cookie_set(r, conf->cookie_name, sealed, -1);
        clear_chunks_from(r, conf, 1);
        return APR_SUCCESS;
    }
    count = (int)((len + CHUNK_SIZE - 1) / CHUNK_SIZE);
    if (count > MAX_CHUNKS) {
        return PKCE_ETOOBIG;
    }
    for (i = 0; i < count; i++) {
        apr_size_t off = (apr_size_t)i * CHUNK_SIZE;
        apr_size_t n = len - off < CHUNK_SIZE ? len - off : CHUNK_SIZE;
        pkce_cookie_set(r, apr_psprintf(r->pool, "%s_%d", conf->cookie_name,
                                        i + 1),
                        apr_pstrmemdup(r->pool, sealed + off, n), -1);
    }
    pkce_cookie_set(r, conf->cookie_name,
                    apr_psprintf(r->pool, CHUNK_MARK "%d", count), -1);
    clear_chunks_from(r, conf, count + 1);
    return APR_SUCCESS;
}

static void cookie_remove(request_rec *r, const pkce_srv_conf *conf)
{
    pkce_cookie_clear(r, conf->cookie_name);
    clear_chunks_from(r, conf, 1);
}

const pkce_session_store_t pkce_cookie_store = {
    "cookie", cookie_load, cookie_save, cookie_remove
};
