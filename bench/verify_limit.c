/*
 * verify_limit.c: the Ed25519 verify limit of this machine (issue 8): how
 * many signatures per second libsodium's crypto_sign_verify_detached checks
 * on one core and on every core, over messages the size of a return. The
 * benchmark divides import and audit throughput by this figure.
 *
 *   bench-verify-limit [--threads T] [--seconds S]
 * prints `threads T verifications N seconds S per_second R` for one thread
 * and for T threads (default: the number of online cores).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGES 256
#define MESSAGE_BYTES 480 /* about a return's signed part */

typedef struct work {
    const uint8_t (*msg)[MESSAGE_BYTES];
    const uint8_t (*sig)[crypto_sign_BYTES];
    const uint8_t *pk;
    double seconds;
    unsigned long long done, bad;
} work;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *verify_loop(void *arg)
{
    work *w = arg;
    double end = now() + w->seconds;
    unsigned i = 0;

    while (now() < end) {
        for (int k = 0; k < 64; k++, i = (i + 1) % MESSAGES) {
            if (crypto_sign_verify_detached(w->sig[i], w->msg[i], MESSAGE_BYTES, w->pk) != 0)
                w->bad++;
            w->done++;
        }
    }
    return NULL;
}

static double run(unsigned threads, double seconds, const uint8_t (*msg)[MESSAGE_BYTES],
                  const uint8_t (*sig)[crypto_sign_BYTES], const uint8_t *pk)
{
    pthread_t *t = calloc(threads, sizeof *t);
    work *w = calloc(threads, sizeof *w);
    unsigned long long total = 0, bad = 0;
    double t0, t1;

    if (t == NULL || w == NULL) {
        fprintf(stderr, "bench-verify-limit: out of memory\n");
        exit(3);
    }
    t0 = now();
    for (unsigned k = 0; k < threads; k++) {
        w[k] = (work){msg, sig, pk, seconds, 0, 0};
        if (pthread_create(&t[k], NULL, verify_loop, &w[k]) != 0) {
            fprintf(stderr, "bench-verify-limit: cannot start a thread\n");
            exit(3);
        }
    }
    for (unsigned k = 0; k < threads; k++) {
        pthread_join(t[k], NULL);
        total += w[k].done;
        bad += w[k].bad;
    }
    t1 = now();
    if (bad != 0) {
        fprintf(stderr, "bench-verify-limit: %llu signatures failed to verify\n", bad);
        exit(1);
    }
    printf("threads %u verifications %llu seconds %.3f per_second %.0f\n", threads, total,
           t1 - t0, (double)total / (t1 - t0));
    free(t);
    free(w);
    return (double)total / (t1 - t0);
}

int main(int argc, char **argv)
{
    static uint8_t msg[MESSAGES][MESSAGE_BYTES], sig[MESSAGES][crypto_sign_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cores > 0 ? (unsigned)cores : 1;
    double seconds = 3.0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            threads = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc && atof(argv[i + 1]) > 0) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench-verify-limit [--threads T] [--seconds S]\n");
            return 2;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "bench-verify-limit: libsodium: cannot initialise\n");
        return 3;
    }
    crypto_sign_keypair(pk, sk);
    for (unsigned i = 0; i < MESSAGES; i++) {
        randombytes_buf(msg[i], MESSAGE_BYTES);
        crypto_sign_detached(sig[i], NULL, msg[i], MESSAGE_BYTES, sk);
    }
    run(1, seconds, (const uint8_t (*)[MESSAGE_BYTES])msg,
        (const uint8_t (*)[crypto_sign_BYTES])sig, pk);
    run(threads, seconds, (const uint8_t (*)[MESSAGE_BYTES])msg,
        (const uint8_t (*)[crypto_sign_BYTES])sig, pk);
    return 0;
}
