/*
 * test_claims.c: ID token claim checks at their boundaries, and the
 * rendering of claims as text.
 */
#include <limits.h>
#include <string.h>

#include "pkce_claims.h"
#include "tap.h"

#define ISSUER    "https://op.example"
#define CLIENT_ID "client-1"
#define NONCE     "n-0S6_WzA2Mj"
#define NOW       APR_INT64_C(1700000000)
#define SKEW      APR_INT64_C(60)

/* Limits of json_int_t, the long long of jansson integers. */
#define JSON_INT_MAX ((json_int_t)LLONG_MAX)
#define JSON_INT_MIN ((json_int_t)LLONG_MIN)

static apr_status_t json_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

/* Hand `json` to `p`, which releases the reference. */
static json_t *pooled(json_t *json, apr_pool_t *p)
{
    if (json != NULL) {
        apr_pool_cleanup_register(p, json, json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return json;
}

/* An ID token payload that passes every check against expect(). */
static json_t *good_payload(apr_pool_t *p)
{
    return pooled(json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}",
                            "iss", ISSUER, "aud", CLIENT_ID, "sub", "alice",
                            "exp", (json_int_t)(NOW + 600),
                            "iat", (json_int_t)(NOW - 5),
                            "nonce", NONCE), p);
}

/* good_payload() with claim `name` set to `value` (whose reference it
 * takes), or removed when `value` is NULL. */
static json_t *payload_with(const char *name, json_t *value, apr_pool_t *p)
{
    json_t *payload = good_payload(p);

    if (value == NULL) {
        json_object_del(payload, name);
    }
    else {
        json_object_set_new(payload, name, value);
    }
    return payload;
}

static pkce_claims_expect_t expect(void)
{
    pkce_claims_expect_t e = { ISSUER, CLIENT_ID, NONCE, NOW, SKEW };

    return e;
}

/* Check `payload` against expect(). Returns the reason, or "ok". */
static const char *check(const json_t *payload)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    pkce_err_clear(&err);
    if (pkce_claims_check_id_token(payload, &e, &err) == APR_SUCCESS) {
        return "ok";
    }
    return err.reason != NULL ? err.reason : "(no reason)";
}

/* Like check(), with `name` set to `value` in good_payload(). */
static const char *check_with(const char *name, json_t *value, apr_pool_t *p)
{
    return check(payload_with(name, value, p));
}

TEST(claims_valid_payload_passes)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    pkce_err_clear(&err);
    CHECK(pkce_claims_check_id_token(good_payload(p), &e, &err)
          == APR_SUCCESS);
    CHECK(err.reason == NULL);
}

TEST(claims_failure_is_everify)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    CHECK(pkce_claims_check_id_token(payload_with("sub", NULL, p), &e, &err)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "sub");
    CHECK(strlen(err.text) > 0);
    /* A NULL err is allowed. */
    CHECK(pkce_claims_check_id_token(payload_with("sub", NULL, p), &e, NULL)
          == PKCE_EVERIFY);
}

TEST(iss_must_match_exactly)
{
    CHECK_STR(check_with("iss", json_string(ISSUER "/"), p), "iss");
    CHECK_STR(check_with("iss", json_string("https://OP.example"), p), "iss");
    CHECK_STR(check_with("iss", json_string("https://op.example.evil"), p),
              "iss");
    CHECK_STR(check_with("iss", json_string(""), p), "iss");
    CHECK_STR(check_with("iss", NULL, p), "iss");
    CHECK_STR(check_with("iss", json_integer(1), p), "iss");
    CHECK_STR(check_with("iss", json_pack("[s]", ISSUER), p), "iss");
}

TEST(iss_trailing_slash_in_config)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    /* The configured issuer has the slash and the token does not. */
    e.issuer = ISSUER "/";
    CHECK(pkce_claims_check_id_token(good_payload(p), &e, &err)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "iss");
    e.issuer = NULL;
    CHECK(pkce_claims_check_id_token(good_payload(p), &e, &err)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "iss");
}

