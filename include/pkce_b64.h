/*
 * pkce_b64.h: base64url without padding (RFC 4648 section 5), as JOSE,
 * PKCE and our cookies use it.
 */
#ifndef PKCE_B64_H
#define PKCE_B64_H

#include "pkce.h"

/**
 * Encode `len` bytes of `data` as base64url without padding.
 * @return a NUL-terminated string allocated from `p`.
 */
char *pkce_b64url_encode(const unsigned char *data, apr_size_t len,
                         apr_pool_t *p);

/**
 * Decode base64url text of `len` characters. Padding ('=') and characters
 * outside the base64url alphabet are rejected, and so are encodings whose
 * unused trailing bits are not zero, so every byte string has exactly one
 * accepted encoding.
 * @param pout    receives the bytes, allocated from `p` with one extra NUL
 *                byte after them so that text can be used as a C string
 * @param poutlen receives the number of decoded bytes
 * @return APR_SUCCESS or PKCE_EINVAL
 */
apr_status_t pkce_b64url_decode(unsigned char **pout, apr_size_t *poutlen,
                                const char *text, apr_size_t len,
                                apr_pool_t *p);

#endif /* PKCE_B64_H */
