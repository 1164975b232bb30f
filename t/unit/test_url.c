/*
 * test_url.c: redirect-target checks, query and cookie parsing, escaping
 * and header-name handling, with hostile inputs.
 */
#include "pkce_url.h"
#include "tap.h"

TEST(local_path_accepts_plain_paths)
{
    static const char *const good[] = {
        "/", "/app", "/app/", "/app/page?x=1&y=2", "/app//evil.example/",
        "/a/b/../c", "/%2F%2Fevil.example", "/app#frag",
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK(pkce_url_is_local_path(good[i]));
    }
}

/* Targets that browsers would resolve to another origin, or that are not
 * paths at all. */
TEST(local_path_rejects_hostile_targets)
{
    static const char *const bad[] = {
        "", "app", "//evil.example", "//evil.example/app", "/\\evil.example",
        "\\\\evil.example", "/app\\..\\..\\evil", "https://evil.example/",
        "http:/evil.example", "javascript:alert(1)", "/\t/evil.example",
        "/app\r\nSet-Cookie: x=1", "/app\n", "/app\x7f", "/app\x01",
        "/caf\xc3\xa9", " /app", "///evil.example",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pkce_url_is_local_path(bad[i])) {
            printf("#   accepted: case %u\n", (unsigned)i);
            *failed = 1;
        }
    }
    CHECK(!pkce_url_is_local_path(NULL));
}

TEST(query_get_finds_and_decodes)
{
    const char *v;

    CHECK(pkce_query_get(&v, "code=abc&state=x%2By+z", "state", p) == APR_SUCCESS);
    CHECK_STR(v, "x+y z");
    CHECK(pkce_query_get(&v, "code=abc&state=1", "code", p) == APR_SUCCESS);
    CHECK_STR(v, "abc");
    CHECK(pkce_query_get(&v, "code=&x=1", "code", p) == APR_SUCCESS);
    CHECK_STR(v, "");
    CHECK(pkce_query_get(&v, "code&x=1", "code", p) == APR_SUCCESS);
    CHECK_STR(v, "");
    CHECK(pkce_query_get(&v, "st%61te=1", "state", p) == APR_SUCCESS);
}

TEST(query_get_absent_is_notfound)
{
    const char *v;

    CHECK(pkce_query_get(&v, "code=1", "state", p) == APR_NOTFOUND);
    CHECK(pkce_query_get(&v, "", "state", p) == APR_NOTFOUND);
    CHECK(pkce_query_get(&v, NULL, "state", p) == APR_NOTFOUND);
    CHECK(pkce_query_get(&v, "states=1&xstate=2", "state", p) == APR_NOTFOUND);
}

