/*
 * pkce_claims.c: ID token claim checks (OpenID Connect Core 1.0 section
 * 3.1.3.7) and the rendering of claims as text.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/crypto.h>

#include "pkce_claims.h"

/* Return whether `value` is a JSON string equal to `expected`. */
static int claims_string_equals(const json_t *value, const char *expected)
{
    size_t len;

    if (!json_is_string(value) || expected == NULL) {
        return 0;
    }
    len = strlen(expected);
    return json_string_length(value) == len
           && memcmp(json_string_value(value), expected, len) == 0;
}

/*
 * Compare a received nonce with the expected one in constant time for
 * equal lengths; a length difference shows only the length. NULL and the
 * empty string never match, so a missing value fails closed.
 */
static int claims_nonce_equals(const char *got, size_t got_len,
                               const char *expected)
{
    size_t expected_len;

    if (got == NULL || expected == NULL) {
        return 0;
    }
    expected_len = strlen(expected);
    return expected_len > 0 && got_len == expected_len
           && CRYPTO_memcmp(got, expected, expected_len) == 0;
}

/* a + b, saturated at the int64 limits instead of overflowing. */
static apr_int64_t claims_add(apr_int64_t a, apr_int64_t b)
{
    if (b > 0 && a > APR_INT64_MAX - b) {
        return APR_INT64_MAX;
    }
    if (b < 0 && a < APR_INT64_MIN - b) {
        return APR_INT64_MIN;
    }
    return a + b;
}

/*
 * Round a NumericDate with a fraction (RFC 7519 section 2) up to whole
 * seconds, clamped to the int64 range. For a whole number n, n < t and
 * t <= n keep their truth when t is rounded up, so the checks below stay
 * exact. Returns 0 for NaN.
 */
static int claims_real_seconds(apr_int64_t *out, double value)
{
    apr_int64_t whole;

    if (value != value) {
        return 0;
    }
    /* 2^63, the first double beyond APR_INT64_MAX. */
    if (value >= 9223372036854775808.0) {
        *out = APR_INT64_MAX;
        return 1;
    }
    if (value < -9223372036854775808.0) {
        *out = APR_INT64_MIN;
        return 1;
    }
    whole = (apr_int64_t)value;
    if ((double)whole < value) {
        whole++;
    }
    *out = whole;
    return 1;
}

/* Read the NumericDate claim `name`. Returns 0 unless it is a number. */
static int claims_time(apr_int64_t *out, const json_t *payload,
                       const char *name)
{
    const json_t *value = json_object_get(payload, name);

    if (json_is_integer(value)) {
        *out = (apr_int64_t)json_integer_value(value);
        return 1;
    }
    if (json_is_real(value)) {
        return claims_real_seconds(out, json_real_value(value));
    }
    return 0;
}

static apr_status_t claims_check_aud(const json_t *payload,
                                     const char *client_id, pkce_err_t *err)
{
    const json_t *aud = json_object_get(payload, "aud");
    const json_t *azp = json_object_get(payload, "azp");
    size_t i, count = 1;
    int found = 0;

    if (json_is_array(aud)) {
        count = json_array_size(aud);
        for (i = 0; i < count; i++) {
            const json_t *item = json_array_get(aud, i);

            if (!json_is_string(item)) {
                return pkce_err_set(err, PKCE_EVERIFY, "aud",
                                    "ID token \"aud\" array has a value "
                                    "that is not a string");
            }
            found |= claims_string_equals(item, client_id);
        }
    }
    else {
        found = claims_string_equals(aud, client_id);
    }
    if (!found) {
        return pkce_err_set(err, PKCE_EVERIFY, "aud",
                            "ID token \"aud\" is missing or does not contain "
                            "the client_id %.100s",
                            client_id != NULL ? client_id : "(none)");
    }
    if (azp == NULL && count > 1) {
        return pkce_err_set(err, PKCE_EVERIFY, "azp",
                            "ID token has several audiences but no \"azp\"");
    }
    if (azp != NULL && !claims_string_equals(azp, client_id)) {
        return pkce_err_set(err, PKCE_EVERIFY, "azp",
                            "ID token \"azp\" does not equal the client_id "
                            "%.100s", client_id);
    }
    return APR_SUCCESS;
}

