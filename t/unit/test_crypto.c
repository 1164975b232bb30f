/*
 * test_crypto.c: PKCE verifier and challenge, random values, constant-time
 * comparison, and the login state.
 */
#include "pkce_crypto.h"
#include "pkce_state.h"
#include "tap.h"

/* RFC 7636 Appendix B. */
TEST(challenge_rfc7636_appendix_b)
{
    char *challenge;

    CHECK(pkce_challenge_s256(&challenge,
                              "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                              p) == APR_SUCCESS);
    CHECK_STR(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(verifier_length_bounds)
{
    char v[130];

    memset(v, 'a', sizeof(v));
    v[42] = '\0';
    CHECK(!pkce_verifier_is_valid(v));
    v[42] = 'a'; v[43] = '\0';
    CHECK(pkce_verifier_is_valid(v));
    v[43] = 'a'; v[128] = '\0';
    CHECK(pkce_verifier_is_valid(v));
    v[128] = 'a'; v[129] = '\0';
    CHECK(!pkce_verifier_is_valid(v));
    CHECK(!pkce_verifier_is_valid(NULL));
}

TEST(verifier_charset_unreserved_only)
{
    char v[44];
    const char *bad = "+/= %!\"\x01\x80";
    const char *good = "-._~Az09";
    char *challenge;
    int i;

    for (i = 0; bad[i] != '\0'; i++) {
        memset(v, 'a', 43);
        v[43] = '\0';
        v[20] = bad[i];
        CHECK(!pkce_verifier_is_valid(v));
        CHECK(pkce_challenge_s256(&challenge, v, p) == PKCE_EINVAL);
    }
    for (i = 0; good[i] != '\0'; i++) {
        memset(v, 'a', 43);
        v[43] = '\0';
        v[20] = good[i];
        CHECK(pkce_verifier_is_valid(v));
    }
}

TEST(random_values_are_fresh_and_long)
{
    char *a, *b;

    CHECK(pkce_random_b64url(&a, PKCE_RANDOM_BYTES, p) == APR_SUCCESS);
    CHECK(pkce_random_b64url(&b, PKCE_RANDOM_BYTES, p) == APR_SUCCESS);
    CHECK(strlen(a) == 43);
    CHECK(strcmp(a, b) != 0);
    CHECK(pkce_verifier_is_valid(a));
    CHECK(pkce_random_b64url(&a, 0, p) == PKCE_EINVAL);
    CHECK(pkce_random_b64url(&a, 4096, p) == PKCE_EINVAL);
}

TEST(equal_ct_null_fails_closed)
{
    CHECK(pkce_str_equal_ct("abc", "abc"));
    CHECK(!pkce_str_equal_ct("abc", "abd"));
    CHECK(!pkce_str_equal_ct("abc", "abcd"));
    CHECK(!pkce_str_equal_ct(NULL, "abc"));
    CHECK(!pkce_str_equal_ct("abc", NULL));
    CHECK(!pkce_str_equal_ct(NULL, NULL));
}

TEST(login_round_trip)
{
    pkce_login_t *login, *back;
    char *text;

    CHECK(pkce_login_new(&login, "/app/page?x=1", 1000, p) == APR_SUCCESS);
    CHECK(strlen(login->state) == 43);
    CHECK(strlen(login->nonce) == 43);
    CHECK(pkce_verifier_is_valid(login->verifier));
    CHECK(strcmp(login->state, login->nonce) != 0);
    text = pkce_login_encode(login, p);
    CHECK(text != NULL);
    CHECK(pkce_login_decode(&back, text, strlen(text), login->state, 1100, 300, p) == APR_SUCCESS);
    CHECK_STR(back->nonce, login->nonce);
    CHECK_STR(back->verifier, login->verifier);
    CHECK_STR(back->return_to, "/app/page?x=1");
}

TEST(login_bound_to_its_state)
{
    pkce_login_t *login, *other, *back;
    char *text;

    pkce_login_new(&login, "/", 1000, p);
    pkce_login_new(&other, "/", 1000, p);
    text = pkce_login_encode(login, p);
    CHECK(pkce_login_decode(&back, text, strlen(text), other->state, 1000, 300, p) == PKCE_EINVAL);
    CHECK(back == NULL);
}

TEST(login_expires_after_timeout)
{
    pkce_login_t *login, *back;
    char *text;

    pkce_login_new(&login, "/", 1000, p);
    text = pkce_login_encode(login, p);
    CHECK(pkce_login_decode(&back, text, strlen(text), login->state, 1300, 300, p) == APR_SUCCESS);
    CHECK(pkce_login_decode(&back, text, strlen(text), login->state, 1301, 300, p) == PKCE_EEXPIRED);
    /* Created far in the future: a forged or broken clock. */
    CHECK(pkce_login_decode(&back, text, strlen(text), login->state, 100, 300, p) == PKCE_EEXPIRED);
}

TEST(login_unsafe_return_becomes_root)
{
    pkce_login_t *login;

    pkce_login_new(&login, "//evil.example/", 1000, p);
    CHECK_STR(login->return_to, "/");
    pkce_login_new(&login, "https://evil.example/", 1000, p);
    CHECK_STR(login->return_to, "/");
    pkce_login_new(&login, NULL, 1000, p);
    CHECK_STR(login->return_to, "/");
}

TEST(login_decode_rejects_bad_json)
{
    static const char *const bad[] = {
        "", "{", "[]", "{\"state\":1}",
        "{\"state\":\"s\",\"nonce\":\"n\",\"verifier\":\"short\",\"return_to\":\"/\",\"created\":1000}",
        "{\"state\":\"s\",\"nonce\":\"n\",\"verifier\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"return_to\":\"//x\",\"created\":1000}",
    };
    pkce_login_t *back;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(pkce_login_decode(&back, bad[i], strlen(bad[i]), "s", 1000, 300, p) == PKCE_EINVAL);
    }
}

static const tap_case_t cases[] = {
    TAP_CASE(challenge_rfc7636_appendix_b),
    TAP_CASE(verifier_length_bounds),
    TAP_CASE(verifier_charset_unreserved_only),
    TAP_CASE(random_values_are_fresh_and_long),
    TAP_CASE(equal_ct_null_fails_closed),
    TAP_CASE(login_round_trip),
    TAP_CASE(login_bound_to_its_state),
    TAP_CASE(login_expires_after_timeout),
    TAP_CASE(login_unsafe_return_becomes_root),
    TAP_CASE(login_decode_rejects_bad_json),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
