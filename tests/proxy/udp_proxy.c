/*
 * udp_proxy.c - a seeded UDP impairment proxy for end-to-end loss tests
 * (tests/interop/test_loss_*.sh). It listens on a loopback port, forwards
 * every client's datagrams to one target from a socket of its own per client
 * (so the server sees each client as a distinct address, as without the
 * proxy) and sends the answers back to the client it remembered. Each
 * direction (up = client -> target, down = target -> client) has its own
 * loss, duplication, reordering and delay, drawn from one seeded PRNG.
 *
 *   udp_proxy --listen PORT --target HOST:PORT [--seed N]
 *             [--loss P] [--dup P] [--reorder P] [--delay MS] [--jitter MS]
 *             [--loss-up P] [--loss-down P] [--dup-up P] [--dup-down P]
 *             [--reorder-up P] [--reorder-down P] [--delay-up MS] [--delay-down MS]
 *             [--jitter-up MS] [--jitter-down MS] [--reorder-ms MS] [--duration S]
 *
 * P is a probability 0..1. A reordered datagram is held back --reorder-ms
 * (default 30) beyond the direction's delay + jitter, so that later ones
 * overtake it. Prints "ready" once
 * listening, and at exit (SIGTERM, SIGINT or --duration) one counter line per
 * direction:
 *   up: in N forwarded N dropped N duplicated N reordered N
 * A test program, not a library: only loopback use is intended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_QUEUE   4096
#define MAX_DGRAM   65536

typedef struct dir_cfg {
    double loss, dup, reorder;
    unsigned delay_ms, jitter_ms;
} dir_cfg;

typedef struct dir_stats {
    unsigned long in, forwarded, dropped, duplicated, reordered;
} dir_stats;

typedef struct client {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int sock; /* our socket towards the target for this client */
    uint64_t last_used;
} client;

typedef struct pending {
    uint64_t due;
    int up;     /* 1: to the target, 0: to the client */
    int client; /* index into clients[] */
    size_t len;
    uint8_t *data;
} pending;

static volatile sig_atomic_t stop;
static uint64_t rng_state;
static client clients[MAX_CLIENTS];
static int nclients;
static pending queue[MAX_QUEUE];
static int nqueue;
static int lsock = -1;
static struct sockaddr_storage target;
static socklen_t targetlen;
static dir_stats st[2]; /* [1] up, [0] down */
static unsigned reorder_ms = 30;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* splitmix64 */
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int chance(double p) {
    if (p <= 0)
        return 0;
    return (double)(rng_next() >> 11) / (double)(1ull << 53) < p;
}

static unsigned below(unsigned n) {
    return n ? (unsigned)(rng_next() % n) : 0;
}

static void enqueue(int up, int ci, const uint8_t *d, size_t len, uint64_t due) {
    if (nqueue >= MAX_QUEUE) {
        st[up].dropped++;
        return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        st[up].dropped++;
        return;
    }
    memcpy(copy, d, len);
    queue[nqueue++] = (pending){due, up, ci, len, copy};
}

/* Apply the direction's impairments to one datagram. */
static void impair(const dir_cfg *cfg, int up, int ci, const uint8_t *d, size_t len) {
    dir_stats *s = &st[up];
    s->in++;
    if (chance(cfg->loss)) {
        s->dropped++;
        return;
    }
    int copies = chance(cfg->dup) ? 2 : 1;
    if (copies == 2)
        s->duplicated++;
    for (int i = 0; i < copies; i++) {
        uint64_t due = now_ms() + cfg->delay_ms + below(cfg->jitter_ms + 1);
        if (chance(cfg->reorder)) {
            s->reordered++;
            due += cfg->delay_ms + cfg->jitter_ms + reorder_ms;
        }
        enqueue(up, ci, d, len, due);
    }
}

static void flush_due(uint64_t now) {
    for (int i = 0; i < nqueue;) {
        pending *p = &queue[i];
        if (p->due > now) {
            i++;
            continue;
        }
        client *c = &clients[p->client];
        ssize_t r;
        if (p->up)
            r = sendto(c->sock, p->data, p->len, 0, (struct sockaddr *)&target, targetlen);
        else
            r = sendto(lsock, p->data, p->len, 0, (struct sockaddr *)&c->addr, c->addrlen);
        if (r >= 0)
            st[p->up].forwarded++;
        else
            st[p->up].dropped++;
        free(p->data);
        /* keep the order of the rest: equal due times leave in arrival order */
        memmove(&queue[i], &queue[i + 1], (size_t)(nqueue - i - 1) * sizeof queue[0]);
        nqueue--;
    }
}

