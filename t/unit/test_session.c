/*
 * test_session.c: the session's serialized form, and the parsing of the
 * provider's discovery document.
 */
#include "pkce_provider.h"
#include "pkce_session.h"
#include "tap.h"

static pkce_session_t *sample(apr_pool_t *p)
{
    pkce_session_t *s = apr_pcalloc(p, sizeof(*s));

    s->sub = "auth0|123";
    s->user = "alice@example.com";
    s->iss = "https://tenant.auth0.com/";
    s->created = 1000;
    s->expires = 2000;
    s->claims = pkce_json_pool_own(json_pack("{s:s, s:[s,s]}", "email",
                                             "alice@example.com",
                                             "https://example.com/roles",
                                             "admin", "dev"), p);
    return s;
}

TEST(session_round_trip)
{
    pkce_session_t *back;
    char *text = pkce_session_encode(sample(p), p);

    CHECK(text != NULL);
    CHECK(pkce_session_decode(&back, text, strlen(text), 1500, p) == APR_SUCCESS);
    CHECK_STR(back->sub, "auth0|123");
    CHECK_STR(back->user, "alice@example.com");
    CHECK_STR(back->iss, "https://tenant.auth0.com/");
    CHECK(back->created == 1000);
    CHECK(back->expires == 2000);
    CHECK_STR(json_string_value(json_object_get(back->claims, "email")),
              "alice@example.com");
}

TEST(session_expired_at_expiry)
{
    pkce_session_t *back;
    char *text = pkce_session_encode(sample(p), p);

    CHECK(pkce_session_decode(&back, text, strlen(text), 1999, p) == APR_SUCCESS);
    CHECK(pkce_session_decode(&back, text, strlen(text), 2000, p) == PKCE_EEXPIRED);
    CHECK(back == NULL);
}

TEST(session_rejects_malformed)
{
    static const char *const bad[] = {
        "", "null", "[]", "{}",
        "{\"v\":2,\"sub\":\"s\",\"user\":\"u\",\"iss\":\"i\",\"iat\":1,\"exp\":9999,\"claims\":{}}",
        "{\"v\":1,\"sub\":1,\"user\":\"u\",\"iss\":\"i\",\"iat\":1,\"exp\":9999,\"claims\":{}}",
        "{\"v\":1,\"sub\":\"s\",\"user\":\"u\",\"iss\":\"i\",\"iat\":1,\"exp\":9999,\"claims\":[]}",
        "{\"v\":1,\"sub\":\"s\",\"user\":\"u\",\"iss\":\"i\",\"iat\":1,\"exp\":\"9999\",\"claims\":{}}",
        "{\"v\":1,\"v\":1,\"sub\":\"s\",\"user\":\"u\",\"iss\":\"i\",\"iat\":1,\"exp\":9999,\"claims\":{}}",
    };
    pkce_session_t *back;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pkce_session_decode(&back, bad[i], strlen(bad[i]), 1500, p) != PKCE_EINVAL) {
            printf("#   accepted: case %u\n", (unsigned)i);
            *failed = 1;
        }
    }
}

TEST(discovery_url_keeps_issuer_path)
{
    CHECK_STR(pkce_provider_discovery_url("https://tenant.auth0.com/", p),
              "https://tenant.auth0.com/.well-known/openid-configuration");
    CHECK_STR(pkce_provider_discovery_url("https://okta.example/oauth2/default", p),
              "https://okta.example/oauth2/default/.well-known/openid-configuration");
    CHECK_STR(pkce_provider_discovery_url("http://127.0.0.1:9400", p),
              "http://127.0.0.1:9400/.well-known/openid-configuration");
}

#define DOC(iss) \
    "{\"issuer\":\"" iss "\",\"authorization_endpoint\":\"https://op/auth\"," \
    "\"token_endpoint\":\"https://op/token\",\"jwks_uri\":\"https://op/jwks\"}"

TEST(discovery_issuer_must_match_exactly)
{
    pkce_provider_t *prov;
    pkce_err_t err;
    const char *doc = DOC("https://tenant.auth0.com/");

    CHECK(pkce_provider_parse_discovery(&prov, doc, strlen(doc),
                                        "https://tenant.auth0.com/", &err, p) == APR_SUCCESS);
    CHECK_STR(prov->token_endpoint, "https://op/token");
    CHECK(prov->end_session_endpoint == NULL);
    CHECK(pkce_provider_parse_discovery(&prov, doc, strlen(doc),
                                        "https://tenant.auth0.com", &err, p) == PKCE_EINVAL);
    CHECK_STR(err.reason, "issuer_mismatch");
    CHECK(pkce_provider_parse_discovery(&prov, doc, strlen(doc),
                                        "https://evil.example/", &err, p) == PKCE_EINVAL);
    CHECK(prov == NULL);
}

TEST(discovery_reads_iss_parameter_support)
{
    pkce_provider_t *prov;
    pkce_err_t err;
    const char *with = "{\"issuer\":\"https://i/\",\"authorization_endpoint\":\"https://op/a\","
        "\"token_endpoint\":\"https://op/t\",\"jwks_uri\":\"https://op/j\","
        "\"authorization_response_iss_parameter_supported\":true}";
    const char *without = DOC("https://i/");

    CHECK(pkce_provider_parse_discovery(&prov, with, strlen(with), "https://i/", &err, p) == APR_SUCCESS);
    CHECK(prov->iss_parameter_supported == 1);
    CHECK(pkce_provider_parse_discovery(&prov, without, strlen(without), "https://i/", &err, p) == APR_SUCCESS);
    CHECK(prov->iss_parameter_supported == 0);
}

TEST(discovery_rejects_bad_documents)
{
    static const char *const bad[] = {
        "", "[]", "not json",
        "{\"issuer\":\"https://i/\"}",
        "{\"issuer\":\"https://i/\",\"authorization_endpoint\":\"javascript:x\","
        "\"token_endpoint\":\"https://op/token\",\"jwks_uri\":\"https://op/jwks\"}",
        "{\"issuer\":\"https://i/\",\"authorization_endpoint\":\"https://op/a\","
        "\"token_endpoint\":7,\"jwks_uri\":\"https://op/jwks\"}",
    };
    pkce_provider_t *prov;
    pkce_err_t err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pkce_provider_parse_discovery(&prov, bad[i], strlen(bad[i]),
                                          "https://i/", &err, p) != PKCE_EINVAL) {
            printf("#   accepted: case %u\n", (unsigned)i);
            *failed = 1;
        }
    }
}

static const tap_case_t cases[] = {
    TAP_CASE(session_round_trip),
    TAP_CASE(session_expired_at_expiry),
    TAP_CASE(session_rejects_malformed),
    TAP_CASE(discovery_url_keeps_issuer_path),
    TAP_CASE(discovery_issuer_must_match_exactly),
    TAP_CASE(discovery_reads_iss_parameter_support),
    TAP_CASE(discovery_rejects_bad_documents),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
