/*
 * pkce.h: definitions shared by every part of libpkce, the httpd-free
 * library behind mod_pkce_auth.
 *
 * Library functions return apr_status_t. When a human needs to know why a
 * call failed, the caller passes a pkce_err_t and the library fills it.
 * The httpd glue decides how to log it. Nothing in src/ logs by itself and
 * nothing in src/ includes an httpd header.
 */
#ifndef PKCE_H
#define PKCE_H

#include <apr_pools.h>
#include <apr_errno.h>

/* Status codes of our own, in the range APR reserves for applications. */
#define PKCE_EINVAL   (APR_OS_START_USERERR + 1)  /* malformed input */
#define PKCE_EVERIFY  (APR_OS_START_USERERR + 2)  /* signature or check failed */
#define PKCE_ENOKEY   (APR_OS_START_USERERR + 3)  /* no usable key found */
#define PKCE_EHTTP    (APR_OS_START_USERERR + 4)  /* outgoing HTTP failed */
#define PKCE_ECRYPTO  (APR_OS_START_USERERR + 5)  /* OpenSSL call failed */
#define PKCE_EEXPIRED (APR_OS_START_USERERR + 6)  /* too old or not yet valid */
#define PKCE_ETOOBIG  (APR_OS_START_USERERR + 7)  /* input over a size limit */

/**
 * Error detail for a human. `reason` is a short machine-readable word
 * ("bad_signature", "iss_mismatch", ...) that tests match on, `text` a
 * sentence for the error log. Neither ever contains a secret.
 */
typedef struct pkce_err_t {
    const char *reason;
    char text[256];
} pkce_err_t;

/**
 * Fill `err` (which may be NULL) with a reason and a printf-style message,
 * and return `rv`, so that a failing step reads `return pkce_err_set(...)`.
 */
apr_status_t pkce_err_set(pkce_err_t *err, apr_status_t rv, const char *reason,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Initialise `err` to "no error". */
void pkce_err_clear(pkce_err_t *err);

#endif /* PKCE_H */
