/*
 * bench/report.c - the load generator's output: a text summary for people and
 * a flat JSON object (--json FILE) for bench/run.sh. Figures that were not
 * measured (negative values) are written as null.
 */
#include <stdio.h>
#include <string.h>

#include "lg.h"

static void num(FILE *f, const char *key, double v, int last) {
    if (v < 0)
        fprintf(f, "  \"%s\": null%s\n", key, last ? "" : ",");
    else
        fprintf(f, "  \"%s\": %.3f%s\n", key, v, last ? "" : ",");
}

static void cnt(FILE *f, const char *key, uint64_t v) {
    fprintf(f, "  \"%s\": %llu,\n", key, (unsigned long long)v);
}

/* JSON string: the values come from our own options; escape the few
 * characters that would break the document anyway. */
static void str(FILE *f, const char *key, const char *v) {
    fprintf(f, "  \"%s\": \"", key);
    for (const char *p = v ? v : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputs("\",\n", f);
}

void lg_report_text(const lg_result *r, FILE *f) {
    const char *unit = strstr(r->mode, "handshake") ? "handshakes/s" : "req/s";
    fprintf(f, "%s %s: %u sessions (%u active), window %u, %.2f s\n", r->mode, r->uri, r->sessions,
            r->active, r->window, r->duration_s);
    if (r->rate_per_s < 0) {
        fprintf(f, "  rate: null (%s)\n", r->status);
        return;
    }
    fprintf(f, "  rate: %.0f %s  (ok %llu, errors %llu, timeouts %llu, retransmissions %llu)\n",
            r->rate_per_s, unit, (unsigned long long)r->ok, (unsigned long long)r->errors,
            (unsigned long long)r->timeouts, (unsigned long long)r->retransmissions);
    fprintf(f, "  latency: p50 %.0f us, p99 %.0f us, max %.0f us\n", r->p50_us, r->p99_us,
            r->max_us);
    if (r->establish_s >= 0)
        fprintf(f, "  sessions: %llu established, %llu failed in %.2f s (%.0f handshakes/s)\n",
                (unsigned long long)r->established, (unsigned long long)r->failed, r->establish_s,
                r->establish_per_s);
    if (r->alive >= 0)
        fprintf(f, "  sessions answering before the hold: %lld\n", (long long)r->alive);
    if (r->full_handshakes >= 0)
        fprintf(f, "  full handshakes (not abbreviated, each slot's first included): %lld\n",
                (long long)r->full_handshakes);
    if (r->handshake_bytes >= 0)
        fprintf(f, "  handshake bytes on the wire: %.0f per handshake (UDP payload, both ways)\n",
                r->handshake_bytes);
    fprintf(f, "  datagrams: %llu out, %llu in, %llu dropped at send\n",
            (unsigned long long)r->dgrams_out, (unsigned long long)r->dgrams_in,
            (unsigned long long)r->send_drops);
    fprintf(f, "  load generator CPU: %.2f s (%.0f %% of one core)\n", r->cpu_s, r->cpu_pct);
}

int lg_report_json(const lg_result *r, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\n", f);
    str(f, "mode", r->mode);
    str(f, "uri", r->uri);
    str(f, "status", r->status);
    cnt(f, "sessions", r->sessions);
    cnt(f, "active", r->active);
    cnt(f, "window", r->window);
    num(f, "duration_s", r->duration_s, 0);
    num(f, "rate_per_s", r->rate_per_s, 0);
    cnt(f, "ok", r->ok);
    cnt(f, "errors", r->errors);
    cnt(f, "timeouts", r->timeouts);
    cnt(f, "retransmissions", r->retransmissions);
    num(f, "p50_us", r->p50_us, 0);
    num(f, "p99_us", r->p99_us, 0);
    num(f, "max_us", r->max_us, 0);
    cnt(f, "established", r->established);
    cnt(f, "failed", r->failed);
    if (r->alive < 0)
        fputs("  \"alive\": null,\n", f);
    else
        cnt(f, "alive", (uint64_t)r->alive);
    num(f, "establish_s", r->establish_s, 0);
    num(f, "establish_per_s", r->establish_per_s, 0);
    cnt(f, "handshakes", r->handshakes);
    if (r->full_handshakes < 0)
        fputs("  \"full_handshakes\": null,\n", f);
    else
        cnt(f, "full_handshakes", (uint64_t)r->full_handshakes);
    num(f, "handshake_bytes", r->handshake_bytes, 0);
    cnt(f, "dgrams_out", r->dgrams_out);
    cnt(f, "dgrams_in", r->dgrams_in);
    cnt(f, "send_drops", r->send_drops);
    num(f, "loadgen_cpu_s", r->cpu_s, 0);
    num(f, "loadgen_cpu_pct", r->cpu_pct, 1);
    fputs("}\n", f);
    if (f != stdout)
        return fclose(f) == 0 ? 0 : -1;
    fflush(f);
    return 0;
}
