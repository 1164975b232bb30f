/*
 * pkce_http.h: outgoing HTTP to the OpenID provider through libcurl.
 *
 * One client exists per process. Its requests share one connection cache,
 * so the TLS connections to the provider are reused across requests and
 * threads. Every request is bounded in time and response size, follows no
 * redirect, speaks only http and https, and verifies the peer and host
 * name of TLS connections.
 */
#ifndef PKCE_HTTP_H
#define PKCE_HTTP_H

#include "pkce.h"

/** Settings of a client. */
typedef struct pkce_http_opts_t {
    long timeout_ms;          /* whole request, connect included */
    long connect_timeout_ms;  /* TCP and TLS connect */
    const char *ca_file;      /* CA bundle; NULL uses the system's */
    apr_size_t max_response;  /* larger bodies fail the request */
} pkce_http_opts_t;

typedef struct pkce_http_t pkce_http_t;

/** A response; `body` is NUL-terminated. */
typedef struct pkce_http_response_t {
    long status;
    const char *content_type;  /* NULL when absent */
    const char *body;
    apr_size_t body_len;
    double seconds;            /* total time taken */
} pkce_http_response_t;

/**
 * Call curl_global_init(). Call once per process before any thread exists
 * (httpd: in post_config).
 */
apr_status_t pkce_http_global_init(void);

/**
 * Create a client whose connection cache lives until `p` is destroyed.
 * @return APR_SUCCESS or PKCE_EHTTP
 */
apr_status_t pkce_http_create(pkce_http_t **phttp, const pkce_http_opts_t *opts,
                              apr_pool_t *p);

/**
 * GET `url`. Any completed exchange succeeds, whatever its HTTP status.
 * @return APR_SUCCESS, or PKCE_EHTTP (connect failure, time-out, TLS
 *         failure) or PKCE_ETOOBIG with the reason in `err`
 */
apr_status_t pkce_http_get(pkce_http_response_t **presp, pkce_http_t *http,
                           const char *url, pkce_err_t *err, apr_pool_t *p);

/**
 * POST the form-encoded `body` to `url`. With `basic_user` set, send HTTP
 * Basic authentication with `basic_user` and `basic_password`, each
 * form-encoded first as RFC 6749 section 2.3.1 requires.
 * @return as pkce_http_get()
 */
apr_status_t pkce_http_post_form(pkce_http_response_t **presp,
                                 pkce_http_t *http, const char *url,
                                 const char *body, const char *basic_user,
                                 const char *basic_password, pkce_err_t *err,
                                 apr_pool_t *p);

#endif /* PKCE_HTTP_H */
