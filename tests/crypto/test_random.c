/*
 * test_random.c - src/crypto/random.c: cs_random fills the whole buffer
 * with fresh bytes (RFC 5246 §7.4.1.2 client/server random, RFC 6347
 * §4.2.1 cookie secrets) and rejects a NULL buffer; cs_random_nonce (the
 * buffered generator for public values: RFC 7252 §5.3.1 tokens, §4.4 message
 * IDs) never hands out a byte twice, not across a refill and not to both
 * sides of a fork.
 */
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coapsec/common.h"
#include "crypto/crypto.h"

/* Two 32-byte draws differ (a false failure has probability 2^-256), and
 * every byte of a buffer is written: the chance that a given byte of a
 * 4096-byte draw keeps the 0xEE sentinel in all of 8 draws is 2^-64. */
static void test_random_fills_and_differs(void **state) {
    (void)state;
    uint8_t a[32], b[32];
    assert_int_equal(cs_random(a, sizeof(a)), 0);
    assert_int_equal(cs_random(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    static uint8_t big[4096];
    static int touched[4096];
    for (int round = 0; round < 8; round++) {
        memset(big, 0xEE, sizeof(big));
        assert_int_equal(cs_random(big, sizeof(big)), 0);
        for (size_t i = 0; i < sizeof(big); i++)
            if (big[i] != 0xEE)
                touched[i] = 1;
    }
    for (size_t i = 0; i < sizeof(big); i++)
        assert_true(touched[i]);
}

static void test_random_arguments(void **state) {
    (void)state;
    uint8_t one = 0xEE;
    assert_int_equal(cs_random(&one, 0), 0);
    assert_int_equal(one, 0xEE); /* nothing written */
    assert_int_equal(cs_random(NULL, 0), 0);
    assert_int_equal(cs_random(NULL, 1), COAPSEC_ERR_INVAL);
}

/* Consecutive draws, across several refills of the per-thread buffer, are
 * all different (each byte is handed out once); lengths that do not divide
 * the buffer, and lengths above the buffered size, work too. */
static void test_nonce_never_repeats(void **state) {
    (void)state;
    enum { N = 200 };
    static uint8_t d[N][24];
    for (int i = 0; i < N; i++) {
        memset(d[i], 0, sizeof d[i]);
        assert_int_equal(cs_random_nonce(d[i], sizeof d[i]), 0);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(d[i], d[j], sizeof d[i]);
    }
    uint8_t big[300], big2[300];
    assert_int_equal(cs_random_nonce(big, sizeof big), 0);
    assert_int_equal(cs_random_nonce(big2, sizeof big2), 0);
    assert_memory_not_equal(big, big2, sizeof big);
    uint8_t one = 0xEE;
    assert_int_equal(cs_random_nonce(&one, 0), 0);
    assert_int_equal(one, 0xEE);
    assert_int_equal(cs_random_nonce(NULL, 0), 0);
    assert_int_equal(cs_random_nonce(NULL, 1), COAPSEC_ERR_INVAL);
}

/* After a fork, parent and child draw different bytes: the child must not
 * hand out what is left in the parent's buffer (a copy of it). */
static void test_nonce_fork_differs(void **state) {
    (void)state;
    uint8_t warm[8];
    assert_int_equal(cs_random_nonce(warm, sizeof warm), 0); /* buffer now full */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t c[32];
        int ok = cs_random_nonce(c, sizeof c) == 0 && write(fds[1], c, sizeof c) == sizeof c;
        _exit(ok ? 0 : 1);
    }
    uint8_t p[32], c[32];
    assert_int_equal(cs_random_nonce(p, sizeof p), 0);
    assert_int_equal(read(fds[0], c, sizeof c), (ssize_t)sizeof c);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fds[0]);
    close(fds[1]);
    assert_memory_not_equal(p, c, sizeof p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_fills_and_differs),
        cmocka_unit_test(test_random_arguments),
        cmocka_unit_test(test_nonce_never_repeats),
        cmocka_unit_test(test_nonce_fork_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
