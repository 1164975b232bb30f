/*
 * test_jose.c: JWKS parsing, compact JWS parsing and signature
 * verification, against keys and signatures made by OpenSSL at run time
 * (jose_signer.c).
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "jose_signer.h"
#include "pkce_b64.h"
#include "pkce_jose.h"
#include "tap.h"

static const char PAYLOAD[] =
    "{\"iss\":\"https://op.example\",\"sub\":\"alice\",\"aud\":\"client-1\","
    "\"exp\":2000000000,\"iat\":1700000000}";
static const char FORGED_PAYLOAD[] =
    "{\"iss\":\"https://op.example\",\"sub\":\"mallory\",\"aud\":\"client-1\","
    "\"exp\":2000000000,\"iat\":1700000000}";
static const char CLIENT_SECRET[] = "client-secret-0123456789abcdefghij";
static const char OTHER_SECRET[] = "another-secret-0123456789abcdefghi";

/* Keys are made once per run, because RSA key generation is slow. The
 * pool's parent is APR's global pool, which apr_terminate() destroys. */
#define KEY_SLOTS 3
static const char *const key_types[] = {
    "RSA", "RSA-1024", "P-256", "P-384", "P-521", "Ed25519"
};
#define KEY_TYPE_COUNT (sizeof(key_types) / sizeof(key_types[0]))
static apr_pool_t *key_pool;
static jose_key_t *key_cache[KEY_TYPE_COUNT][KEY_SLOTS];

/* Return key number `slot` of `type`. Distinct slots are distinct keys. */
static const jose_key_t *test_key(const char *type, int slot)
{
    apr_size_t i;

    if (key_pool == NULL && apr_pool_create(&key_pool, NULL) != APR_SUCCESS) {
        return NULL;
    }
    for (i = 0; i < KEY_TYPE_COUNT; i++) {
        if (strcmp(type, key_types[i]) == 0) {
            if (key_cache[i][slot] == NULL) {
                key_cache[i][slot] = jose_key_generate(type, key_pool);
            }
            return key_cache[i][slot];
        }
    }
    return NULL;
}

static int is_hmac(const char *alg)
{
    return strncmp(alg, "HS", 2) == 0;
}

/* Key type that signs with `alg`, or NULL for HS*. */
static const char *key_type_for(const char *alg)
{
    if (strncmp(alg, "RS", 2) == 0 || strncmp(alg, "PS", 2) == 0) {
        return "RSA";
    }
    if (strcmp(alg, "ES256") == 0) {
        return "P-256";
    }
    if (strcmp(alg, "ES384") == 0) {
        return "P-384";
    }
    if (strcmp(alg, "ES512") == 0) {
        return "P-521";
    }
    if (strcmp(alg, "EdDSA") == 0) {
        return "Ed25519";
    }
    return NULL;
}

/* JWS header text with "alg", and "kid" unless it is NULL. */
static const char *header_for(const char *alg, const char *kid, apr_pool_t *p)
{
    if (kid == NULL) {
        return apr_psprintf(p, "{\"alg\":\"%s\"}", alg);
    }
    return apr_psprintf(p, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
                        alg, kid);
}

/* Sign `payload` for `alg` with key `slot`. For HS*, slot 0 uses the
 * client secret and any other slot another secret. */
static const char *make_token(const char *alg, int slot, const char *kid,
                              const char *payload, apr_pool_t *p)
{
    const char *header = header_for(alg, kid, p);

    if (is_hmac(alg)) {
        const char *secret = slot == 0 ? CLIENT_SECRET : OTHER_SECRET;

        return jose_sign_hmac(alg, secret, strlen(secret), header, payload,
                              p);
    }
    return jose_sign(test_key(key_type_for(alg), slot), alg, header, payload,
                     p);
}

/* JWKS text with the public key of `slot` for `alg`, or no keys for HS*. */
static const char *make_jwks(const char *alg, int slot, const char *kid,
                             apr_pool_t *p)
{
    json_t *keys = json_array();

    if (!is_hmac(alg)) {
        json_array_append_new(keys,
                              jose_key_jwk(test_key(key_type_for(alg), slot),
                                           kid, "sig", NULL));
    }
    return jose_jwks_text(keys, p);
}

/* Parse the JWKS (unless NULL) and the token, then verify the token,
 * with `secret` as the client secret unless it is NULL. */
