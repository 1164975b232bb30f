/*
 * pkce_provider.h: the provider's discovery document and JWKS, fetched on
 * first use and cached per process.
 *
 * The cache hands out immutable snapshots with a reference count. A refresh
 * builds a new snapshot in a pool of its own and swaps it in. The old one
 * is destroyed when its last user releases it, so readers never lock while
 * they verify a token. A failed fetch replaces nothing and no metadata is
 * kept from it, but its error is returned again, without a new fetch, for
 * PKCE_PROVIDER_RETRY_AFTER seconds.
 */
#ifndef PKCE_PROVIDER_H
#define PKCE_PROVIDER_H

#include "pkce.h"
#include "pkce_http.h"
#include "pkce_jose.h"

/** Seconds after a failed fetch during which requests get that failure
 *  again instead of a new fetch. */
#define PKCE_PROVIDER_RETRY_AFTER 5

/** Largest discovery document or JWKS accepted, in bytes. */
#define PKCE_PROVIDER_MAX_DOC (512 * 1024)

/** One consistent view of the provider's metadata and keys. */
typedef struct pkce_provider_t {
    const char *issuer;
    const char *authorization_endpoint;
    const char *token_endpoint;
    const char *jwks_uri;
    const char *userinfo_endpoint;     /* NULL when not advertised */
    const char *end_session_endpoint;  /* NULL when not advertised */
    int iss_parameter_supported;       /* authorization_response_iss_parameter_supported */
    pkce_jwks_t *jwks;
    apr_int64_t fetched_at;       /* discovery and JWKS, in seconds */
    apr_int64_t jwks_fetched_at;  /* JWKS alone, in seconds */
} pkce_provider_t;

/** Settings of a cache. */
typedef struct pkce_provider_opts_t {
    const char *issuer;             /* exactly as configured */
    apr_int64_t refresh;            /* seconds before metadata is refetched */
    apr_int64_t jwks_min_interval;  /* seconds between JWKS fetches for an unknown kid */
} pkce_provider_opts_t;

typedef struct pkce_provider_cache_t pkce_provider_cache_t;

/**
 * Create an empty cache that fetches through `http`. Lives as long as `p`.
 */
apr_status_t pkce_provider_cache_create(pkce_provider_cache_t **pcache,
                                        const pkce_provider_opts_t *opts,
                                        pkce_http_t *http, apr_pool_t *p);

/**
 * Return the discovery URL of `issuer`: the issuer without its trailing
 * "/" followed by "/.well-known/openid-configuration" (OpenID Connect
 * Discovery 1.0 section 4).
 */
char *pkce_provider_discovery_url(const char *issuer, apr_pool_t *p);

/**
 * Parse a discovery document and check that its "issuer" equals `issuer`
 * exactly and that it names the endpoints the code flow needs.
 * @param pprov receives the snapshot without keys, allocated from `p`
 */
apr_status_t pkce_provider_parse_discovery(pkce_provider_t **pprov,
                                           const char *json, apr_size_t len,
                                           const char *issuer, pkce_err_t *err,
                                           apr_pool_t *p);

/**
 * Get a reference to the current snapshot, fetching discovery and JWKS
 * first when there is none or it is older than the refresh interval. When a
 * refresh fails but an older snapshot exists, the older one is returned and
 * `*pstale_err` (if not NULL) is set to 1 so the caller can log the failure.
 * For PKCE_PROVIDER_RETRY_AFTER seconds after a failed fetch, the failure
 * is returned again without a new fetch; no metadata is kept from it.
 * Pair every successful call with pkce_provider_release().
 * @return APR_SUCCESS, or PKCE_EHTTP / PKCE_EINVAL / PKCE_ETOOBIG with the
 *         failing URL and reason in `err`
 */
apr_status_t pkce_provider_acquire(pkce_provider_t **pprov,
                                   pkce_provider_cache_t *cache,
                                   int *pstale_err, pkce_err_t *err,
                                   apr_int64_t now);

/**
 * Release `prov` and fetch the JWKS again, because a token named a key the
 * cached set lacks. Fetches only when the last JWKS fetch is at least
 * `jwks_min_interval` seconds old; otherwise returns the current snapshot.
 * @param pprov receives a reference to the new (or current) snapshot
 * @return APR_SUCCESS; APR_EAGAIN when refetching was too soon (a reference
 *         is still returned); or a fetch error, with no reference returned
 */
apr_status_t pkce_provider_refetch_jwks(pkce_provider_t **pprov,
                                        pkce_provider_cache_t *cache,
                                        pkce_provider_t *prov, pkce_err_t *err,
                                        apr_int64_t now);

/** Drop a reference taken by pkce_provider_acquire(). */
void pkce_provider_release(pkce_provider_cache_t *cache, pkce_provider_t *prov);

#endif /* PKCE_PROVIDER_H */
