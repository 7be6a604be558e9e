/* Unit tests for common/sha256.c: FIPS 180-4 and RFC 4231 vectors, block-boundary lengths and
 * the AK/SK signature, every expected value computed independently (openssl dgst). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"
#include "token_service.h"

static void hex_of_sha256(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char d[SHA256_DIGEST_LEN];
    sha256(data, len, d);
    hex_lower_encode(d, sizeof(d), out);
}

static void hex_of_hmac(const void *key, size_t key_len, const void *msg, size_t msg_len,
                        char out[SHA256_HEX_LEN + 1])
{
    unsigned char d[SHA256_DIGEST_LEN];
    hmac_sha256(key, key_len, msg, msg_len, d);
    hex_lower_encode(d, sizeof(d), out);
}

static void assert_sha256(const char *data, size_t len, const char *want)
{
    char hex[SHA256_HEX_LEN + 1];
    hex_of_sha256(data, len, hex);
    assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
    assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_in_odd_pieces(void **state)
{
    struct sha256_ctx ctx;
    unsigned char d[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1], chunk[997];
    size_t left = 1000000;

    memset(chunk, 'a', sizeof(chunk));
    sha256_init(&ctx);
    /* Pieces that straddle block boundaries in every possible way. */
    for (size_t n = 1; left > 0; n = n % sizeof(chunk) + 1) {
        size_t take = n < left ? n : left;
        sha256_update(&ctx, chunk, take);
        left -= take;
    }
    sha256_final(&ctx, d);
    hex_lower_encode(d, sizeof(d), hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries(void **state)
{
    char x[64];
    memset(x, 'x', sizeof(x));
    /* 55 bytes: the length fits the same block; 56: it needs another; 63 and 64 too. */
    assert_sha256(x, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    assert_sha256(x, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    assert_sha256(x, 63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2");
    assert_sha256(x, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

static void test_rfc4231(void **state)
{
    unsigned char key[131], data[50];
    char hex[SHA256_HEX_LEN + 1];

    memset(key, 0x0b, 20);
    hex_of_hmac(key, 20, "Hi There", 8, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    hex_of_hmac("Jefe", 4, "what do ya want for nothing?", 28, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    hex_of_hmac(key, 20, data, 50, hex);
    assert_string_equal(hex, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    hex_of_hmac(key, 25, data, 50, hex);
    assert_string_equal(hex, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    memset(key, 0x0c, 20);
    hex_of_hmac(key, 20, "Test With Truncation", 20, hex);
    assert_memory_equal(hex, "a3b6167473100ee06e0c796c2955552b", 32);

    memset(key, 0xaa, 131);
    hex_of_hmac(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    {
        const char *msg = "This is a test using a larger than block-size key and a larger than "
                          "block-size data. The key needs to be hashed before being used by the "
                          "HMAC algorithm.";
        hex_of_hmac(key, 131, msg, strlen(msg), hex);
        assert_string_equal(hex,
                            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
}

static void test_signed_message_is_exact(void **state)
{
    char *m = aksk_signed_message("AK", "1700000000", "alice");
    assert_non_null(m);
    assert_string_equal(m,
                        "{\"accessKey\":\"AK\",\"timestamp\":\"1700000000\",\"user\":\"alice\"}");
    free(m);
}

/* printf '%s' '{"accessKey":"AK","timestamp":"1700000000","user":"alice"}' |
 *     openssl dgst -sha256 -hmac SK */
static void test_aksk_signature_known_answer(void **state)
{
    char sig[SHA256_HEX_LEN + 1];

    assert_true(aksk_signature("SK", "AK", "1700000000", "alice", sig));
    assert_string_equal(sig, "28a1ceeb00bbd94a217477d8f2a1e4becc48f3cbaddb5560d3957ec3487a010c");

    assert_true(aksk_signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIDEXAMPLE42",
                               "1732700000", "hpc-operator", sig));
    assert_string_equal(sig, "8718679927f14501432f4fd4a568b3066362ffb28325ba5f2a35207a0b198eba");
}

/* A secret key longer than a block is hashed first (openssl -hmac with 100 'k'). */
static void test_aksk_signature_long_secret(void **state)
{
    char sig[SHA256_HEX_LEN + 1], key[101];

    memset(key, 'k', 100);
    key[100] = '\0';
    assert_true(aksk_signature(key, "AK", "1700000000", "alice", sig));
    assert_string_equal(sig, "96701ef652a6658bae226208a77c7e4fe498450f7bc9ae94735804ab38546063");
}

static void test_signature_depends_on_every_input(void **state)
{
    char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

    assert_true(aksk_signature("SK", "AK", "1700000000", "alice", a));
    assert_true(aksk_signature("SK", "AK", "1700000001", "alice", b));
    assert_string_not_equal(a, b);
    assert_true(aksk_signature("SK", "AK", "1700000000", "alicf", b));
    assert_string_not_equal(a, b);
    assert_true(aksk_signature("SK", "AL", "1700000000", "alice", b));
    assert_string_not_equal(a, b);
    assert_true(aksk_signature("SL", "AK", "1700000000", "alice", b));
    assert_string_not_equal(a, b);
}

static void test_hex_encoding(void **state)
{
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[13];
    hex_lower_encode(in, sizeof(in), out);
    assert_string_equal(out, "00017f80abff");
    hex_lower_encode(in, 0, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_million_a_in_odd_pieces),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_rfc4231),
        cmocka_unit_test(test_signed_message_is_exact),
        cmocka_unit_test(test_aksk_signature_known_answer),
        cmocka_unit_test(test_aksk_signature_long_secret),
        cmocka_unit_test(test_signature_depends_on_every_input),
        cmocka_unit_test(test_hex_encoding),
    };
    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