static apr_status_t verify_token(pkce_err_t *err, const char *token,
                                 const char *jwks_json, const char *secret,
                                 apr_pool_t *p)
{
    pkce_jwks_t *jwks = NULL;
    pkce_jws_t *jws;
    pkce_jws_keys_t keys;
    apr_status_t rv;

    pkce_err_clear(err);
    if (jwks_json != NULL) {
        rv = pkce_jwks_parse(&jwks, jwks_json, strlen(jwks_json), err, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    rv = pkce_jws_parse(&jws, token, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    keys.jwks = jwks;
    keys.hmac_secret = (const unsigned char *)secret;
    keys.hmac_secret_len = secret != NULL ? strlen(secret) : 0;
    return pkce_jws_verify(jws, &keys, err, p);
}

/* Client secret that verify_token() gets for `alg`. */
static const char *secret_for(const char *alg)
{
    return is_hmac(alg) ? CLIENT_SECRET : NULL;
}

/* Return part `index` (0, 1 or 2) of a compact JWS. */
static char *token_part(const char *token, int index, apr_pool_t *p)
{
    const char *start = token, *end;

    for (; index > 0; index--) {
        start = strchr(start, '.') + 1;
    }
    end = strchr(start, '.');
    if (end == NULL) {
        return apr_pstrdup(p, start);
    }
    return apr_pstrmemdup(p, start, (apr_size_t)(end - start));
}

/* Parse JWKS text that must parse. Returns NULL after a failed CHECK. */
static pkce_jwks_t *parse_jwks(const char *json, int *failed, apr_pool_t *p)
{
    pkce_jwks_t *jwks = NULL;
    pkce_err_t err;
    apr_status_t rv = pkce_jwks_parse(&jwks, json, strlen(json), &err, p);

    CHECK(rv == APR_SUCCESS);
    CHECK(jwks != NULL);
    return jwks;
}

static void check_valid(apr_pool_t *p, int *failed, const char *alg)
{
    const char *token = make_token(alg, 0, "k1", PAYLOAD, p);
    pkce_jws_t *jws;
    pkce_err_t err;
    apr_status_t rv;

    CHECK(token != NULL);
    if (token == NULL) {
        return;
    }
    rv = verify_token(&err, token, make_jwks(alg, 0, "k1", p),
                      secret_for(alg), p);
    CHECK(rv == APR_SUCCESS);
    if (rv != APR_SUCCESS) {
        printf("#   %s: %s\n", alg, err.text);
    }
    rv = pkce_jws_parse(&jws, token, &err, p);
    CHECK(rv == APR_SUCCESS);
    if (rv != APR_SUCCESS) {
        return;
    }
    CHECK_STR(jws->alg, alg);
    CHECK_STR(jws->kid, "k1");
    CHECK_STR(jws->typ, "JWT");
    CHECK_STR(json_string_value(json_object_get(jws->payload, "sub")),
              "alice");
    CHECK(jws->signing_input_len == strlen(jws->signing_input));
    CHECK(strncmp(token, jws->signing_input, jws->signing_input_len) == 0);
}

static void check_tampered(apr_pool_t *p, int *failed, const char *alg)
{
    const char *token = make_token(alg, 0, "k1", PAYLOAD, p);
    const char *jwks = make_jwks(alg, 0, "k1", p);
    const char *forged, *flipped;
    unsigned char *sig;
    apr_size_t sig_len;
    pkce_err_t err;

    CHECK(token != NULL);
    if (token == NULL) {
        return;
    }
    forged = apr_pstrcat(p, token_part(token, 0, p), ".",
                         jose_b64url(FORGED_PAYLOAD, strlen(FORGED_PAYLOAD),
                                     p),
                         ".", token_part(token, 2, p), NULL);
    CHECK(verify_token(&err, forged, jwks, secret_for(alg), p)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");

    /* A flipped bit in the signature fails as well. */
    CHECK(pkce_b64url_decode(&sig, &sig_len, token_part(token, 2, p),
                             strlen(token_part(token, 2, p)), p)
          == APR_SUCCESS);
    sig[sig_len / 2] ^= 0x01;
    flipped = apr_pstrcat(p, token_part(token, 0, p), ".",
                          token_part(token, 1, p), ".",
                          jose_b64url(sig, sig_len, p), NULL);
    CHECK(verify_token(&err, flipped, jwks, secret_for(alg), p)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

/* A token from another key (or secret) under the same kid must fail. */
static void check_wrong_key(apr_pool_t *p, int *failed, const char *alg)
{
    const char *token = make_token(alg, 1, "k1", PAYLOAD, p);
    pkce_err_t err;

    CHECK(token != NULL);
    CHECK(verify_token(&err, token, make_jwks(alg, 0, "k1", p),
                       secret_for(alg), p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

#define ALG_TESTS(id, alg)                                                  \
    TEST(id##_verifies) { check_valid(p, failed, alg); }                    \
    TEST(id##_tampered_fails) { check_tampered(p, failed, alg); }           \
    TEST(id##_wrong_key_fails) { check_wrong_key(p, failed, alg); }

#define ALG_CASES(id)                                                       \
    TAP_CASE(id##_verifies), TAP_CASE(id##_tampered_fails),                 \
    TAP_CASE(id##_wrong_key_fails)

ALG_TESTS(rs256, "RS256")
ALG_TESTS(rs384, "RS384")
ALG_TESTS(rs512, "RS512")
ALG_TESTS(ps256, "PS256")
ALG_TESTS(ps384, "PS384")
ALG_TESTS(ps512, "PS512")
ALG_TESTS(es256, "ES256")
ALG_TESTS(es384, "ES384")
ALG_TESTS(es512, "ES512")
ALG_TESTS(eddsa, "EdDSA")
ALG_TESTS(hs256, "HS256")
ALG_TESTS(hs384, "HS384")
ALG_TESTS(hs512, "HS512")

TEST(alg_none_rejected)
{
    const char *input = jose_signing_input("{\"alg\":\"none\"}", PAYLOAD, p);
    const char *jwks = make_jwks("RS256", 0, NULL, p);
    const char *unsigned_token = apr_pstrcat(p, input, ".", NULL);
    unsigned char *sig;
    apr_size_t sig_len;
    pkce_err_t err;

    CHECK(verify_token(&err, unsigned_token, jwks, NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "alg_not_allowed");
    CHECK(verify_token(&err, unsigned_token, jwks, CLIENT_SECRET, p)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "alg_not_allowed");

    /* With a real RS256 signature over the same input appended. */
    sig = jose_sign_bytes(&sig_len, test_key("RSA", 0), "RS256", input, 0, p);
    CHECK(sig != NULL);
    CHECK(verify_token(&err, jose_compact(input, sig, sig_len, p), jwks,
                       CLIENT_SECRET, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "alg_not_allowed");
}

TEST(alg_unknown_or_miscased_rejected)
{
    static const char *const algs[] = {
        "None", "NONE", "", "rs256", "RS1", "ES256K", "HS1", "Ed25519",
        "RSA-OAEP", "dir"
    };
    const char *jwks = make_jwks("RS256", 0, NULL, p);
    apr_size_t i;
    pkce_err_t err;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        const char *input = jose_signing_input(header_for(algs[i], NULL, p),
                                               PAYLOAD, p);
        apr_size_t sig_len;
        unsigned char *sig = jose_sign_bytes(&sig_len, test_key("RSA", 0),
                                             "RS256", input, 0, p);

        CHECK(verify_token(&err, jose_compact(input, sig, sig_len, p), jwks,
                           CLIENT_SECRET, p) == PKCE_EVERIFY);
        CHECK_STR(err.reason, "alg_not_allowed");
    }
}

TEST(hs256_public_key_secret_rejected)
{
    const jose_key_t *key = test_key("RSA", 0);
    const char *jwks = make_jwks("RS256", 0, "k1", p);
    const char *header = header_for("HS256", "k1", p);
    json_t *jwk = jose_key_jwk(key, "k1", "sig", NULL);
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    unsigned char *der;
    apr_size_t der_len = 0, i;
    const char *pem = jose_key_public_pem(key, p);
    const char *tokens[3];
    pkce_err_t err;

    der = jose_key_public_der(&der_len, key, p);
    CHECK(der != NULL);
    CHECK(pem != NULL);
    CHECK(jwk_text != NULL);
    tokens[0] = jose_sign_hmac("HS256", pem, strlen(pem), header, PAYLOAD, p);
    tokens[1] = jose_sign_hmac("HS256", der, der_len, header, PAYLOAD, p);
    tokens[2] = jose_sign_hmac("HS256", jwk_text, strlen(jwk_text), header,
                               PAYLOAD, p);
    for (i = 0; i < 3; i++) {
        CHECK(verify_token(&err, tokens[i], jwks, NULL, p) == PKCE_EVERIFY);
        CHECK_STR(err.reason, "alg_not_allowed");
    }
    /* With a client secret configured, the public key still is no key. */
    for (i = 0; i < 3; i++) {
        CHECK(verify_token(&err, tokens[i], jwks, CLIENT_SECRET, p)
              == PKCE_EVERIFY);
        CHECK_STR(err.reason, "bad_signature");
    }
    free(jwk_text);
    json_decref(jwk);
}

TEST(hs256_client_secret_with_jwks)
{
    const char *token = make_token("HS256", 0, "k1", PAYLOAD, p);
    const char *jwks = make_jwks("RS256", 0, "k1", p);
    pkce_err_t err;

    CHECK(verify_token(&err, token, jwks, CLIENT_SECRET, p) == APR_SUCCESS);
    CHECK(verify_token(&err, token, jwks, OTHER_SECRET, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

TEST(hs256_empty_secret_rejected)
{
    const char *token = jose_sign_hmac("HS256", "", 0,
                                       header_for("HS256", NULL, p), PAYLOAD,
                                       p);
    pkce_jws_t *jws;
    pkce_jws_keys_t keys = { NULL, (const unsigned char *)"", 0 };
    pkce_err_t err;

    CHECK(token != NULL);
    CHECK(pkce_jws_parse(&jws, token, &err, p) == APR_SUCCESS);
    CHECK(pkce_jws_verify(jws, &keys, &err, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "alg_not_allowed");
}

TEST(hs256_truncated_mac_fails)
{
    const char *token = make_token("HS256", 0, NULL, PAYLOAD, p);
    const char *sig_part = token_part(token, 2, p);
    unsigned char *mac;
    apr_size_t mac_len;
    pkce_err_t err;

    CHECK(pkce_b64url_decode(&mac, &mac_len, sig_part, strlen(sig_part), p)
          == APR_SUCCESS);
    CHECK(mac_len == 32);
    token = apr_pstrcat(p, token_part(token, 0, p), ".",
                        token_part(token, 1, p), ".",
                        jose_b64url(mac, 16, p), NULL);
    CHECK(verify_token(&err, token, NULL, CLIENT_SECRET, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

TEST(unknown_kid_gives_enokey)
{
    const char *token = make_token("RS256", 0, "k2", PAYLOAD, p);
    pkce_jws_t *jws;
    pkce_jws_keys_t keys = { NULL, NULL, 0 };
    pkce_err_t err;

    CHECK(verify_token(&err, token, make_jwks("RS256", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "unknown_kid");
    CHECK(verify_token(&err, token, "{\"keys\":[]}", NULL, p) == PKCE_ENOKEY);
    CHECK_STR(err.reason, "unknown_kid");

    /* Without any JWKS there is no key at all. */
    CHECK(pkce_jws_parse(&jws, token, &err, p) == APR_SUCCESS);
    CHECK(pkce_jws_verify(jws, &keys, &err, p) == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
}

TEST(kid_of_wrong_key_type_gives_no_key)
{
    pkce_err_t err;

    /* ES256 token whose kid names an RSA key. */
    CHECK(verify_token(&err, make_token("ES256", 0, "k1", PAYLOAD, p),
                       make_jwks("RS256", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
    /* ES256 token whose kid names a P-384 key. */
    CHECK(verify_token(&err, make_token("ES256", 0, "k1", PAYLOAD, p),
                       make_jwks("ES384", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
    /* EdDSA token whose kid names an EC key. */
    CHECK(verify_token(&err, make_token("EdDSA", 0, "k1", PAYLOAD, p),
                       make_jwks("ES256", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
    /* RS256 token whose kid names an Ed25519 key. */
    CHECK(verify_token(&err, make_token("RS256", 0, "k1", PAYLOAD, p),
                       make_jwks("EdDSA", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
}

TEST(jwk_alg_must_equal_header_alg)
{
    json_t *keys = json_array();
    const char *jwks;
    pkce_err_t err;

    json_array_append_new(keys, jose_key_jwk(test_key("RSA", 0), "k1", NULL,
                                             "RS512"));
    jwks = jose_jwks_text(keys, p);
    CHECK(verify_token(&err, make_token("RS256", 0, "k1", PAYLOAD, p), jwks,
                       NULL, p) == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
    CHECK(verify_token(&err, make_token("RS512", 0, "k1", PAYLOAD, p), jwks,
                       NULL, p) == APR_SUCCESS);
}

TEST(rsa_padding_confusion_fails)
{
    const jose_key_t *key = test_key("RSA", 0);
    const char *jwks = make_jwks("RS256", 0, "k1", p);
    const char *ps_input = jose_signing_input(header_for("PS256", "k1", p),
                                              PAYLOAD, p);
    const char *rs_input = jose_signing_input(header_for("RS256", "k1", p),
                                              PAYLOAD, p);
    unsigned char *sig;
    apr_size_t sig_len;
    pkce_err_t err;

    /* A PKCS #1 v1.5 signature labelled PS256, and the reverse. */
    sig = jose_sign_bytes(&sig_len, key, "RS256", ps_input, 0, p);
    CHECK(verify_token(&err, jose_compact(ps_input, sig, sig_len, p), jwks,
                       NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
    sig = jose_sign_bytes(&sig_len, key, "PS256", rs_input, 0, p);
    CHECK(verify_token(&err, jose_compact(rs_input, sig, sig_len, p), jwks,
                       NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
    /* The digest is part of the algorithm: an RS384 signature as RS256. */
    sig = jose_sign_bytes(&sig_len, key, "RS384", rs_input, 0, p);
    CHECK(verify_token(&err, jose_compact(rs_input, sig, sig_len, p), jwks,
                       NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

/* Check that an `alg` (RS* or PS*) signature that is one byte shorter or
 * longer than the modulus fails, though it is the same integer. */
static void check_rsa_length(apr_pool_t *p, int *failed, const char *alg)
{
    const jose_key_t *key = test_key("RSA", 0);
    const char *jwks = make_jwks(alg, 0, "k1", p);
    const char *input = NULL;
    unsigned char *sig = NULL, *longer;
    apr_size_t sig_len = 0;
    pkce_err_t err;
    int i;

    /* Find a signature whose first byte is zero, so that dropping it
     * keeps its value. About one signature in 256 qualifies. */
    for (i = 0; i < 4096; i++) {
        input = jose_signing_input(header_for(alg, "k1", p),
                                   apr_psprintf(p, "{\"sub\":\"alice\","
                                                "\"n\":%d}", i), p);
        sig = jose_sign_bytes(&sig_len, key, alg, input, 0, p);
        if (sig != NULL && sig_len == 256 && sig[0] == 0) {
            break;
        }
    }
    CHECK(i < 4096);
    if (i == 4096) {
        return;
    }
    CHECK(verify_token(&err, jose_compact(input, sig, sig_len, p), jwks,
                       NULL, p) == APR_SUCCESS);
    CHECK(verify_token(&err, jose_compact(input, sig + 1, sig_len - 1, p),
                       jwks, NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");

    longer = apr_palloc(p, sig_len + 1);
    longer[0] = 0;
    memcpy(longer + 1, sig, sig_len);
    CHECK(verify_token(&err, jose_compact(input, longer, sig_len + 1, p),
                       jwks, NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

TEST(rs256_signature_length_must_match)
{
    check_rsa_length(p, failed, "RS256");
}

TEST(ps256_signature_length_must_match)
{
    check_rsa_length(p, failed, "PS256");
}

TEST(crit_header_rejected)
{
    static const char *const headers[] = {
        "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[]}",
        "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":\"b64\",\"b64\":false}",
        "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":null}",
    };
    apr_size_t i;
    pkce_jws_t *jws;
    pkce_err_t err;

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        const char *token = jose_sign(test_key("RSA", 0), "RS256", headers[i],
                                      PAYLOAD, p);

        CHECK(token != NULL);
        pkce_err_clear(&err);
        CHECK(pkce_jws_parse(&jws, token, &err, p) == PKCE_EINVAL);
        CHECK_STR(err.reason, "crit");
    }
}

TEST(embedded_key_headers_ignored)
{
    const jose_key_t *attacker = test_key("RSA", 2);
    json_t *jwk = jose_key_jwk(attacker, "k1", "sig", "RS256");
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    const char *jwks = make_jwks("RS256", 0, "k1", p);
    const char *params = apr_psprintf(p,
        "\"jku\":\"https://attacker.example/jwks.json\","
        "\"x5u\":\"https://attacker.example/key.pem\","
        "\"x5c\":[\"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\"],"
        "\"jwk\":%s", jwk_text);
    const char *with_kid = apr_psprintf(p,
        "{\"alg\":\"RS256\",\"kid\":\"k1\",%s}", params);
    const char *without_kid = apr_psprintf(p, "{\"alg\":\"RS256\",%s}",
                                           params);
    pkce_err_t err;

    CHECK(verify_token(&err, jose_sign(attacker, "RS256", with_kid, PAYLOAD,
                                       p), jwks, NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
    CHECK(verify_token(&err, jose_sign(attacker, "RS256", without_kid,
                                       PAYLOAD, p), jwks, NULL, p)
          == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
    /* The legitimate key still verifies a token carrying those headers. */
    CHECK(verify_token(&err, jose_sign(test_key("RSA", 0), "RS256", with_kid,
                                       PAYLOAD, p), jwks, NULL, p)
          == APR_SUCCESS);
    free(jwk_text);
    json_decref(jwk);
}

TEST(embedded_ec_key_without_jwks_key)
{
    const jose_key_t *attacker = test_key("P-256", 2);
    json_t *jwk = jose_key_jwk(attacker, NULL, NULL, NULL);
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    const char *header = apr_psprintf(p, "{\"alg\":\"ES256\",\"jwk\":%s}",
                                      jwk_text);
    pkce_err_t err;

    /* The JWKS has only an RSA key, so no key can verify ES256. */
    CHECK(verify_token(&err, jose_sign(attacker, "ES256", header, PAYLOAD, p),
                       make_jwks("RS256", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
    free(jwk_text);
    json_decref(jwk);
}

/* Check that `sig` under `alg` fails against key slot 0. */
static void check_es_signature(apr_pool_t *p, int *failed, const char *alg,
                               const char *input, const unsigned char *sig,
                               apr_size_t sig_len)
{
    pkce_err_t err;

    CHECK(verify_token(&err, jose_compact(input, sig, sig_len, p),
                       make_jwks(alg, 0, "k1", p), NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

TEST(es_signature_wrong_length_fails)
{
    static const char *const algs[] = { "ES256", "ES384", "ES512" };
    apr_size_t i;

    for (i = 0; i < 3; i++) {
        const jose_key_t *key = test_key(key_type_for(algs[i]), 0);
        const char *input = jose_signing_input(header_for(algs[i], "k1", p),
                                               PAYLOAD, p);
        apr_size_t raw_len, der_len;
        unsigned char *raw = jose_sign_bytes(&raw_len, key, algs[i], input, 0,
                                             p);
        unsigned char *der = jose_sign_bytes(&der_len, key, algs[i], input, 1,
                                             p);
        unsigned char *longer = apr_pcalloc(p, raw_len + 1);

        CHECK(raw != NULL);
        CHECK(der != NULL);
        if (raw == NULL || der == NULL) {
            continue;
        }
        /* The valid R || S passes, so the failures below are the length. */
        CHECK(verify_token(NULL, jose_compact(input, raw, raw_len, p),
                           make_jwks(algs[i], 0, "k1", p), NULL, p)
              == APR_SUCCESS);
        check_es_signature(p, failed, algs[i], input, der, der_len);
        check_es_signature(p, failed, algs[i], input, raw, raw_len - 1);
        memcpy(longer + 1, raw, raw_len);
        check_es_signature(p, failed, algs[i], input, longer, raw_len + 1);
        memcpy(longer, raw, raw_len);
        check_es_signature(p, failed, algs[i], input, longer, raw_len + 1);
        check_es_signature(p, failed, algs[i], input, raw, 0);
    }
}

TEST(es512_65_byte_coordinates_fail)
{
    const jose_key_t *key = test_key("P-521", 0);
    const char *input = jose_signing_input(header_for("ES512", "k1", p),
                                           PAYLOAD, p);
    apr_size_t raw_len;
    unsigned char *raw = jose_sign_bytes(&raw_len, key, "ES512", input, 0, p);
    unsigned char short_coords[130];

    CHECK(raw != NULL);
    if (raw == NULL) {
        return;
    }
    CHECK(raw_len == 132);
    if (raw_len != 132) {
        return;
    }
    /* R and S without their first byte each, as some signers emit. */
    memcpy(short_coords, raw + 1, 65);
    memcpy(short_coords + 65, raw + 67, 65);
    check_es_signature(p, failed, "ES512", input, short_coords, 130);
}

TEST(es_zero_signature_fails)
{
    const char *input = jose_signing_input(header_for("ES256", "k1", p),
                                           PAYLOAD, p);
    unsigned char zeros[64];

    memset(zeros, 0, sizeof(zeros));
    check_es_signature(p, failed, "ES256", input, zeros, sizeof(zeros));
}

/* Check that pkce_jws_parse() rejects `compact` as malformed. */
static void check_malformed(apr_pool_t *p, int *failed, const char *compact)
{
    pkce_jws_t *jws = (pkce_jws_t *)p;
    pkce_err_t err;

    pkce_err_clear(&err);
    CHECK(pkce_jws_parse(&jws, compact, &err, p) == PKCE_EINVAL);
    CHECK(jws == NULL);
    CHECK_STR(err.reason, "malformed_jws");
    if (err.reason == NULL || strcmp(err.reason, "malformed_jws") != 0) {
        printf("#   input: %.80s\n", compact != NULL ? compact : "(null)");
    }
}

/* A compact JWS with the given header and payload text and a dummy
 * signature part. */
static const char *jws_of(const char *header, const char *payload,
                          apr_pool_t *p)
{
    return apr_pstrcat(p, jose_signing_input(header, payload, p), ".c2ln",
                       NULL);
}

TEST(malformed_jws_rejected)
{
    const char *token = make_token("RS256", 0, "k1", PAYLOAD, p);
    const char *h = token_part(token, 0, p);
    const char *b = token_part(token, 1, p);
    const char *s = token_part(token, 2, p);

    check_malformed(p, failed, NULL);
    check_malformed(p, failed, "");
    check_malformed(p, failed, "..");
    check_malformed(p, failed, apr_pstrcat(p, h, ".", b, NULL));
    check_malformed(p, failed, apr_pstrcat(p, token, ".", s, NULL));
    check_malformed(p, failed, apr_pstrcat(p, token, ".", NULL));
    check_malformed(p, failed, apr_pstrcat(p, h, "=.", b, ".", s, NULL));
    check_malformed(p, failed, apr_pstrcat(p, h, ".", b, "+.", s, NULL));
    check_malformed(p, failed, apr_pstrcat(p, h, ".", b, ".", s, "*", NULL));
    check_malformed(p, failed, apr_pstrcat(p, h, ".", b, ".", s, "=", NULL));
    check_malformed(p, failed, apr_pstrcat(p, "eyJ!", ".", b, ".", s, NULL));
    check_malformed(p, failed, jws_of("[\"RS256\"]", PAYLOAD, p));
    check_malformed(p, failed, jws_of("\"RS256\"", PAYLOAD, p));
    check_malformed(p, failed, jws_of("{\"alg\":", PAYLOAD, p));
    check_malformed(p, failed, jws_of("{}", PAYLOAD, p));
    check_malformed(p, failed, jws_of("{\"alg\":256}", PAYLOAD, p));
    check_malformed(p, failed, jws_of("{\"alg\":null}", PAYLOAD, p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\",\"kid\":7}",
                                      PAYLOAD, p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\",\"typ\":[]}",
                                      PAYLOAD, p));
    check_malformed(p, failed,
                    jws_of("{\"alg\":\"RS256\",\"alg\":\"none\"}", PAYLOAD,
                           p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\"}", "[1,2]", p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\"}", "\"text\"", p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\"}", "not json", p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\"}", "", p));
    check_malformed(p, failed, jws_of("{\"alg\":\"RS256\"}",
                                      "{\"sub\":\"a\"} trailing", p));
}

TEST(huge_jws_rejected)
{
    apr_size_t huge_len = 4 * PKCE_JWS_MAX_LEN;
    char *huge = apr_palloc(p, huge_len + 1);
    char *padding = apr_palloc(p, 50001);
    const char *payload;
    const char *token;
    pkce_err_t err;

    memset(huge, 'a', huge_len);
    huge[100] = '.';
    huge[200] = '.';
    huge[huge_len] = '\0';
    check_malformed(p, failed, huge);
    /* One byte over the limit. */
    huge[PKCE_JWS_MAX_LEN + 1] = '\0';
    check_malformed(p, failed, huge);

    /* A validly signed token over the limit is rejected before parsing. */
    memset(padding, 'x', 50000);
    padding[50000] = '\0';
    payload = apr_psprintf(p, "{\"sub\":\"alice\",\"pad\":\"%s\"}", padding);
    token = make_token("RS256", 0, "k1", payload, p);
    CHECK(strlen(token) > PKCE_JWS_MAX_LEN);
    check_malformed(p, failed, token);

    /* One under the limit verifies. */
    padding[40000] = '\0';
    payload = apr_psprintf(p, "{\"sub\":\"alice\",\"pad\":\"%s\"}", padding);
    token = make_token("RS256", 0, "k1", payload, p);
    CHECK(strlen(token) <= PKCE_JWS_MAX_LEN);
    CHECK(verify_token(&err, token, make_jwks("RS256", 0, "k1", p), NULL, p)
          == APR_SUCCESS);
}

TEST(no_kid_single_key_verifies)
{
    pkce_err_t err;

    CHECK(verify_token(&err, make_token("ES256", 0, NULL, PAYLOAD, p),
                       make_jwks("ES256", 0, "k1", p), NULL, p)
          == APR_SUCCESS);
    CHECK(verify_token(&err, make_token("RS256", 0, NULL, PAYLOAD, p),
                       make_jwks("RS256", 0, NULL, p), NULL, p)
          == APR_SUCCESS);
    /* No key of the right type: no_key, so the caller may refetch. */
    CHECK(verify_token(&err, make_token("ES256", 0, NULL, PAYLOAD, p),
                       make_jwks("RS256", 0, "k1", p), NULL, p)
          == PKCE_ENOKEY);
    CHECK_STR(err.reason, "no_key");
}

TEST(no_kid_tries_every_fitting_key)
{
    json_t *keys = json_array();
    const char *jwks;
    pkce_err_t err;

    json_array_append_new(keys, jose_key_jwk(test_key("P-256", 1), "a", NULL,
                                             NULL));
    json_array_append_new(keys, jose_key_jwk(test_key("RSA", 0), "b", NULL,
                                             NULL));
    json_array_append_new(keys, jose_key_jwk(test_key("P-256", 0), "c", NULL,
                                             NULL));
    jwks = jose_jwks_text(keys, p);
    CHECK(verify_token(&err, make_token("ES256", 0, NULL, PAYLOAD, p), jwks,
                       NULL, p) == APR_SUCCESS);
    CHECK(verify_token(&err, make_token("ES256", 2, NULL, PAYLOAD, p), jwks,
                       NULL, p) == PKCE_EVERIFY);
    CHECK_STR(err.reason, "bad_signature");
}

/* JWKS text of `bad` (a JWK as JSON text) followed by the good RSA key
 * "good"; the parsed set must hold only "good". */
static void check_skipped(apr_pool_t *p, int *failed, const char *bad)
{
    json_t *good = jose_key_jwk(test_key("RSA", 0), "good", "sig", NULL);
    char *good_text = json_dumps(good, JSON_COMPACT);
    const char *json = apr_psprintf(p, "{\"keys\":[%s,%s]}", bad, good_text);
    pkce_jwks_t *jwks = parse_jwks(json, failed, p);

    free(good_text);
    json_decref(good);
    if (jwks == NULL) {
        return;
    }
    CHECK(jwks->keys->nelts == 1);
    if (jwks->keys->nelts == 1) {
        CHECK_STR(APR_ARRAY_IDX(jwks->keys, 0, pkce_jwk_t *)->kid, "good");
    }
    else {
        printf("#   kept %d keys from: %.120s\n", jwks->keys->nelts, bad);
    }
}

/* A JWK of `type` key slot `slot` as JSON text. */
static const char *jwk_text(const char *type, int slot, const char *kid,
                            const char *use, apr_pool_t *p)
{
    json_t *jwk = jose_key_jwk(test_key(type, slot), kid, use, NULL);
    char *text = json_dumps(jwk, JSON_COMPACT);
    const char *copy = apr_pstrdup(p, text);

    free(text);
    json_decref(jwk);
    return copy;
}

TEST(jwks_skips_enc_key)
{
    pkce_err_t err;

    check_skipped(p, failed, jwk_text("RSA", 1, "enc", "enc", p));
    check_skipped(p, failed, jwk_text("P-256", 1, "enc", "enc", p));
    check_skipped(p, failed, jwk_text("RSA", 1, "odd", "SIG", p));
    /* A token naming the skipped key finds no such kid. */
    CHECK(verify_token(&err, make_token("RS256", 1, "enc", PAYLOAD, p),
                       apr_psprintf(p, "{\"keys\":[%s]}",
                                    jwk_text("RSA", 1, "enc", "enc", p)),
                       NULL, p) == PKCE_ENOKEY);
    CHECK_STR(err.reason, "unknown_kid");
}

TEST(jwks_skips_small_rsa)
{
    const jose_key_t *small = test_key("RSA-1024", 0);
    pkce_err_t err;

    CHECK(small != NULL);
    check_skipped(p, failed, jwk_text("RSA-1024", 0, "small", "sig", p));
    CHECK(verify_token(&err, jose_sign(small, "RS256",
                                       header_for("RS256", "small", p),
                                       PAYLOAD, p),
                       apr_psprintf(p, "{\"keys\":[%s]}",
                                    jwk_text("RSA-1024", 0, "small", NULL,
                                             p)),
                       NULL, p) == PKCE_ENOKEY);
    CHECK_STR(err.reason, "unknown_kid");
}

TEST(jwks_skips_unknown_kty)
{
    check_skipped(p, failed,
                  "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}");
    check_skipped(p, failed, "{\"kty\":\"DSA\",\"kid\":\"d\"}");
    check_skipped(p, failed, "{\"kty\":\"rsa\",\"kid\":\"r\"}");
    check_skipped(p, failed, "{\"kid\":\"none\"}");
    check_skipped(p, failed,
                  "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"kid\":\"e\",\"x\":"
                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                  "AAAAAAAAAAAAAAAAAAA\"}");
    check_skipped(p, failed,
                  "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"x\",\"x\":"
                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
    check_skipped(p, failed,
                  "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"kid\":\"k\","
                  "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                  "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
}

/* The P-256 JWK of slot 0 with member `name` replaced by `value`. */
static const char *jwk_with(const char *name, json_t *value, apr_pool_t *p)
{
    json_t *jwk = jose_key_jwk(test_key("P-256", 0), "bad", NULL, NULL);
    char *text;
    const char *copy;

    if (value == NULL) {
        json_object_del(jwk, name);
    }
    else {
        json_object_set_new(jwk, name, value);
    }
    text = json_dumps(jwk, JSON_COMPACT);
    copy = apr_pstrdup(p, text);
    free(text);
    json_decref(jwk);
    return copy;
}

TEST(jwks_skips_garbage)
{
    json_t *jwk = jose_key_jwk(test_key("P-256", 0), NULL, NULL, NULL);
    const char *y = json_string_value(json_object_get(jwk, "y"));
    unsigned char *y_bytes;
    apr_size_t y_len;

    check_skipped(p, failed, "42");
    check_skipped(p, failed, "\"key\"");
    check_skipped(p, failed, "null");
    check_skipped(p, failed, "[]");
    check_skipped(p, failed, "{}");
    check_skipped(p, failed, "{\"kty\":42}");
    check_skipped(p, failed, "{\"kty\":\"RSA\",\"kid\":\"n\",\"e\":\"AQAB\"}");
    check_skipped(p, failed, "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}");
    check_skipped(p, failed, "{\"kty\":\"RSA\",\"n\":\"!!!!\",\"e\":\"AQAB\"}");
    check_skipped(p, failed, jwk_with("kid", json_integer(5), p));
    check_skipped(p, failed, jwk_with("use", json_true(), p));
    check_skipped(p, failed, jwk_with("alg", json_null(), p));
    check_skipped(p, failed, jwk_with("crv", NULL, p));
    check_skipped(p, failed, jwk_with("crv", json_string("P-384"), p));
    check_skipped(p, failed, jwk_with("x", NULL, p));
    check_skipped(p, failed, jwk_with("x", json_string("AAAA"), p));
    check_skipped(p, failed, jwk_with("y", json_string("AA=="), p));
    check_skipped(p, failed, jwk_with("y", json_string(""), p));

    /* A point off the curve: y with its lowest bit flipped. */
    CHECK(pkce_b64url_decode(&y_bytes, &y_len, y, strlen(y), p)
          == APR_SUCCESS);
    y_bytes[y_len - 1] ^= 0x01;
    check_skipped(p, failed,
                  jwk_with("y", json_string(pkce_b64url_encode(y_bytes, y_len,
                                                               p)), p));
    json_decref(jwk);
}

TEST(jwks_not_json_fails)
{
    static const char *const docs[] = {
        "", "not json", "[1,2]", "\"keys\"", "{}", "{\"keys\":{}}",
        "{\"keys\":\"x\"}", "{\"keys\":null}", "{\"keys\":[]",
        "{\"keys\":[],\"keys\":[]}",
    };
    pkce_jwks_t *jwks;
    pkce_err_t err;
    apr_size_t i;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        jwks = (pkce_jwks_t *)p;
        pkce_err_clear(&err);
        CHECK(pkce_jwks_parse(&jwks, docs[i], strlen(docs[i]), &err, p)
              == PKCE_EINVAL);
        CHECK(jwks == NULL);
        CHECK_STR(err.reason, "malformed_jwks");
    }
    CHECK(pkce_jwks_parse(&jwks, NULL, 0, &err, p) == PKCE_EINVAL);
}

TEST(jwks_empty_keys_parses)
{
    pkce_jwks_t *jwks = parse_jwks("{\"keys\":[]}", failed, p);

    CHECK(jwks != NULL);
    if (jwks != NULL) {
        CHECK(jwks->keys->nelts == 0);
    }
}

TEST(jwks_key_fields)
{
    json_t *keys = json_array();
    pkce_jwks_t *jwks;
    pkce_jwk_t *key;

    json_array_append_new(keys, jose_key_jwk(test_key("RSA", 0), "r",
                                             "sig", "RS256"));
    json_array_append_new(keys, jose_key_jwk(test_key("P-384", 0), "e",
                                             NULL, NULL));
    json_array_append_new(keys, jose_key_jwk(test_key("Ed25519", 0), NULL,
                                             NULL, "EdDSA"));
    jwks = parse_jwks(jose_jwks_text(keys, p), failed, p);
    if (jwks == NULL) {
        return;
    }
    CHECK(jwks->keys->nelts == 3);
    if (jwks->keys->nelts != 3) {
        return;
    }
    key = APR_ARRAY_IDX(jwks->keys, 0, pkce_jwk_t *);
    CHECK_STR(key->kid, "r");
    CHECK_STR(key->kty, "RSA");
    CHECK_STR(key->use, "sig");
    CHECK_STR(key->alg, "RS256");
    CHECK(key->crv == NULL);
    CHECK(EVP_PKEY_get_bits(key->pkey) == 2048);
    key = APR_ARRAY_IDX(jwks->keys, 1, pkce_jwk_t *);
    CHECK_STR(key->kid, "e");
    CHECK_STR(key->kty, "EC");
    CHECK_STR(key->crv, "P-384");
    CHECK(key->use == NULL);
    CHECK(key->alg == NULL);
    CHECK(EVP_PKEY_eq(key->pkey, test_key("P-384", 0)->pkey) == 1);
    key = APR_ARRAY_IDX(jwks->keys, 2, pkce_jwk_t *);
    CHECK(key->kid == NULL);
    CHECK_STR(key->kty, "OKP");
    CHECK_STR(key->crv, "Ed25519");
    CHECK_STR(key->alg, "EdDSA");
    CHECK(EVP_PKEY_eq(key->pkey, test_key("Ed25519", 0)->pkey) == 1);
}

TEST(jwks_keeps_max_keys)
{
    json_t *keys = json_array();
    pkce_jwks_t *jwks;
    int i;

    for (i = 0; i < PKCE_JWKS_MAX_KEYS + 6; i++) {
        json_array_append_new(keys,
                              jose_key_jwk(test_key("P-256", 0),
                                           apr_psprintf(p, "k%d", i), NULL,
                                           NULL));
    }
    jwks = parse_jwks(jose_jwks_text(keys, p), failed, p);
    if (jwks == NULL) {
        return;
    }
    CHECK(jwks->keys->nelts == PKCE_JWKS_MAX_KEYS);
    if (jwks->keys->nelts == PKCE_JWKS_MAX_KEYS) {
        CHECK_STR(APR_ARRAY_IDX(jwks->keys, PKCE_JWKS_MAX_KEYS - 1,
                                pkce_jwk_t *)->kid,
                  apr_psprintf(p, "k%d", PKCE_JWKS_MAX_KEYS - 1));
    }
}

TEST(jwks_freed_with_parse_pool)
{
    const char *json = make_jwks("ES256", 0, "k1", p);
    const char *token = make_token("ES256", 0, "k1", PAYLOAD, p);
    apr_pool_t *sub;
    pkce_jwks_t *jwks;
    pkce_jws_t *jws;
    pkce_jws_keys_t keys = { NULL, NULL, 0 };
    pkce_err_t err;

    /* The keys work until their pool goes; LeakSanitizer then reports any
     * EVP_PKEY or json_t that the pool did not free. */
    CHECK(apr_pool_create(&sub, p) == APR_SUCCESS);
    CHECK(pkce_jwks_parse(&jwks, json, strlen(json), &err, sub)
          == APR_SUCCESS);
    CHECK(pkce_jws_parse(&jws, token, &err, sub) == APR_SUCCESS);
    keys.jwks = jwks;
    CHECK(pkce_jws_verify(jws, &keys, &err, sub) == APR_SUCCESS);
    apr_pool_destroy(sub);
}

static const tap_case_t cases[] = {
    ALG_CASES(rs256), ALG_CASES(rs384), ALG_CASES(rs512),
    ALG_CASES(ps256), ALG_CASES(ps384), ALG_CASES(ps512),
    ALG_CASES(es256), ALG_CASES(es384), ALG_CASES(es512),
    ALG_CASES(eddsa),
    ALG_CASES(hs256), ALG_CASES(hs384), ALG_CASES(hs512),
    TAP_CASE(alg_none_rejected),
    TAP_CASE(alg_unknown_or_miscased_rejected),
    TAP_CASE(hs256_public_key_secret_rejected),
    TAP_CASE(hs256_client_secret_with_jwks),
    TAP_CASE(hs256_empty_secret_rejected),
    TAP_CASE(hs256_truncated_mac_fails),
    TAP_CASE(unknown_kid_gives_enokey),
    TAP_CASE(kid_of_wrong_key_type_gives_no_key),
    TAP_CASE(jwk_alg_must_equal_header_alg),
    TAP_CASE(rsa_padding_confusion_fails),
    TAP_CASE(rs256_signature_length_must_match),
    TAP_CASE(ps256_signature_length_must_match),
    TAP_CASE(crit_header_rejected),
    TAP_CASE(embedded_key_headers_ignored),
    TAP_CASE(embedded_ec_key_without_jwks_key),
    TAP_CASE(es_signature_wrong_length_fails),
    TAP_CASE(es512_65_byte_coordinates_fail),
    TAP_CASE(es_zero_signature_fails),
    TAP_CASE(malformed_jws_rejected),
    TAP_CASE(huge_jws_rejected),
    TAP_CASE(no_kid_single_key_verifies),
    TAP_CASE(no_kid_tries_every_fitting_key),
    TAP_CASE(jwks_skips_enc_key),
    TAP_CASE(jwks_skips_small_rsa),
    TAP_CASE(jwks_skips_unknown_kty),
    TAP_CASE(jwks_skips_garbage),
    TAP_CASE(jwks_not_json_fails),
    TAP_CASE(jwks_empty_keys_parses),
    TAP_CASE(jwks_key_fields),
    TAP_CASE(jwks_keeps_max_keys),
    TAP_CASE(jwks_freed_with_parse_pool),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
