/*
 * pkce_err.c: the error detail that library calls hand back to the glue.
 */
#include <stdarg.h>
#include <stdio.h>

#include "pkce.h"

apr_status_t pkce_err_set(pkce_err_t *err, apr_status_t rv, const char *reason,
                          const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return rv;
    }
    err->reason = reason;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return rv;
}

void pkce_err_clear(pkce_err_t *err)
{
    if (err != NULL) {
        err->reason = NULL;
        err->text[0] = '\0';
    }
}
