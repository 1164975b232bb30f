/*
 * pkce_provider.c: discovery and JWKS, cached as reference-counted
 * snapshots that a refresh replaces as a whole.
 */
#include <string.h>

#include <jansson.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>

#include "pkce_provider.h"
#include "pkce_url.h"

#define WELL_KNOWN "/.well-known/openid-configuration"

typedef struct snapshot_t {
    pkce_provider_t pub;  /* first, so a pkce_provider_t * is a snapshot_t * */
    apr_pool_t *pool;     /* everything of the snapshot, keys included */
    int refs;             /* references handed out; guarded by the cache mutex */
    int current;          /* still the cache's snapshot */
} snapshot_t;

struct pkce_provider_cache_t {
    pkce_provider_opts_t opts;
    pkce_http_t *http;
    apr_thread_mutex_t *mutex;
    snapshot_t *cur;
    apr_int64_t failed_at;  /* time of the last failed fetch, or 0 */
    pkce_err_t failure;     /* why it failed */
    apr_status_t failure_rv;
};

char *pkce_provider_discovery_url(const char *issuer, apr_pool_t *p)
{
    apr_size_t len = strlen(issuer);

    if (len > 0 && issuer[len - 1] == '/') {
        len--;
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, issuer, len), WELL_KNOWN, NULL);
}

/* Copy string member `name` of `doc` into `*pout`; absent is an error only
 * when `required`. Values must be absolute http(s) URLs. */
static apr_status_t get_endpoint(const char **pout, json_t *doc,
                                 const char *name, int required,
                                 pkce_err_t *err, apr_pool_t *p)
{
    json_t *v = json_object_get(doc, name);
    pkce_err_t url_err;

    *pout = NULL;
    if (v == NULL && !required) {
        return APR_SUCCESS;
    }
    if (!json_is_string(v)) {
        return pkce_err_set(err, PKCE_EINVAL, "discovery",
                            "discovery document has no string \"%s\"", name);
    }
    if (pkce_url_check_absolute(json_string_value(v), &url_err, p) != APR_SUCCESS) {
        return pkce_err_set(err, PKCE_EINVAL, "discovery",
                            "discovery document's \"%s\" %s", name, url_err.text);
    }
    *pout = apr_pstrdup(p, json_string_value(v));
    return APR_SUCCESS;
}

apr_status_t pkce_provider_parse_discovery(pkce_provider_t **pprov,
                                           const char *json, apr_size_t len,
                                           const char *issuer, pkce_err_t *err,
                                           apr_pool_t *p)
{
    pkce_provider_t *prov = apr_pcalloc(p, sizeof(*prov));
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *iss = json_object_get(doc, "issuer");
    apr_status_t rv = PKCE_EINVAL;

    *pprov = NULL;
    if (!json_is_object(doc)) {
        pkce_err_set(err, rv, "discovery", "discovery document is not a JSON object");
        goto cleanup;
    }
    /* OpenID Connect Discovery 1.0 section 4.3: the issuer must match the
     * configured one exactly, or the document must not be used. */
    if (!json_is_string(iss) || strcmp(json_string_value(iss), issuer) != 0) {
        pkce_err_set(err, rv, "issuer_mismatch",
                     "discovery document's issuer \"%.100s\" differs from the "
                     "configured issuer \"%.100s\"",
                     json_is_string(iss) ? json_string_value(iss) : "(none)",
                     issuer);
        goto cleanup;
    }
    prov->issuer = apr_pstrdup(p, issuer);
    if ((rv = get_endpoint(&prov->authorization_endpoint, doc,
                           "authorization_endpoint", 1, err, p)) != APR_SUCCESS
        || (rv = get_endpoint(&prov->token_endpoint, doc, "token_endpoint", 1,
                              err, p)) != APR_SUCCESS
        || (rv = get_endpoint(&prov->jwks_uri, doc, "jwks_uri", 1, err, p)) != APR_SUCCESS
        || (rv = get_endpoint(&prov->userinfo_endpoint, doc, "userinfo_endpoint",
                              0, err, p)) != APR_SUCCESS
        || (rv = get_endpoint(&prov->end_session_endpoint, doc,
                              "end_session_endpoint", 0, err, p)) != APR_SUCCESS) {
        goto cleanup;
    }
    prov->iss_parameter_supported = json_is_true(
        json_object_get(doc, "authorization_response_iss_parameter_supported"));
    *pprov = prov;
cleanup:
    json_decref(doc);
    return rv;
}

static void snapshot_destroy(snapshot_t *snap)
{
    apr_pool_destroy(snap->pool);
}

static apr_status_t cache_cleanup(void *data)
{
    pkce_provider_cache_t *cache = data;

    if (cache->cur != NULL && cache->cur->refs == 0) {
        snapshot_destroy(cache->cur);
    }
    cache->cur = NULL;
    return APR_SUCCESS;
}

