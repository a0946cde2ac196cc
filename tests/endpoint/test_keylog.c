/*
 * test_keylog.c - tests for src/endpoint/keylog.c: the NSS key log line
 * ("CLIENT_RANDOM <32-byte client random> <48-byte master secret>", hex; the
 * master secret of RFC 5246 §8.1 / RFC 7627 §4) and the key log of two real
 * endpoints on 127.0.0.1 doing DTLS-PSK handshakes (RFC 6347, RFC 4279):
 * both sides write the same line, one per handshake, the file is created
 * mode 0600 and appended to, nothing more is written once the log is
 * closed, and bad paths fail with COAPSEC_ERR_INVAL / COAPSEC_ERR_IO.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coapsec/endpoint.h"
#include "endpoint/keylog.h"

static const uint8_t KEY[] = "keylog-key-0123456789";
#define KEYLEN 20

/* NSS key log format: label, space, lower-case hex of each field. */
static void test_line_format(void **state) {
    (void)state;
    uint8_t cr[32], ms[48];
    for (int i = 0; i < 32; i++)
        cr[i] = (uint8_t)(0xA0 + i);
    for (int i = 0; i < 48; i++)
        ms[i] = (uint8_t)(i * 5);
    char want[256], *w = want;
    w += sprintf(w, "CLIENT_RANDOM ");
    for (int i = 0; i < 32; i++)
        w += sprintf(w, "%02x", cr[i]);
    *w++ = ' ';
    for (int i = 0; i < 48; i++)
        w += sprintf(w, "%02x", ms[i]);
    *w++ = '\n';
    char got[CS_KEYLOG_LINE + 1];
    size_t n = cs_keylog_line(cr, ms, got);
    assert_int_equal(n, (size_t)(w - want));
    assert_int_equal(n, CS_KEYLOG_LINE);
    assert_memory_equal(got, want, n);
}

typedef struct fixture {
    coapsec_endpoint *srv, *cli;
    uint16_t port;
    char dir[64], srv_log[96], cli_log[96];
    int established;
    coapsec_peer_id peer; /* client side: the session last established */
} fixture;

static void cli_event(void *user, const coapsec_session_event *ev) {
    fixture *f = user;
    if (ev->type == COAPSEC_SESSION_ESTABLISHED) {
        f->established++;
        f->peer = ev->peer;
    }
}

static int setup(void **state) {
    static fixture F;
    fixture *f = &F;
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/coapsec-keylog.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->srv_log, sizeof f->srv_log, "%.63s/server.keys", f->dir);
    snprintf(f->cli_log, sizeof f->cli_log, "%.63s/client.keys", f->dir);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.bind[0].security = COAPSEC_SEC_PSK;
    cfg.nbind = 1;
    cfg.keylog_file = f->srv_log; /* through the config */
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->srv), 0);
    assert_int_equal(coapsec_endpoint_set_default_psk(f->srv, KEY, KEYLEN), 0);
    f->port = coapsec_endpoint_local_port(f->srv, AF_INET);
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.session_event = cli_event;
    cfg.user = f;
    assert_int_equal(coapsec_endpoint_new(&cfg, &f->cli), 0);
    assert_int_equal(
        coapsec_endpoint_set_client_psk(f->cli, NULL, (const uint8_t *)"dev1", 4, KEY, KEYLEN), 0);
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, f->cli_log), 0); /* through the call */
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    coapsec_endpoint_free(f->cli);
    coapsec_endpoint_free(f->srv);
    unlink(f->srv_log);
    unlink(f->cli_log);
    rmdir(f->dir);
    return 0;
}

static void on_resp(void *user, int status, const coapsec_msg *m, coapsec_peer_id peer) {
    (void)m;
    (void)peer;
    int *done = user;
    *done = status == 0 ? 1 : -1;
}

/* One GET over a fresh session: the client's previous one is closed first. */
static void handshake(fixture *f) {
    int before = f->established, done = 0;
    char uri[64];
    snprintf(uri, sizeof uri, "coaps://127.0.0.1:%u/x", (unsigned)f->port);
    coapsec_msg m;
    memset(&m, 0, sizeof m);
    m.type = COAPSEC_CON;
    m.code = COAPSEC_GET;
    assert_true(coapsec_endpoint_request(f->cli, uri, &m, 0, on_resp, &done) >= 0);
    for (int i = 0; i < 400 && !done; i++) {
        assert_true(coapsec_endpoint_process(f->srv, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->cli, 5) >= 0);
    }
    assert_int_equal(done, 1);
    assert_int_equal(f->established, before + 1);
}