TEST(aud_string)
{
    CHECK_STR(check_with("aud", json_string(CLIENT_ID), p), "ok");
    CHECK_STR(check_with("aud", json_string("client-2"), p), "aud");
    CHECK_STR(check_with("aud", json_string(CLIENT_ID "x"), p), "aud");
    CHECK_STR(check_with("aud", json_string(""), p), "aud");
    CHECK_STR(check_with("aud", NULL, p), "aud");
}

TEST(aud_array)
{
    CHECK_STR(check_with("aud", json_pack("[s]", CLIENT_ID), p), "ok");
    CHECK_STR(check_with("aud", json_pack("[s]", "client-2"), p), "aud");
    CHECK_STR(check_with("aud", json_array(), p), "aud");
    CHECK_STR(check_with("aud", json_pack("[s, i]", CLIENT_ID, 7), p), "aud");
    CHECK_STR(check_with("aud", json_pack("[s, n]", CLIENT_ID), p), "aud");
}

TEST(aud_wrong_types)
{
    CHECK_STR(check_with("aud", json_integer(1), p), "aud");
    CHECK_STR(check_with("aud", json_true(), p), "aud");
    CHECK_STR(check_with("aud", json_null(), p), "aud");
    CHECK_STR(check_with("aud", json_pack("{s:s}", "aud", CLIENT_ID), p),
              "aud");
}

TEST(azp_required_for_several_audiences)
{
    json_t *payload = payload_with("aud",
                                   json_pack("[s, s]", CLIENT_ID, "api"), p);

    CHECK_STR(check(payload), "azp");
    json_object_set_new(payload, "azp", json_string(CLIENT_ID));
    CHECK_STR(check(payload), "ok");
    json_object_set_new(payload, "azp", json_string("api"));
    CHECK_STR(check(payload), "azp");
}

TEST(azp_mismatch_fails)
{
    CHECK_STR(check_with("azp", json_string(CLIENT_ID), p), "ok");
    CHECK_STR(check_with("azp", json_string("client-2"), p), "azp");
    CHECK_STR(check_with("azp", json_string(""), p), "azp");
    CHECK_STR(check_with("azp", json_integer(1), p), "azp");
    CHECK_STR(check_with("azp", json_null(), p), "azp");
}

TEST(exp_boundary)
{
    /* Valid while now < exp + skew. */
    CHECK_STR(check_with("exp", json_integer(NOW - SKEW), p), "exp");
    CHECK_STR(check_with("exp", json_integer(NOW - SKEW - 1000), p), "exp");
    CHECK_STR(check_with("exp", json_integer(NOW - SKEW + 1), p), "ok");
    CHECK_STR(check_with("exp", json_integer(NOW), p), "ok");
}

TEST(exp_without_skew)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    e.skew = 0;
    CHECK(pkce_claims_check_id_token(payload_with("exp", json_integer(NOW),
                                                  p), &e, &err)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "exp");
    CHECK(pkce_claims_check_id_token(payload_with("exp",
                                                  json_integer(NOW + 1), p),
                                     &e, &err) == APR_SUCCESS);
}

TEST(exp_real_number)
{
    CHECK_STR(check_with("exp", json_real((double)(NOW - SKEW) + 0.5), p),
              "ok");
    CHECK_STR(check_with("exp", json_real((double)(NOW - SKEW)), p), "exp");
    CHECK_STR(check_with("exp", json_real((double)(NOW - SKEW) - 0.5), p),
              "exp");
    CHECK_STR(check_with("exp", json_real(1e300), p), "ok");
    CHECK_STR(check_with("exp", json_real(-1e300), p), "exp");
}