TEST(query_get_rejects_duplicates)
{
    const char *v;

    CHECK(pkce_query_get(&v, "state=a&state=b", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=a&state=a", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=a;state=b", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=a&st%61te=b", "state", p) == PKCE_EINVAL);
    CHECK(v == NULL);
}

TEST(query_get_rejects_bad_encoding)
{
    const char *v;

    CHECK(pkce_query_get(&v, "state=%", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=%4", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=%zz", "state", p) == PKCE_EINVAL);
    CHECK(pkce_query_get(&v, "state=a%00b", "state", p) == PKCE_EINVAL);
}

TEST(query_get_rejects_huge_query)
{
    char *big = apr_palloc(p, PKCE_URL_MAX_INPUT + 10);
    const char *v;

    memset(big, 'a', PKCE_URL_MAX_INPUT + 9);
    memcpy(big, "state=", 6);
    big[PKCE_URL_MAX_INPUT + 9] = '\0';
    CHECK(pkce_query_get(&v, big, "state", p) == PKCE_EINVAL);
}

TEST(url_encode_reserved_chars)
{
    CHECK_STR(pkce_url_encode("http://x/cb?a=b c&d", p),
              "http%3A%2F%2Fx%2Fcb%3Fa%3Db%20c%26d");
    CHECK_STR(pkce_url_encode("AZaz09-._~", p), "AZaz09-._~");
    CHECK_STR(pkce_url_encode("\xc3\xa9", p), "%C3%A9");
}

TEST(html_escape_markup)
{
    CHECK_STR(pkce_html_escape("<script>alert('x')</script> & \"q\"", p),
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    CHECK_STR(pkce_html_escape("plain", p), "plain");
}

TEST(cookie_get_by_exact_name)
{
    const char *h = "a=1; pkce_session=SEALED; pkce_session_1=c1 ;x = y ";

    CHECK_STR(pkce_cookie_get(h, "pkce_session", p), "SEALED");
    CHECK_STR(pkce_cookie_get(h, "pkce_session_1", p), "c1");
    CHECK_STR(pkce_cookie_get(h, "x", p), "y");
    CHECK(pkce_cookie_get(h, "pkce", p) == NULL);
    CHECK(pkce_cookie_get(h, "session", p) == NULL);
    CHECK(pkce_cookie_get(NULL, "a", p) == NULL);
    CHECK(pkce_cookie_get("novalue; =x; ;;", "novalue", p) == NULL);
    /* The first of two cookies with one name wins. */
    CHECK_STR(pkce_cookie_get("a=1; a=2", "a", p), "1");
}

/* httpd joins repeated Cookie header fields with ", ". */
TEST(cookie_get_across_joined_fields)
{
    const char *h = "a=1, pkce_session=SEALED; b=2, c=3";

    CHECK_STR(pkce_cookie_get(h, "pkce_session", p), "SEALED");
    CHECK_STR(pkce_cookie_get(h, "a", p), "1");
    CHECK_STR(pkce_cookie_get(h, "b", p), "2");
    CHECK_STR(pkce_cookie_get(h, "c", p), "3");
}

TEST(claim_var_name_sanitised)
{
    CHECK_STR(pkce_claim_var_name("OIDC_CLAIM_", "email", p), "OIDC_CLAIM_email");
    CHECK_STR(pkce_claim_var_name("OIDC_CLAIM_", "https://example.com/roles", p),
              "OIDC_CLAIM_https___example_com_roles");
    CHECK_STR(pkce_claim_var_name("X-", "a b\r\nc:d", p), "X-a_b__c_d");
}

TEST(header_prefix_ignores_case_and_dash)
{
    CHECK(pkce_header_has_prefix("OIDC_CLAIM_email", "OIDC_CLAIM_"));
    CHECK(pkce_header_has_prefix("oidc-claim-email", "OIDC_CLAIM_"));
    CHECK(pkce_header_has_prefix("Oidc_Claim-EMAIL", "OIDC_CLAIM_"));
    CHECK(pkce_header_has_prefix("OIDC_CLAIM_", "OIDC_CLAIM_"));
    CHECK(!pkce_header_has_prefix("OIDC_CLAIMS", "OIDC_CLAIM_"));
    CHECK(!pkce_header_has_prefix("OIDC", "OIDC_CLAIM_"));
    CHECK(!pkce_header_has_prefix("X-OIDC_CLAIM_email", "OIDC_CLAIM_"));
}

TEST(absolute_url_checks)
{
    pkce_err_t err;

    CHECK(pkce_url_check_absolute("https://tenant.auth0.com/", &err, p) == APR_SUCCESS);
    CHECK(pkce_url_check_absolute("http://127.0.0.1:9400", &err, p) == APR_SUCCESS);
    CHECK(pkce_url_check_absolute("https://okta.example/oauth2/default", &err, p) == APR_SUCCESS);
    CHECK(pkce_url_check_absolute("ftp://x/", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute("/callback", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute("https:///nohost", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute("https://u:p@host/", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute("https://host/#frag", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute("https://host/a b", &err, p) == PKCE_EINVAL);
    CHECK(pkce_url_check_absolute(NULL, &err, p) == PKCE_EINVAL);
}

static const tap_case_t cases[] = {
    TAP_CASE(local_path_accepts_plain_paths),
    TAP_CASE(local_path_rejects_hostile_targets),
    TAP_CASE(query_get_finds_and_decodes),
    TAP_CASE(query_get_absent_is_notfound),
    TAP_CASE(query_get_rejects_duplicates),
    TAP_CASE(query_get_rejects_bad_encoding),
    TAP_CASE(query_get_rejects_huge_query),
    TAP_CASE(url_encode_reserved_chars),
    TAP_CASE(html_escape_markup),
    TAP_CASE(cookie_get_by_exact_name),
    TAP_CASE(cookie_get_across_joined_fields),
    TAP_CASE(claim_var_name_sanitised),
    TAP_CASE(header_prefix_ignores_case_and_dash),
    TAP_CASE(absolute_url_checks),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