/* Close the client's session so that the next request handshakes again. */
static void drop_sessions(fixture *f) {
    assert_int_equal(coapsec_endpoint_close_peer(f->cli, f->peer), 0);
    for (int i = 0; i < 20; i++) {
        assert_true(coapsec_endpoint_process(f->srv, 0) >= 0);
        assert_true(coapsec_endpoint_process(f->cli, 5) >= 0);
    }
}

/* Lines of a key log file, each checked for the format; returns the count. */
static int read_lines(const char *path, char lines[][CS_KEYLOG_LINE + 1], int max) {
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    int n = 0;
    char buf[512];
    while (fgets(buf, sizeof buf, fp)) {
        assert_true(n < max);
        assert_int_equal(strlen(buf), CS_KEYLOG_LINE);
        assert_memory_equal(buf, "CLIENT_RANDOM ", 14);
        for (size_t i = 14; i < CS_KEYLOG_LINE - 1; i++)
            assert_true(i == 14 + 64
                            ? buf[i] == ' '
                            : (buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'));
        memcpy(lines[n++], buf, CS_KEYLOG_LINE + 1);
    }
    fclose(fp);
    return n;
}

/* Both ends of a session log the same client random and master secret; a
 * second handshake appends a second line with a new client random; mode 0600. */
static void test_both_sides_same_line(void **state) {
    fixture *f = *state;
    handshake(f);
    char s[4][CS_KEYLOG_LINE + 1], c[4][CS_KEYLOG_LINE + 1];
    assert_int_equal(read_lines(f->srv_log, s, 4), 1);
    assert_int_equal(read_lines(f->cli_log, c, 4), 1);
    assert_string_equal(s[0], c[0]);
    struct stat st;
    assert_int_equal(stat(f->cli_log, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->srv_log, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    drop_sessions(f);
    handshake(f);
    assert_int_equal(read_lines(f->srv_log, s, 4), 2);
    assert_int_equal(read_lines(f->cli_log, c, 4), 2);
    assert_string_equal(s[1], c[1]);
    assert_memory_not_equal(c[0] + 14, c[1] + 14, 64); /* fresh client random */
    /* (the master secret may repeat: a resumed session, RFC 5246 §7.3, keeps it;
     * Wireshark finds it by the new client random) */
}

/* NULL closes the log: later handshakes are not written. */
static void test_close_stops_logging(void **state) {
    fixture *f = *state;
    handshake(f);
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, NULL), 0);
    drop_sessions(f);
    handshake(f);
    char c[4][CS_KEYLOG_LINE + 1], s[4][CS_KEYLOG_LINE + 1];
    assert_int_equal(read_lines(f->cli_log, c, 4), 1);
    assert_int_equal(read_lines(f->srv_log, s, 4), 2); /* the server still logs */
    assert_string_equal(c[0], s[0]);
}

/* Appends to an existing file instead of truncating it. */
static void test_appends(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, NULL), 0);
    FILE *fp = fopen(f->cli_log, "w");
    assert_non_null(fp);
    fputs("# earlier content\n", fp);
    fclose(fp);
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, f->cli_log), 0);
    handshake(f);
    fp = fopen(f->cli_log, "r");
    assert_non_null(fp);
    char buf[512];
    assert_non_null(fgets(buf, sizeof buf, fp));
    assert_string_equal(buf, "# earlier content\n");
    assert_non_null(fgets(buf, sizeof buf, fp));
    assert_memory_equal(buf, "CLIENT_RANDOM ", 14);
    fclose(fp);
}

static void test_bad_paths(void **state) {
    fixture *f = *state;
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, ""), COAPSEC_ERR_INVAL);
    assert_int_equal(coapsec_endpoint_set_keylog(NULL, f->cli_log), COAPSEC_ERR_INVAL);
    char bad[128];
    snprintf(bad, sizeof bad, "%s/no/such/dir/k", f->dir);
    errno = 0;
    assert_int_equal(coapsec_endpoint_set_keylog(f->cli, bad), COAPSEC_ERR_IO);
    assert_int_equal(errno, ENOENT);
    coapsec_endpoint_config cfg;
    coapsec_endpoint_config_default(&cfg);
    cfg.bind[0].host = "127.0.0.1";
    cfg.nbind = 1;
    cfg.keylog_file = bad;
    coapsec_endpoint *ep = NULL;
    assert_int_equal(coapsec_endpoint_new(&cfg, &ep), COAPSEC_ERR_IO);
    assert_null(ep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format),
        cmocka_unit_test_setup_teardown(test_both_sides_same_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_stops_logging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