TEST(exp_wrong_type_or_missing)
{
    CHECK_STR(check_with("exp", NULL, p), "exp");
    CHECK_STR(check_with("exp", json_string("1800000000"), p), "exp");
    CHECK_STR(check_with("exp", json_true(), p), "exp");
    CHECK_STR(check_with("exp", json_null(), p), "exp");
    CHECK_STR(check_with("exp", json_pack("[I]", (json_int_t)NOW + 600), p),
              "exp");
}

TEST(exp_extreme_values_no_overflow)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    CHECK_STR(check_with("exp", json_integer(JSON_INT_MAX), p), "ok");
    CHECK_STR(check_with("exp", json_integer(JSON_INT_MIN), p), "exp");

    /* now close to the maximum: now + skew and exp + skew saturate. */
    e.now = APR_INT64_MAX - 10;
    CHECK(pkce_claims_check_id_token(
              payload_with("exp", json_integer(JSON_INT_MAX), p), &e,
              &err) == APR_SUCCESS);
    CHECK(pkce_claims_check_id_token(
              payload_with("exp", json_integer(APR_INT64_MAX - 100), p), &e,
              &err) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "exp");

    /* A huge skew saturates instead of wrapping around. */
    e = expect();
    e.skew = APR_INT64_MAX;
    CHECK(pkce_claims_check_id_token(good_payload(p), &e, &err)
          == APR_SUCCESS);
}

TEST(iat_boundary)
{
    /* Valid while iat <= now + skew. */
    CHECK_STR(check_with("iat", json_integer(NOW + SKEW), p), "ok");
    CHECK_STR(check_with("iat", json_integer(NOW + SKEW + 1), p), "iat");
    CHECK_STR(check_with("iat", json_integer(NOW + 100000), p), "iat");
    CHECK_STR(check_with("iat", json_integer(0), p), "ok");
    CHECK_STR(check_with("iat", json_integer(JSON_INT_MIN), p), "ok");
    CHECK_STR(check_with("iat", json_integer(JSON_INT_MAX), p), "iat");
}

TEST(iat_real_number)
{
    CHECK_STR(check_with("iat", json_real((double)(NOW + SKEW)), p), "ok");
    CHECK_STR(check_with("iat", json_real((double)(NOW + SKEW) - 0.5), p),
              "ok");
    CHECK_STR(check_with("iat", json_real((double)(NOW + SKEW) + 0.5), p),
              "iat");
    CHECK_STR(check_with("iat", json_real(1e300), p), "iat");
    CHECK_STR(check_with("iat", json_real(-1e300), p), "ok");
}

TEST(iat_wrong_type_or_missing)
{
    CHECK_STR(check_with("iat", NULL, p), "iat");
    CHECK_STR(check_with("iat", json_string("1700000000"), p), "iat");
    CHECK_STR(check_with("iat", json_false(), p), "iat");
    CHECK_STR(check_with("iat", json_null(), p), "iat");
}

TEST(iat_with_now_near_max)
{
    json_t *payload = payload_with("exp", json_integer(JSON_INT_MAX), p);
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    /* now + skew saturates at the maximum, which iat may equal. */
    e.now = APR_INT64_MAX - 10;
    json_object_set_new(payload, "iat", json_integer(JSON_INT_MAX));
    CHECK(pkce_claims_check_id_token(payload, &e, &err) == APR_SUCCESS);
}

TEST(nbf_boundary)
{
    CHECK_STR(check_with("nbf", NULL, p), "ok");
    CHECK_STR(check_with("nbf", json_integer(NOW + SKEW), p), "ok");
    CHECK_STR(check_with("nbf", json_integer(NOW), p), "ok");
    CHECK_STR(check_with("nbf", json_integer(NOW + SKEW + 1), p), "nbf");
    CHECK_STR(check_with("nbf", json_real((double)(NOW + SKEW) + 0.5), p),
              "nbf");
    CHECK_STR(check_with("nbf", json_real((double)(NOW + SKEW)), p), "ok");
}

