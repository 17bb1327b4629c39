/*
 * Reference DTMF receiver for dtmfguard's benchmark and tests: spandsp's dtmf_rx (libspandsp-dev).
 *
 *   spandsp-dtmf-rx FILE [N [CHUNK]]
 *
 * FILE holds 8 kHz signed 16-bit little-endian mono samples (no header). The first pass feeds the
 * file one sample at a time so the realtime callback pins each digit's on and off decisions to a
 * sample index; then N timed passes (default 0) each run a fresh receiver over the whole file in
 * CHUNK-sample calls (default 160, one 20 ms RTP packet), as a channel of a media server would.
 * Prints one JSON document on stdout:
 *   {"digits":[{"digit":"1","onSample":..,"offSample":..}...], "samples":S, "iterations":N,
 *    "chunk":C, "seconds":T, "xRealtime":X, "cpuSeconds":U, "xRealtimeCpu":Y, "stateBytes":B}
 * seconds/xRealtime are wall-clock; cpuSeconds/xRealtimeCpu are this process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID), the figure the benchmark compares.
 * onSample/offSample are the samples at which dtmf_rx decided (its decisions lag the tone edges by
 * up to two of its 102-sample blocks). stateBytes is sizeof(dtmf_rx_state_t): memory per channel.
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

typedef struct {
    long position; /* samples fed so far */
    int digit;     /* the digit currently on, or 0 */
    long on;
    int first;
} track_t;

static void on_tone(void *user_data, int code, int level, int delay) {
    track_t *t = (track_t *) user_data;
    (void) level;
    (void) delay;
    if (code != 0) {
        t->digit = code;
        t->on = t->position;
    } else if (t->digit) {
        printf("%s{\"digit\":\"%c\",\"onSample\":%ld,\"offSample\":%ld}", t->first ? "" : ",", t->digit, t->on, t->position);
        t->first = 0;
        t->digit = 0;
    }
}

static double clock_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.s16le [ITERATIONS [CHUNK]]\n", argv[0]);
        return 2;
    }
    long iterations = argc > 2 ? atol(argv[2]) : 0;
    int chunk = argc > 3 ? atoi(argv[3]) : 160;
    if (iterations < 0 || chunk < 1) {
        fprintf(stderr, "ITERATIONS must be >= 0 and CHUNK >= 1\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    long n = bytes / 2;
    int16_t *amp = malloc(n > 0 ? n * sizeof(int16_t) : 1);
    if (!amp || fread(amp, sizeof(int16_t), n, f) != (size_t) n) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 2;
    }
    fclose(f);

    /* Pass 0: digits with the sample index of each decision. */
    track_t t = {0, 0, 0, 1};
    dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
    dtmf_rx_set_realtime_callback(rx, on_tone, &t);
    printf("{\"digits\":[");
    for (long i = 0; i < n; i++) {
        t.position = i + 1;
        dtmf_rx(rx, &amp[i], 1);
    }
    printf("]");
    dtmf_rx_free(rx);

    /* Timed passes: a fresh receiver each, the file in CHUNK-sample calls; digits collected and
       counted so the work cannot be optimised away. */
    long digits = 0;
    char buf[128];
    /* CPU time of this process as well as wall time: on a shared machine the wall clock also
       counts the time other processes held the core, the CPU clock only ours (the fair figure). */
    double t0 = clock_seconds(CLOCK_MONOTONIC);
    double c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long it = 0; it < iterations; it++) {
        dtmf_rx_state_t *r = dtmf_rx_init(NULL, NULL, NULL);
        for (long i = 0; i < n; i += chunk) {
            int len = (int) (n - i < chunk ? n - i : chunk);
            dtmf_rx(r, &amp[i], len);
            digits += (long) dtmf_rx_get(r, buf, sizeof(buf));
        }
        dtmf_rx_free(r);
    }
    double secs = clock_seconds(CLOCK_MONOTONIC) - t0;
    double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    double audio = (double) n * iterations / 8000.0;
    printf(",\"samples\":%ld,\"iterations\":%ld,\"chunk\":%d,\"seconds\":%.6f,\"xRealtime\":%.1f,\"cpuSeconds\":%.6f,\"xRealtimeCpu\":%.1f,\"timedDigits\":%ld,\"stateBytes\":%zu}\n",
           n, iterations, chunk, secs, secs > 0 ? audio / secs : 0.0, cpu, cpu > 0 ? audio / cpu : 0.0, digits, sizeof(dtmf_rx_state_t));
    free(amp);
    return 0;
}
