/*
 * pkce_seal.h: the one sealing code path for every cookie the module sets.
 *
 * A sealed value is base64url of
 *     version (1 byte, 0x01) | key id (4) | IV (12) | ciphertext | tag (16)
 * made with AES-256-GCM. The key is derived from a passphrase with
 * HKDF-SHA256. The version byte, the key id and a caller-chosen purpose
 * string are authenticated as additional data, so a value sealed for one
 * purpose (say the state cookie of one login) does not open as another.
 */
#ifndef PKCE_SEAL_H
#define PKCE_SEAL_H

#include <apr_tables.h>

#include "pkce.h"

#define PKCE_SEAL_VERSION 0x01
/** Minimum passphrase length, in characters. */
#define PKCE_SEAL_MIN_PASSPHRASE 32
/** Largest plaintext accepted, in bytes. */
#define PKCE_SEAL_MAX_PLAIN (64 * 1024)

/** The keys derived from the configured passphrases; the first seals. */
typedef struct pkce_seal_keys_t pkce_seal_keys_t;

/**
 * Derive one key per passphrase.
 * @param passphrases array of const char *, at least one, each at least
 *                    PKCE_SEAL_MIN_PASSPHRASE characters
 * @param pkeys       receives the keys, allocated from `p`; the key bytes
 *                    are wiped when `p` is cleared or destroyed
 * @return APR_SUCCESS, PKCE_EINVAL for a missing or short passphrase, or
 *         PKCE_ECRYPTO
 */
apr_status_t pkce_seal_keys_make(pkce_seal_keys_t **pkeys,
                                 const apr_array_header_t *passphrases,
                                 pkce_err_t *err, apr_pool_t *p);

/**
 * Encrypt and authenticate `len` bytes of `plain` with the first key,
 * bound to `purpose`, with a fresh random IV.
 * @return APR_SUCCESS with base64url text in `*psealed`, PKCE_ETOOBIG, or
 *         PKCE_ECRYPTO
 */
apr_status_t pkce_seal(char **psealed, const pkce_seal_keys_t *keys,
                       const char *purpose, const void *plain, apr_size_t len,
                       apr_pool_t *p);

/**
 * Open a value made by pkce_seal() with any of the keys (key rotation).
 * @param pplain receives the plaintext followed by a NUL byte
 * @return APR_SUCCESS, or PKCE_EVERIFY when the value is malformed, was
 *         sealed with an unknown key or for another purpose, or was altered
 */
apr_status_t pkce_unseal(char **pplain, apr_size_t *plen,
                         const pkce_seal_keys_t *keys, const char *purpose,
                         const char *sealed, apr_size_t sealed_len,
                         apr_pool_t *p);

#endif /* PKCE_SEAL_H */