apr_status_t pkce_provider_cache_create(pkce_provider_cache_t **pcache,
                                        const pkce_provider_opts_t *opts,
                                        pkce_http_t *http, apr_pool_t *p)
{
    pkce_provider_cache_t *cache = apr_pcalloc(p, sizeof(*cache));
    apr_status_t rv;

    /* cache->cur is NULL: nothing is fetched until the first request. */
    cache->opts = *opts;
    cache->opts.issuer = apr_pstrdup(p, opts->issuer);
    cache->http = http;
    rv = apr_thread_mutex_create(&cache->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(p, cache, cache_cleanup, apr_pool_cleanup_null);
    *pcache = cache;
    return APR_SUCCESS;
}

/* Fetch `url` and require a 200 JSON response. */
static apr_status_t fetch_json(pkce_http_response_t **presp,
                               pkce_provider_cache_t *cache, const char *url,
                               const char *what, pkce_err_t *err, apr_pool_t *p)
{
    apr_status_t rv = pkce_http_get(presp, cache->http, url, err, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((*presp)->status != 200) {
        return pkce_err_set(err, PKCE_EHTTP, "http_status",
                            "%s %s returned HTTP %ld, expected 200", what, url,
                            (*presp)->status);
    }
    return APR_SUCCESS;
}

/* Fetch and parse the JWKS of `snap` into its pool. */
static apr_status_t load_jwks(snapshot_t *snap, pkce_provider_cache_t *cache,
                              pkce_err_t *err, apr_int64_t now)
{
    pkce_http_response_t *resp;
    pkce_err_t parse_err;
    apr_status_t rv;

    rv = fetch_json(&resp, cache, snap->pub.jwks_uri, "JWKS", err, snap->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = pkce_jwks_parse(&snap->pub.jwks, resp->body, resp->body_len,
                         &parse_err, snap->pool);
    if (rv != APR_SUCCESS) {
        return pkce_err_set(err, rv, "jwks", "JWKS %s is invalid: %s",
                            snap->pub.jwks_uri, parse_err.text);
    }
    snap->pub.jwks_fetched_at = now;
    return APR_SUCCESS;
}

static apr_status_t snapshot_new(snapshot_t **psnap)
{
    apr_pool_t *pool;
    snapshot_t *snap;
    apr_status_t rv;

    /* An unmanaged pool: its life follows the reference count, not a parent. */
    rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    snap = apr_pcalloc(pool, sizeof(*snap));
    snap->pool = pool;
    *psnap = snap;
    return APR_SUCCESS;
}

/* Build a complete new snapshot: discovery, then JWKS. */
static apr_status_t fetch_all(snapshot_t **psnap, pkce_provider_cache_t *cache,
                              pkce_err_t *err, apr_int64_t now)
{
    const char *url;
    pkce_http_response_t *resp;
    pkce_provider_t *prov;
    snapshot_t *snap;
    apr_status_t rv;

    *psnap = NULL;
    if ((rv = snapshot_new(&snap)) != APR_SUCCESS) {
        return rv;
    }
    url = pkce_provider_discovery_url(cache->opts.issuer, snap->pool);
    rv = fetch_json(&resp, cache, url, "discovery", err, snap->pool);
    if (rv == APR_SUCCESS) {
        rv = pkce_provider_parse_discovery(&prov, resp->body, resp->body_len,
                                           cache->opts.issuer, err, snap->pool);
    }
    if (rv == APR_SUCCESS) {
        snap->pub = *prov;
        snap->pub.fetched_at = now;
        rv = load_jwks(snap, cache, err, now);
    }
    if (rv != APR_SUCCESS) {
        snapshot_destroy(snap);
        return rv;
    }
    *psnap = snap;
    return APR_SUCCESS;
}

/* Fetch a new snapshot. When a fetch ended in failure less than
 * PKCE_PROVIDER_RETRY_AFTER seconds ago, return that failure at once
 * instead, so that requests queued behind a fetch that timed out do not
 * each wait for a time-out of their own. Called with the mutex held. */
static apr_status_t fetch_or_recall_failure(snapshot_t **psnap,
                                            pkce_provider_cache_t *cache,
                                            pkce_err_t *err, apr_int64_t now)
{
    /* The clock is read here, after the mutex was taken, and the failure
     * time after the failed fetch ended: a `now` taken before waiting for
     * the mutex would be a whole time-out old. */
    apr_int64_t clock = apr_time_sec(apr_time_now());
    apr_status_t rv;

    *psnap = NULL;
    if (cache->failed_at != 0 && clock >= cache->failed_at
        && clock - cache->failed_at < PKCE_PROVIDER_RETRY_AFTER) {
        if (err != NULL) {
            *err = cache->failure;
        }
        return cache->failure_rv;
    }
    pkce_err_clear(&cache->failure);
    rv = fetch_all(psnap, cache, &cache->failure, now);
    if (rv == APR_SUCCESS) {
        cache->failed_at = 0;
        return rv;
    }
    cache->failed_at = apr_time_sec(apr_time_now());
    cache->failure_rv = rv;
    if (err != NULL) {
        *err = cache->failure;
    }
    return rv;
}

/* Make `snap` the cache's snapshot, retiring the old one. Mutex held. */
static void install(pkce_provider_cache_t *cache, snapshot_t *snap)
{
    snapshot_t *old = cache->cur;

    if (old != NULL) {
        old->current = 0;
        if (old->refs == 0) {
            snapshot_destroy(old);
        }
    }
    snap->current = 1;
    cache->cur = snap;
}

apr_status_t pkce_provider_acquire(pkce_provider_t **pprov,
                                   pkce_provider_cache_t *cache,
                                   int *pstale_err, pkce_err_t *err,
                                   apr_int64_t now)
{
    snapshot_t *snap;
    apr_status_t rv = APR_SUCCESS;

    *pprov = NULL;
    if (pstale_err != NULL) {
        *pstale_err = 0;
    }
    /* Fetching under the mutex makes one thread fetch while the others wait
     * for its result, instead of all of them asking the provider at once. */
    apr_thread_mutex_lock(cache->mutex);
    snap = cache->cur;
    if (snap == NULL || now - snap->pub.fetched_at >= cache->opts.refresh) {
        snapshot_t *fresh;

        rv = fetch_or_recall_failure(&fresh, cache, err, now);
        if (rv == APR_SUCCESS) {
            install(cache, fresh);
            snap = fresh;
        }
        else if (snap != NULL) {
            rv = APR_SUCCESS;
            if (pstale_err != NULL) {
                *pstale_err = 1;
            }
        }
    }
    if (rv == APR_SUCCESS) {
        snap->refs++;
        *pprov = &snap->pub;
    }
    apr_thread_mutex_unlock(cache->mutex);
    return rv;
}

/* Drop one reference. Mutex held. */
static void unref(snapshot_t *snap)
{
    if (--snap->refs == 0 && !snap->current) {
        snapshot_destroy(snap);
    }
}

void pkce_provider_release(pkce_provider_cache_t *cache, pkce_provider_t *prov)
{
    if (prov == NULL) {
        return;
    }
    apr_thread_mutex_lock(cache->mutex);
    unref((snapshot_t *)prov);
    apr_thread_mutex_unlock(cache->mutex);
}

/* Copy the metadata of `from` into a new snapshot and fetch its keys. */
static apr_status_t refetch(snapshot_t **psnap, pkce_provider_cache_t *cache,
                            const snapshot_t *from, pkce_err_t *err,
                            apr_int64_t now)
{
    snapshot_t *snap;
    pkce_provider_t *pub;
    apr_status_t rv;

    if ((rv = snapshot_new(&snap)) != APR_SUCCESS) {
        return rv;
    }
    pub = &snap->pub;
    pub->issuer = apr_pstrdup(snap->pool, from->pub.issuer);
    pub->authorization_endpoint = apr_pstrdup(snap->pool, from->pub.authorization_endpoint);
    pub->token_endpoint = apr_pstrdup(snap->pool, from->pub.token_endpoint);
    pub->jwks_uri = apr_pstrdup(snap->pool, from->pub.jwks_uri);
    pub->userinfo_endpoint = from->pub.userinfo_endpoint
        ? apr_pstrdup(snap->pool, from->pub.userinfo_endpoint) : NULL;
    pub->end_session_endpoint = from->pub.end_session_endpoint
        ? apr_pstrdup(snap->pool, from->pub.end_session_endpoint) : NULL;
    pub->iss_parameter_supported = from->pub.iss_parameter_supported;
    pub->fetched_at = from->pub.fetched_at;
    rv = load_jwks(snap, cache, err, now);
    if (rv != APR_SUCCESS) {
        snapshot_destroy(snap);
        return rv;
    }
    *psnap = snap;
    return APR_SUCCESS;
}

apr_status_t pkce_provider_refetch_jwks(pkce_provider_t **pprov,
                                        pkce_provider_cache_t *cache,
                                        pkce_provider_t *prov, pkce_err_t *err,
                                        apr_int64_t now)
{
    snapshot_t *held = (snapshot_t *)prov, *cur, *fresh;
    apr_status_t rv = APR_SUCCESS;

    *pprov = NULL;
    apr_thread_mutex_lock(cache->mutex);
    cur = cache->cur;
    if (cur != held) {
        /* Another thread has installed newer keys meanwhile: use those. */
        unref(held);
        cur->refs++;
        *pprov = &cur->pub;
    }
    else if (now - cur->pub.jwks_fetched_at < cache->opts.jwks_min_interval) {
        *pprov = prov;
        rv = APR_EAGAIN;
    }
    else if ((rv = refetch(&fresh, cache, cur, err, now)) == APR_SUCCESS) {
        install(cache, fresh);
        unref(held);
        fresh->refs++;
        *pprov = &fresh->pub;
    }
    else {
        unref(held);
    }
    apr_thread_mutex_unlock(cache->mutex);
    return rv;
}