static apr_status_t claims_check_times(const json_t *payload,
                                       const pkce_claims_expect_t *expect,
                                       pkce_err_t *err)
{
    apr_int64_t exp, iat, nbf;
    apr_int64_t latest = claims_add(expect->now, expect->skew);

    if (!claims_time(&exp, payload, "exp")) {
        return pkce_err_set(err, PKCE_EVERIFY, "exp",
                            "ID token \"exp\" is missing or not a number");
    }
    if (expect->now >= claims_add(exp, expect->skew)) {
        return pkce_err_set(err, PKCE_EVERIFY, "exp",
                            "ID token expired at %" APR_INT64_T_FMT
                            ", now is %" APR_INT64_T_FMT " (allowed skew %"
                            APR_INT64_T_FMT "s)", exp, expect->now,
                            expect->skew);
    }
    if (!claims_time(&iat, payload, "iat")) {
        return pkce_err_set(err, PKCE_EVERIFY, "iat",
                            "ID token \"iat\" is missing or not a number");
    }
    if (iat > latest) {
        return pkce_err_set(err, PKCE_EVERIFY, "iat",
                            "ID token is issued in the future at %"
                            APR_INT64_T_FMT ", now is %" APR_INT64_T_FMT
                            " (allowed skew %" APR_INT64_T_FMT "s)",
                            iat, expect->now, expect->skew);
    }
    if (json_object_get(payload, "nbf") == NULL) {
        return APR_SUCCESS;
    }
    if (!claims_time(&nbf, payload, "nbf")) {
        return pkce_err_set(err, PKCE_EVERIFY, "nbf",
                            "ID token \"nbf\" is not a number");
    }
    if (nbf > latest) {
        return pkce_err_set(err, PKCE_EVERIFY, "nbf",
                            "ID token is not valid before %" APR_INT64_T_FMT
                            ", now is %" APR_INT64_T_FMT " (allowed skew %"
                            APR_INT64_T_FMT "s)", nbf, expect->now,
                            expect->skew);
    }
    return APR_SUCCESS;
}

static apr_status_t claims_check_nonce(const json_t *payload,
                                       const char *expected, pkce_err_t *err)
{
    const json_t *nonce = json_object_get(payload, "nonce");

    if (expected == NULL) {
        return APR_SUCCESS;
    }
    if (!json_is_string(nonce)) {
        return pkce_err_set(err, PKCE_EVERIFY, "nonce",
                            "ID token \"nonce\" is missing or not a string");
    }
    if (!claims_nonce_equals(json_string_value(nonce),
                             json_string_length(nonce), expected)) {
        return pkce_err_set(err, PKCE_EVERIFY, "nonce",
                            "ID token \"nonce\" does not match the nonce of "
                            "this login");
    }
    return APR_SUCCESS;
}

apr_status_t pkce_claims_check_id_token(const json_t *payload,
                                        const pkce_claims_expect_t *expect,
                                        pkce_err_t *err)
{
    const json_t *sub = json_object_get(payload, "sub");
    apr_status_t rv;

    if (!claims_string_equals(json_object_get(payload, "iss"),
                              expect->issuer)) {
        return pkce_err_set(err, PKCE_EVERIFY, "iss",
                            "ID token \"iss\" is missing or does not equal "
                            "the issuer %.100s",
                            expect->issuer != NULL ? expect->issuer
                                                   : "(none)");
    }
    rv = claims_check_aud(payload, expect->client_id, err);
    if (rv == APR_SUCCESS) {
        rv = claims_check_times(payload, expect, err);
    }
    if (rv == APR_SUCCESS) {
        rv = claims_check_nonce(payload, expect->nonce, err);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!json_is_string(sub) || json_string_length(sub) == 0) {
        return pkce_err_set(err, PKCE_EVERIFY, "sub",
                            "ID token \"sub\" is missing, empty or not a "
                            "string");
    }
    return APR_SUCCESS;
}

/* Render `value` as compact JSON. Returns NULL if jansson fails. */
static const char *claims_json_text(const json_t *value, apr_pool_t *p)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t size = json_dumpb(value, NULL, 0, flags);
    char *text;

    if (size == 0) {
        return NULL;
    }
    text = apr_palloc(p, size + 1);
    if (json_dumpb(value, text, size, flags) != size) {
        return NULL;
    }
    text[size] = '\0';
    return text;
}

/* Render a string as it is, and any other value as compact JSON. */
static const char *claims_value_text(const json_t *value, apr_pool_t *p)
{
    if (json_is_string(value)) {
        return apr_pstrmemdup(p, json_string_value(value),
                              json_string_length(value));
    }
    return claims_json_text(value, p);
}

/* Join an array of scalars with ",". Returns NULL when an element is an
 * array or object, so that the caller renders the array as JSON. */
static const char *claims_join_scalars(const json_t *array, apr_pool_t *p)
{
    apr_array_header_t *parts;
    size_t i;

    parts = apr_array_make(p, (int)json_array_size(array) + 1,
                           sizeof(const char *));
    for (i = 0; i < json_array_size(array); i++) {
        const json_t *item = json_array_get(array, i);
        const char *text;

        if (json_is_array(item) || json_is_object(item)) {
            return NULL;
        }
        text = claims_value_text(item, p);
        if (text == NULL) {
            return NULL;
        }
        APR_ARRAY_PUSH(parts, const char *) = text;
    }
    return apr_array_pstrcat(p, parts, ',');
}

const char *pkce_claims_text(const json_t *payload, const char *name,
                             apr_pool_t *p)
{
    const json_t *value = json_object_get(payload, name);
    const char *joined;

    if (value == NULL || json_is_null(value)) {
        return NULL;
    }
    if (json_is_array(value)) {
        joined = claims_join_scalars(value, p);
        if (joined != NULL) {
            return joined;
        }
    }
    return claims_value_text(value, p);
}