static int next_timeout(uint64_t now) {
    if (nqueue == 0)
        return 100;
    uint64_t m = UINT64_MAX;
    for (int i = 0; i < nqueue; i++)
        if (queue[i].due < m)
            m = queue[i].due;
    return m <= now ? 0 : (int)(m - now > 100 ? 100 : m - now);
}

/* The client slot for an address: existing, free, or the least recently used. */
static int client_for(const struct sockaddr_storage *a, socklen_t alen) {
    for (int i = 0; i < nclients; i++)
        if (clients[i].addrlen == alen && memcmp(&clients[i].addr, a, alen) == 0) {
            clients[i].last_used = now_ms();
            return i;
        }
    int i = nclients;
    if (nclients == MAX_CLIENTS) {
        i = 0;
        for (int k = 1; k < nclients; k++)
            if (clients[k].last_used < clients[i].last_used)
                i = k;
        close(clients[i].sock);
        /* datagrams still queued for the old client go nowhere useful: drop them */
        for (int k = 0; k < nqueue;) {
            if (queue[k].client == i) {
                st[queue[k].up].dropped++;
                free(queue[k].data);
                memmove(&queue[k], &queue[k + 1], (size_t)(nqueue - k - 1) * sizeof queue[0]);
                nqueue--;
            } else {
                k++;
            }
        }
    } else {
        nclients++;
    }
    int s = socket(target.ss_family, SOCK_DGRAM, 0);
    if (s < 0) {
        perror("udp_proxy: socket");
        exit(2);
    }
    clients[i].sock = s;
    memcpy(&clients[i].addr, a, alen);
    clients[i].addrlen = alen;
    clients[i].last_used = now_ms();
    return i;
}

static int usage(void) {
    fprintf(stderr,
            "usage: udp_proxy --listen PORT --target HOST:PORT [--seed N]\n"
            "  [--loss P] [--dup P] [--reorder P] [--delay MS] [--jitter MS]  (both directions)\n"
            "  [--loss-up P] [--loss-down P] [--dup-up P] [--dup-down P] [--reorder-up P]\n"
            "  [--reorder-down P] [--delay-up MS] [--delay-down MS] [--jitter-up MS]\n"
            "  [--jitter-down MS] [--reorder-ms MS] [--duration S]\n"
            "up = client -> target, down = target -> client; P in 0..1.\n");
    return 2;
}

