/*
 * pkce_b64.c: base64url without padding (RFC 4648 section 5).
 */
#include <string.h>

#include "pkce_b64.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *pkce_b64url_encode(const unsigned char *data, apr_size_t len,
                         apr_pool_t *p)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    char *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        apr_uint32_t v = ((apr_uint32_t)data[i] << 16)
                         | ((apr_uint32_t)data[i + 1] << 8) | data[i + 2];
        *o++ = b64url_alphabet[(v >> 18) & 0x3f];
        *o++ = b64url_alphabet[(v >> 12) & 0x3f];
        *o++ = b64url_alphabet[(v >> 6) & 0x3f];
        *o++ = b64url_alphabet[v & 0x3f];
    }
    if (len - i == 1) {
        apr_uint32_t v = (apr_uint32_t)data[i] << 16;
        *o++ = b64url_alphabet[(v >> 18) & 0x3f];
        *o++ = b64url_alphabet[(v >> 12) & 0x3f];
    }
    else if (len - i == 2) {
        apr_uint32_t v = ((apr_uint32_t)data[i] << 16)
                         | ((apr_uint32_t)data[i + 1] << 8);
        *o++ = b64url_alphabet[(v >> 18) & 0x3f];
        *o++ = b64url_alphabet[(v >> 12) & 0x3f];
        *o++ = b64url_alphabet[(v >> 6) & 0x3f];
    }
    *o = '\0';
    return out;
}

/* Return the 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

apr_status_t pkce_b64url_decode(unsigned char **pout, apr_size_t *poutlen,
                                const char *text, apr_size_t len,
                                apr_pool_t *p)
{
    unsigned char *out;
    apr_size_t i, n = 0;
    apr_uint32_t acc = 0;
    int bits = 0;

    *pout = NULL;
    *poutlen = 0;
    /* One leftover character carries only 6 bits, less than a byte. */
    if (len % 4 == 1) {
        return PKCE_EINVAL;
    }
    out = apr_palloc(p, len / 4 * 3 + 3);
    for (i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)text[i]);
        if (v < 0) {
            return PKCE_EINVAL;
        }
        acc = (acc << 6) | (apr_uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Leftover bits must be zero (RFC 4648 section 3.5, canonical form). */
    if (acc != 0) {
        return PKCE_EINVAL;
    }
    out[n] = '\0';
    *pout = out;
    *poutlen = n;
    return APR_SUCCESS;
}
