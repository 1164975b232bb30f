/*
 * pkce_url.c: hostile-input parsing of queries, cookies and redirect
 * targets, and escaping for HTML and URLs.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "pkce_url.h"

int pkce_url_is_local_path(const char *target)
{
    const unsigned char *c;

    if (target == NULL || target[0] != '/') {
        return 0;
    }
    /* "//host" and "/\host" are read by browsers as another origin. */
    if (target[1] == '/' || target[1] == '\\') {
        return 0;
    }
    for (c = (const unsigned char *)target; *c != '\0'; c++) {
        if (*c < 0x20 || *c > 0x7e || *c == '\\') {
            return 0;
        }
    }
    return 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode `len` bytes of form-encoded text. Returns NULL when the encoding
 * is invalid or the result would contain a NUL byte. */
static char *form_decode(const char *text, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (text[i] == '+') {
            *o++ = ' ';
        }
        else if (text[i] == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return NULL;
            }
            hi = hex_value(text[i + 1]);
            lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            *o++ = text[i];
        }
    }
    *o = '\0';
    return out;
}

apr_status_t pkce_query_get(const char **pvalue, const char *query,
                            const char *name, apr_pool_t *p)
{
    const char *pos = query, *found = NULL;
    apr_size_t found_len = 0;

    *pvalue = NULL;
    if (query == NULL) {
        return APR_NOTFOUND;
    }
    if (strlen(query) > PKCE_URL_MAX_INPUT) {
        return PKCE_EINVAL;
    }
    while (*pos != '\0') {
        apr_size_t len = strcspn(pos, "&;");
        const char *eq = memchr(pos, '=', len);
        apr_size_t key_len = eq ? (apr_size_t)(eq - pos) : len;
        char *key = form_decode(pos, key_len, p);

        if (key != NULL && strcmp(key, name) == 0) {
            if (found != NULL) {
                return PKCE_EINVAL;
            }
            found = eq ? eq + 1 : pos + len;
            found_len = eq ? len - key_len - 1 : 0;
        }
        pos += len;
        if (*pos != '\0') {
            pos++;
        }
    }
    if (found == NULL) {
        return APR_NOTFOUND;
    }
    *pvalue = form_decode(found, found_len, p);
    return *pvalue ? APR_SUCCESS : PKCE_EINVAL;
}

char *pkce_url_encode(const char *text, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(text) * 3 + 1), *o = out;
    const unsigned char *c;

    for (c = (const unsigned char *)text; *c != '\0'; c++) {
        if (apr_isalnum(*c) || *c == '-' || *c == '.' || *c == '_'
            || *c == '~') {
            *o++ = (char)*c;
        }
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 0x0f];
        }
    }
    *o = '\0';
    return out;
}

char *pkce_html_escape(const char *text, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(text) * 6 + 1), *o = out;
    const char *c;

    for (c = text; *c != '\0'; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep != NULL) {
            apr_size_t n = strlen(rep);
            memcpy(o, rep, n);
            o += n;
        }
        else {
            *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

void pkce_cookie_each(const char *header, pkce_cookie_cb *cb, void *baton)
{
    const char *pos = header;

    if (header == NULL || strlen(header) > PKCE_URL_MAX_INPUT) {
        return;
    }
    while (*pos != '\0') {
        /* "," too: httpd joins repeated Cookie fields with ", ", and RFC
         * 6265 cookie values never contain a comma. */
        apr_size_t len = strcspn(pos, ";,");
        const char *end = pos + len, *eq;
        const char *name = pos, *name_end, *value, *value_end;

        eq = memchr(pos, '=', len);
        if (eq != NULL) {
            while (name < eq && (*name == ' ' || *name == '\t')) name++;
            name_end = eq;
            while (name_end > name && (name_end[-1] == ' ' || name_end[-1] == '\t')) name_end--;
            value = eq + 1;
            while (value < end && (*value == ' ' || *value == '\t')) value++;
            value_end = end;
            while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) value_end--;
            if (name_end > name
                && !cb(baton, name, (apr_size_t)(name_end - name), value,
                       (apr_size_t)(value_end - value))) {
                return;
            }
        }
        pos = *end ? end + 1 : end;
    }
}

typedef struct cookie_find_t {
    const char *name;
    apr_size_t name_len;
    const char *value;
    apr_size_t value_len;
} cookie_find_t;

static int cookie_find(void *baton, const char *name, apr_size_t name_len,
                       const char *value, apr_size_t value_len)
{
    cookie_find_t *find = baton;

    if (name_len == find->name_len && memcmp(name, find->name, name_len) == 0) {
        find->value = value;
        find->value_len = value_len;
        return 0;
    }
    return 1;
}

const char *pkce_cookie_get(const char *header, const char *name,
                            apr_pool_t *p)
{
    cookie_find_t find = { name, strlen(name), NULL, 0 };

    pkce_cookie_each(header, cookie_find, &find);
    return find.value ? apr_pstrmemdup(p, find.value, find.value_len) : NULL;
}

char *pkce_claim_var_name(const char *prefix, const char *claim,
                          apr_pool_t *p)
{
    char *out = apr_pstrcat(p, prefix, claim, NULL);
    char *c;

    for (c = out + strlen(prefix); *c != '\0'; c++) {
        if (!apr_isalnum(*c) && *c != '-' && *c != '_') {
            *c = '_';
        }
    }
    return out;
}

int pkce_header_has_prefix(const char *name, const char *prefix)
{
    for (; *prefix != '\0'; name++, prefix++) {
        char a = *name, b = *prefix;

        if (a == '\0') {
            return 0;
        }
        if (a == '-') a = '_';
        if (b == '-') b = '_';
        if (apr_tolower(a) != apr_tolower(b)) {
            return 0;
        }
    }
    return 1;
}

apr_status_t pkce_url_check_absolute(const char *url, pkce_err_t *err,
                                     apr_pool_t *p)
{
    apr_uri_t uri;

    if (url == NULL || apr_uri_parse(p, url, &uri) != APR_SUCCESS) {
        return pkce_err_set(err, PKCE_EINVAL, "url", "is not a valid URL");
    }
    if (uri.scheme == NULL
        || (strcmp(uri.scheme, "https") != 0 && strcmp(uri.scheme, "http") != 0)) {
        return pkce_err_set(err, PKCE_EINVAL, "scheme",
                            "must start with https:// (or http://)");
    }
    if (uri.hostname == NULL || uri.hostname[0] == '\0') {
        return pkce_err_set(err, PKCE_EINVAL, "host", "has no host name");
    }
    if (uri.user != NULL || uri.password != NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "userinfo",
                            "must not contain a user name or password");
    }
    if (uri.fragment != NULL || strchr(url, '#') != NULL) {
        return pkce_err_set(err, PKCE_EINVAL, "fragment",
                            "must not contain a fragment (#...)");
    }
    for (; *url != '\0'; url++) {
        if ((unsigned char)*url <= 0x20 || (unsigned char)*url >= 0x7f) {
            return pkce_err_set(err, PKCE_EINVAL, "chars",
                                "contains spaces or control characters");
        }
    }
    return APR_SUCCESS;
}
