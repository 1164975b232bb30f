/*
 * test_seal.c: sealing and opening cookie values, tampering, purposes and
 * key rotation.
 */
#include <apr_strings.h>
#include <apr_tables.h>

#include "pkce_seal.h"
#include "tap.h"

#define PASS_A "correct horse battery staple 0123456789"
#define PASS_B "another passphrase that is long enough!!"

static pkce_seal_keys_t *make_keys(apr_pool_t *p, const char *first,
                                   const char *second)
{
    apr_array_header_t *list = apr_array_make(p, 2, sizeof(const char *));
    pkce_seal_keys_t *keys = NULL;

    APR_ARRAY_PUSH(list, const char *) = first;
    if (second != NULL) {
        APR_ARRAY_PUSH(list, const char *) = second;
    }
    pkce_seal_keys_make(&keys, list, NULL, p);
    return keys;
}

TEST(seal_open_round_trip)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *sealed, *plain;
    apr_size_t len;

    CHECK(keys != NULL);
    CHECK(pkce_seal(&sealed, keys, "session", "hello", 5, p) == APR_SUCCESS);
    CHECK(strstr(sealed, "hello") == NULL);
    CHECK(pkce_unseal(&plain, &len, keys, "session", sealed, strlen(sealed), p) == APR_SUCCESS);
    CHECK(len == 5);
    CHECK_STR(plain, "hello");
}

TEST(seal_uses_fresh_iv)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *a, *b;

    pkce_seal(&a, keys, "session", "same", 4, p);
    pkce_seal(&b, keys, "session", "same", 4, p);
    CHECK(strcmp(a, b) != 0);
}

TEST(open_rejects_every_flipped_char)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *sealed, *plain;
    apr_size_t len, i, n;

    pkce_seal(&sealed, keys, "session", "payload to protect", 18, p);
    n = strlen(sealed);
    for (i = 0; i < n; i++) {
        char *copy = apr_pstrdup(p, sealed);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        CHECK(pkce_unseal(&plain, &len, keys, "session", copy, n, p) == PKCE_EVERIFY);
    }
}

TEST(open_rejects_truncated_and_garbage)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *sealed, *plain;
    apr_size_t len, n;

    pkce_seal(&sealed, keys, "session", "payload", 7, p);
    n = strlen(sealed);
    CHECK(pkce_unseal(&plain, &len, keys, "session", sealed, n - 1, p) == PKCE_EVERIFY);
    CHECK(pkce_unseal(&plain, &len, keys, "session", sealed, n / 2, p) == PKCE_EVERIFY);
    CHECK(pkce_unseal(&plain, &len, keys, "session", "", 0, p) == PKCE_EVERIFY);
    CHECK(pkce_unseal(&plain, &len, keys, "session", "c.3", 3, p) == PKCE_EVERIFY);
    CHECK(pkce_unseal(&plain, &len, keys, "session", "!!!!", 4, p) == PKCE_EVERIFY);
    CHECK(plain == NULL);
}

TEST(open_rejects_other_purpose)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *sealed, *plain;
    apr_size_t len;

    pkce_seal(&sealed, keys, "state:abc", "x", 1, p);
    CHECK(pkce_unseal(&plain, &len, keys, "state:abd", sealed, strlen(sealed), p) == PKCE_EVERIFY);
    CHECK(pkce_unseal(&plain, &len, keys, "session", sealed, strlen(sealed), p) == PKCE_EVERIFY);
}

TEST(rotation_old_key_still_opens)
{
    pkce_seal_keys_t *old_keys = make_keys(p, PASS_B, NULL);
    pkce_seal_keys_t *rotated = make_keys(p, PASS_A, PASS_B);
    pkce_seal_keys_t *new_only = make_keys(p, PASS_A, NULL);
    char *sealed, *plain;
    apr_size_t len;

    pkce_seal(&sealed, old_keys, "session", "old", 3, p);
    CHECK(pkce_unseal(&plain, &len, rotated, "session", sealed, strlen(sealed), p) == APR_SUCCESS);
    CHECK_STR(plain, "old");
    CHECK(pkce_unseal(&plain, &len, new_only, "session", sealed, strlen(sealed), p) == PKCE_EVERIFY);
    /* The first passphrase seals. */
    pkce_seal(&sealed, rotated, "session", "new", 3, p);
    CHECK(pkce_unseal(&plain, &len, new_only, "session", sealed, strlen(sealed), p) == APR_SUCCESS);
}

TEST(keys_reject_short_passphrase)
{
    apr_array_header_t *list = apr_array_make(p, 1, sizeof(const char *));
    pkce_seal_keys_t *keys;
    pkce_err_t err;

    APR_ARRAY_PUSH(list, const char *) = "only thirty-one characters long";
    CHECK(pkce_seal_keys_make(&keys, list, &err, p) == PKCE_EINVAL);
    CHECK(keys == NULL);
    list->nelts = 0;
    CHECK(pkce_seal_keys_make(&keys, list, &err, p) == PKCE_EINVAL);
}

TEST(seal_rejects_oversized_plaintext)
{
    pkce_seal_keys_t *keys = make_keys(p, PASS_A, NULL);
    char *big = apr_pcalloc(p, PKCE_SEAL_MAX_PLAIN + 1), *sealed;

    CHECK(pkce_seal(&sealed, keys, "session", big, PKCE_SEAL_MAX_PLAIN + 1, p) == PKCE_ETOOBIG);
    CHECK(pkce_seal(&sealed, keys, "session", big, PKCE_SEAL_MAX_PLAIN, p) == APR_SUCCESS);
}

static const tap_case_t cases[] = {
    TAP_CASE(seal_open_round_trip),
    TAP_CASE(seal_uses_fresh_iv),
    TAP_CASE(open_rejects_every_flipped_char),
    TAP_CASE(open_rejects_truncated_and_garbage),
    TAP_CASE(open_rejects_other_purpose),
    TAP_CASE(rotation_old_key_still_opens),
    TAP_CASE(keys_reject_short_passphrase),
    TAP_CASE(seal_rejects_oversized_plaintext),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