static int parse_prob(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (*s == 0 || *end != 0 || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == 0 || *end != 0 || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    dir_cfg dc[2]; /* [1] up, [0] down */
    memset(dc, 0, sizeof dc);
    unsigned long listen_port = 0, seed = 1, duration = 0, v;
    const char *tgt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc)
            return usage();
        const char *a = argv[++i];
        int both = 0, up = -1;
        const char *base = o;
        char name[32];
        size_t ol = strlen(o);
        if (ol > 3 && strcmp(o + ol - 3, "-up") == 0)
            up = 1;
        else if (ol > 5 && strcmp(o + ol - 5, "-down") == 0)
            up = 0;
        else
            both = 1;
        if (!both) {
            size_t bl = ol - (up ? 3 : 5);
            if (bl >= sizeof name)
                return usage();
            memcpy(name, o, bl);
            name[bl] = 0;
            base = name;
        }
        double p;
        if (!strcmp(o, "--listen")) {
            if (parse_uint(a, 65535, &listen_port))
                return usage();
        } else if (!strcmp(o, "--target")) {
            tgt = a;
        } else if (!strcmp(o, "--seed")) {
            if (parse_uint(a, ULONG_MAX, &seed))
                return usage();
        } else if (!strcmp(o, "--reorder-ms")) {
            if (parse_uint(a, 60000, &v))
                return usage();
            reorder_ms = (unsigned)v;
        } else if (!strcmp(o, "--duration")) {
            if (parse_uint(a, 86400, &duration))
                return usage();
        } else if (!strcmp(base, "--loss") || !strcmp(base, "--dup") ||
                   !strcmp(base, "--reorder")) {
            if (parse_prob(a, &p))
                return usage();
            for (int d = 0; d < 2; d++) {
                if (!both && d != up)
                    continue;
                if (!strcmp(base, "--loss"))
                    dc[d].loss = p;
                else if (!strcmp(base, "--dup"))
                    dc[d].dup = p;
                else
                    dc[d].reorder = p;
            }
        } else if (!strcmp(base, "--delay") || !strcmp(base, "--jitter")) {
            if (parse_uint(a, 60000, &v))
                return usage();
            for (int d = 0; d < 2; d++) {
                if (!both && d != up)
                    continue;
                if (!strcmp(base, "--delay"))
                    dc[d].delay_ms = (unsigned)v;
                else
                    dc[d].jitter_ms = (unsigned)v;
            }
        } else {
            return usage();
        }
    }
    if (!listen_port || !tgt)
        return usage();
    rng_state = seed;

    char host[256];
    const char *colon = strrchr(tgt, ':');
    if (!colon || (size_t)(colon - tgt) >= sizeof host)
        return usage();
    memcpy(host, tgt, (size_t)(colon - tgt));
    host[colon - tgt] = 0;
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = 0;
        h++;
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0) {
        fprintf(stderr, "udp_proxy: cannot resolve %s\n", tgt);
        return 2;
    }
    memcpy(&target, ai->ai_addr, ai->ai_addrlen);
    targetlen = ai->ai_addrlen;
    freeaddrinfo(ai);

    /* listen on the loopback address of the target's family */
    lsock = socket(target.ss_family, SOCK_DGRAM, 0);
    if (lsock < 0) {
        perror("udp_proxy: socket");
        return 2;
    }
    struct sockaddr_storage la;
    socklen_t lal;
    memset(&la, 0, sizeof la);
    if (target.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&la;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        s6->sin6_port = htons((uint16_t)listen_port);
        lal = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&la;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s4->sin_port = htons((uint16_t)listen_port);
        lal = sizeof *s4;
    }
    if (bind(lsock, (struct sockaddr *)&la, lal) < 0) {
        perror("udp_proxy: bind");
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready %lu -> %s seed %lu\n", listen_port, tgt, seed);

    static uint8_t buf[MAX_DGRAM];
    uint64_t end = duration ? now_ms() + duration * 1000u : UINT64_MAX;
    while (!stop && now_ms() < end) {
        struct pollfd pf[1 + MAX_CLIENTS];
        pf[0] = (struct pollfd){lsock, POLLIN, 0};
        for (int i = 0; i < nclients; i++)
            pf[1 + i] = (struct pollfd){clients[i].sock, POLLIN, 0};
        int n = poll(pf, (nfds_t)(1 + nclients), next_timeout(now_ms()));
        if (n < 0 && errno != EINTR) {
            perror("udp_proxy: poll");
            break;
        }
        if (n > 0 && (pf[0].revents & POLLIN)) {
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            ssize_t r = recvfrom(lsock, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            if (r >= 0)
                impair(&dc[1], 1, client_for(&from, fl), buf, (size_t)r);
        }
        int nc = nclients; /* client_for() above may have added one not polled */
        for (int i = 0; n > 0 && i < nc && i + 1 < (int)(sizeof pf / sizeof pf[0]); i++) {
            if (!(pf[1 + i].revents & POLLIN) || pf[1 + i].fd != clients[i].sock)
                continue;
            ssize_t r = recv(clients[i].sock, buf, sizeof buf, 0);
            if (r >= 0)
                impair(&dc[0], 0, i, buf, (size_t)r);
        }
        flush_due(now_ms());
    }
    static const char *names[2] = {"down", "up"};
    for (int d = 1; d >= 0; d--)
        printf("%s: in %lu forwarded %lu dropped %lu duplicated %lu reordered %lu\n", names[d],
               st[d].in, st[d].forwarded, st[d].dropped, st[d].duplicated, st[d].reordered);
    for (int i = 0; i < nqueue; i++)
        free(queue[i].data);
    for (int i = 0; i < nclients; i++)
        close(clients[i].sock);
    close(lsock);
    return 0;
}
