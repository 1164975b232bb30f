/*
 * fuzz_inputs.c: a libFuzzer target that feeds one input to every parser
 * of network input in libpkce. The first byte picks the parser, the rest
 * is the input. Build and run with t/fuzz/run (clang's libFuzzer).
 */
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "pkce_claims.h"
#include "pkce_jose.h"
#include "pkce_provider.h"
#include "pkce_seal.h"
#include "pkce_session.h"
#include "pkce_state.h"
#include "pkce_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;
static pkce_seal_keys_t *keys;

static int count_cookie(void *baton, const char *name, apr_size_t name_len,
                        const char *value, apr_size_t value_len)
{
    (*(int *)baton)++;
    return 1;
}

static void setup(void)
{
    apr_array_header_t *list;

    apr_initialize();
    apr_pool_create(&root, NULL);
    list = apr_array_make(root, 1, sizeof(const char *));
    APR_ARRAY_PUSH(list, const char *) = "fuzzing passphrase, long enough to use";
    pkce_seal_keys_make(&keys, list, NULL, root);
}

static void fuzz_one(int which, const char *text, apr_size_t len, apr_pool_t *p)
{
    const char *value;
    pkce_jws_t *jws;
    pkce_jwks_t *jwks;
    pkce_session_t *session;
    pkce_login_t *login;
    pkce_provider_t *prov;
    pkce_claims_expect_t expect = { "https://op/", "client", "n", 1000, 60 };
    char *plain;
    apr_size_t plain_len;
    int n = 0;

    switch (which % 9) {
    case 0: pkce_query_get(&value, text, "state", p); break;
    case 1: pkce_cookie_each(text, count_cookie, &n); break;
    case 2:
        if (pkce_jws_parse(&jws, text, NULL, p) == APR_SUCCESS) {
            pkce_claims_check_id_token(jws->payload, &expect, NULL);
            pkce_claims_text(jws->payload, "sub", p);
        }
        break;
    case 3: pkce_jwks_parse(&jwks, text, len, NULL, p); break;
    case 4: pkce_unseal(&plain, &plain_len, keys, "session", text, len, p); break;
    case 5: pkce_session_decode(&session, text, len, 1000, p); break;
    case 6: pkce_login_decode(&login, text, len, "s", 1000, 300, p); break;
    case 7: pkce_provider_parse_discovery(&prov, text, len, "https://op/", NULL, p); break;
    default: pkce_url_is_local_path(text); pkce_url_check_absolute(text, NULL, p); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *text;

    if (root == NULL) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    fuzz_one(data[0], text, strlen(text), p);
    apr_pool_destroy(p);
    return 0;
}