TEST(nbf_wrong_type)
{
    CHECK_STR(check_with("nbf", json_string("0"), p), "nbf");
    CHECK_STR(check_with("nbf", json_null(), p), "nbf");
    CHECK_STR(check_with("nbf", json_true(), p), "nbf");
    CHECK_STR(check_with("nbf", json_object(), p), "nbf");
}

TEST(nonce_must_match)
{
    CHECK_STR(check_with("nonce", json_string(NONCE), p), "ok");
    CHECK_STR(check_with("nonce", json_string(NONCE "x"), p), "nonce");
    CHECK_STR(check_with("nonce", json_string("n-0S6_WzA2MJ"), p), "nonce");
    CHECK_STR(check_with("nonce", json_string("n-0S6"), p), "nonce");
    CHECK_STR(check_with("nonce", json_string(""), p), "nonce");
    CHECK_STR(check_with("nonce", json_stringn(NONCE "\0x", 14), p),
              "nonce");
}

TEST(nonce_missing_or_wrong_type)
{
    CHECK_STR(check_with("nonce", NULL, p), "nonce");
    CHECK_STR(check_with("nonce", json_null(), p), "nonce");
    CHECK_STR(check_with("nonce", json_integer(12), p), "nonce");
    CHECK_STR(check_with("nonce", json_pack("[s]", NONCE), p), "nonce");
}

TEST(nonce_null_expected_skips_check)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    e.nonce = NULL;
    CHECK(pkce_claims_check_id_token(good_payload(p), &e, &err)
          == APR_SUCCESS);
    CHECK(pkce_claims_check_id_token(payload_with("nonce", NULL, p), &e,
                                     &err) == APR_SUCCESS);
    CHECK(pkce_claims_check_id_token(
              payload_with("nonce", json_string("other"), p), &e, &err)
          == APR_SUCCESS);
}

TEST(nonce_empty_expected_matches_nothing)
{
    pkce_claims_expect_t e = expect();
    pkce_err_t err;

    e.nonce = "";
    CHECK(pkce_claims_check_id_token(
              payload_with("nonce", json_string(""), p), &e, &err)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "nonce");
}

TEST(sub_required_non_empty)
{
    CHECK_STR(check_with("sub", NULL, p), "sub");
    CHECK_STR(check_with("sub", json_string(""), p), "sub");
    CHECK_STR(check_with("sub", json_integer(248289761001), p), "sub");
    CHECK_STR(check_with("sub", json_null(), p), "sub");
    CHECK_STR(check_with("sub", json_string("248289761001"), p), "ok");
}

TEST(payload_not_object_fails)
{
    CHECK_STR(check(pooled(json_pack("[s]", ISSUER), p)), "iss");
    CHECK_STR(check(pooled(json_string(ISSUER), p)), "iss");
    CHECK_STR(check(NULL), "iss");
    CHECK_STR(check(pooled(json_object(), p)), "iss");
}

TEST(checks_run_in_documented_order)
{
    json_t *payload = pooled(json_object(), p);

    json_object_set_new(payload, "iss", json_string(ISSUER));
    CHECK_STR(check(payload), "aud");
    json_object_set_new(payload, "aud", json_string(CLIENT_ID));
    CHECK_STR(check(payload), "exp");
    json_object_set_new(payload, "exp", json_integer(NOW + 600));
    CHECK_STR(check(payload), "iat");
    json_object_set_new(payload, "iat", json_integer(NOW));
    CHECK_STR(check(payload), "nonce");
    json_object_set_new(payload, "nonce", json_string(NONCE));
    CHECK_STR(check(payload), "sub");
    json_object_set_new(payload, "sub", json_string("alice"));
    CHECK_STR(check(payload), "ok");
}

/* pkce_claims_text() of claim "c" in the JSON object text `json`. */
static const char *text_of(const char *json, apr_pool_t *p)
{
    json_t *payload = pooled(json_loads(json, 0, NULL), p);

    return pkce_claims_text(payload, "c", p);
}

