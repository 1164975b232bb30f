/*
 * test_b64.c: base64url encoding and strict decoding.
 */
#include "pkce_b64.h"
#include "tap.h"

/* RFC 4648 section 10 vectors, in the URL-safe alphabet without padding. */
TEST(encode_rfc4648_vectors)
{
    static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    int i;

    for (i = 0; i < 7; i++) {
        CHECK_STR(pkce_b64url_encode((const unsigned char *)in[i], strlen(in[i]), p), out[i]);
    }
}

TEST(encode_uses_url_alphabet)
{
    const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };

    CHECK_STR(pkce_b64url_encode(bytes, 3, p), "-_-_");
}

TEST(decode_round_trip_all_lengths)
{
    unsigned char data[40], *out;
    apr_size_t len, n;

    for (n = 0; n < sizeof(data); n++) {
        data[n] = (unsigned char)(n * 37 + 11);
    }
    for (n = 0; n <= sizeof(data); n++) {
        char *text = pkce_b64url_encode(data, n, p);
        CHECK(pkce_b64url_decode(&out, &len, text, strlen(text), p) == APR_SUCCESS);
        CHECK(len == n);
        CHECK(memcmp(out, data, n) == 0);
    }
}

TEST(decode_rejects_padding_and_foreign_chars)
{
    static const char *const bad[] = { "Zg==", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9v\n", "Z", "Zm9vY" };
    unsigned char *out;
    apr_size_t len;
    int i;

    for (i = 0; i < 7; i++) {
        CHECK(pkce_b64url_decode(&out, &len, bad[i], strlen(bad[i]), p) == PKCE_EINVAL);
        CHECK(out == NULL);
    }
}

TEST(decode_rejects_nonzero_trailing_bits)
{
    unsigned char *out;
    apr_size_t len;

    /* "Zh" decodes to "f" only if the 4 leftover bits are ignored. */
    CHECK(pkce_b64url_decode(&out, &len, "Zh", 2, p) == PKCE_EINVAL);
    CHECK(pkce_b64url_decode(&out, &len, "Zg", 2, p) == APR_SUCCESS);
}

TEST(decode_stops_at_given_length)
{
    unsigned char *out;
    apr_size_t len;

    CHECK(pkce_b64url_decode(&out, &len, "Zm9v!!!", 4, p) == APR_SUCCESS);
    CHECK_STR((char *)out, "foo");
}

static const tap_case_t cases[] = {
    TAP_CASE(encode_rfc4648_vectors),
    TAP_CASE(encode_uses_url_alphabet),
    TAP_CASE(decode_round_trip_all_lengths),
    TAP_CASE(decode_rejects_padding_and_foreign_chars),
    TAP_CASE(decode_rejects_nonzero_trailing_bits),
    TAP_CASE(decode_stops_at_given_length),
    { NULL, NULL }
};

int main(void)
{
    return tap_run(cases);
}
