/*
 * pkce_url.h: parsing and checking of the URL parts, query strings, cookie
 * headers and names that arrive from the network, and escaping of what goes
 * back out.
 */
#ifndef PKCE_URL_H
#define PKCE_URL_H

#include "pkce.h"

/** Largest query string or Cookie header parsed, in bytes. */
#define PKCE_URL_MAX_INPUT (16 * 1024)

/**
 * Check that `target` is safe as the Location of a redirect after login: a
 * path on the same origin. It must start with exactly one "/", followed by
 * anything but "/" or "\", and contain no backslash, no control character
 * (bytes below 0x20 and 0x7f, which browsers strip or reject) and no byte
 * above 0x7e.
 * @return 1 when safe, 0 otherwise
 */
int pkce_url_is_local_path(const char *target);

/**
 * Find parameter `name` in an application/x-www-form-urlencoded query
 * string and decode its value ("+" is a space, %XX an octet).
 * @param pvalue receives the decoded value, allocated from `p`
 * @return APR_SUCCESS; APR_NOTFOUND when absent; PKCE_EINVAL when the
 *         parameter occurs more than once, the percent-encoding is invalid,
 *         the value decodes to a NUL byte, or the query is over
 *         PKCE_URL_MAX_INPUT
 */
apr_status_t pkce_query_get(const char **pvalue, const char *query,
                            const char *name, apr_pool_t *p);

/** Percent-encode everything but the unreserved characters of RFC 3986. */
char *pkce_url_encode(const char *text, apr_pool_t *p);

/** Escape &, <, >, " and ' for HTML text and attribute values. */
char *pkce_html_escape(const char *text, apr_pool_t *p);

/** Called for each cookie of a Cookie header; return 0 to stop early. */
typedef int pkce_cookie_cb(void *baton, const char *name, apr_size_t name_len,
                           const char *value, apr_size_t value_len);

/**
 * Call `cb` for each "name=value" pair of a Cookie header (RFC 6265
 * section 5.4), in order. Pairs are separated by ";" or by the "," with
 * which httpd joins repeated header fields. Pairs without "=" are skipped.
 * Surrounding spaces are trimmed; values are passed as they are.
 */
void pkce_cookie_each(const char *header, pkce_cookie_cb *cb, void *baton);

/**
 * Return the value of the first cookie called `name` in a Cookie header,
 * allocated from `p`, or NULL when it is absent.
 */
const char *pkce_cookie_get(const char *header, const char *name,
                            apr_pool_t *p);

/**
 * Turn a claim name into a header or variable name: `prefix` followed by
 * `claim` with each character outside [A-Za-z0-9_-] replaced by "_".
 */
char *pkce_claim_var_name(const char *prefix, const char *claim,
                          apr_pool_t *p);

/**
 * Tell whether header `name` starts with `prefix`, comparing letters
 * without case and treating "-" and "_" as the same character, so that a
 * client cannot slip a forged claim header past the filter.
 * @return 1 when it does, 0 otherwise
 */
int pkce_header_has_prefix(const char *name, const char *prefix);

/**
 * Check that `url` is an absolute http or https URL with a host, no user
 * information and no fragment.
 * @return APR_SUCCESS or PKCE_EINVAL with the reason in `err`
 */
apr_status_t pkce_url_check_absolute(const char *url, pkce_err_t *err,
                                     apr_pool_t *p);

#endif /* PKCE_URL_H */