TEST(claims_text_scalars)
{
    CHECK_STR(text_of("{\"c\":\"alice\"}", p), "alice");
    CHECK_STR(text_of("{\"c\":\"caf\\u00e9, \\\"x\\\"\"}", p),
              "caf\xc3\xa9, \"x\"");
    CHECK_STR(text_of("{\"c\":\"\"}", p), "");
    CHECK_STR(text_of("{\"c\":42}", p), "42");
    CHECK_STR(text_of("{\"c\":-9223372036854775807}", p),
              "-9223372036854775807");
    CHECK_STR(text_of("{\"c\":1.5}", p), "1.5");
    CHECK_STR(text_of("{\"c\":true}", p), "true");
    CHECK_STR(text_of("{\"c\":false}", p), "false");
}

TEST(claims_text_absent_or_null)
{
    CHECK(text_of("{\"c\":null}", p) == NULL);
    CHECK(text_of("{\"d\":\"x\"}", p) == NULL);
    CHECK(pkce_claims_text(NULL, "c", p) == NULL);
    CHECK(pkce_claims_text(pooled(json_pack("[s]", "c"), p), "c", p) == NULL);
}

TEST(claims_text_arrays)
{
    CHECK_STR(text_of("{\"c\":[\"admin\",\"dev\"]}", p), "admin,dev");
    CHECK_STR(text_of("{\"c\":[\"a\",2,true,1.5]}", p), "a,2,true,1.5");
    CHECK_STR(text_of("{\"c\":[\"one\"]}", p), "one");
    CHECK_STR(text_of("{\"c\":[]}", p), "");
    CHECK_STR(text_of("{\"c\":[\"a\",null]}", p), "a,null");
    /* Nested arrays and objects make the whole array JSON. */
    CHECK_STR(text_of("{\"c\":[[\"a\"],\"b\"]}", p), "[[\"a\"],\"b\"]");
    CHECK_STR(text_of("{\"c\":[{\"a\":1}]}", p), "[{\"a\":1}]");
}

TEST(claims_text_objects)
{
    CHECK_STR(text_of("{\"c\":{\"street\":\"Main St 1\",\"n\":[1, 2]}}", p),
              "{\"street\":\"Main St 1\",\"n\":[1,2]}");
    CHECK_STR(text_of("{\"c\":{}}", p), "{}");
}

static const tap_case_t cases[] = {
    TAP_CASE(claims_valid_payload_passes),
    TAP_CASE(claims_failure_is_everify),
    TAP_CASE(iss_must_match_exactly),
    TAP_CASE(iss_trailing_slash_in_config),
    TAP_CASE(aud_string),
    TAP_CASE(aud_array),
    TAP_CASE(aud_wrong_types),
    TAP_CASE(azp_required_for_several_audiences),
    TAP_CASE(azp_mismatch_fails),
    TAP_CASE(exp_boundary),
    TAP_CASE(exp_without_skew),
    TAP_CASE(exp_real_number),
    TAP_CASE(exp_wrong_type_or_missing),
    TAP_CASE(exp_extreme_values_no_overflow),
    TAP_CASE(iat_boundary),
    TAP_CASE(iat_real_number),
    TAP_CASE(iat_wrong_type_or_missing),
    TAP_CASE(iat_with_now_near_max),
    TAP_CASE(nbf_boundary),
    TAP_CASE(nbf_wrong_type),
    TAP_CASE(nonce_must_match),
    TAP_CASE(nonce_missing_or_wrong_type),
    TAP_CASE(nonce_null_expected_skips_check),
    TAP_CASE(nonce_empty_expected_matches_nothing),
    TAP_CASE(sub_required_non_empty),
    TAP_CASE(payload_not_object_fails),
    TAP_CASE(checks_run_in_documented_order),
    TAP_CASE(claims_text_scalars),
    TAP_CASE(claims_text_absent_or_null),
    TAP_CASE(claims_text_arrays),
    TAP_CASE(claims_text_objects),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
