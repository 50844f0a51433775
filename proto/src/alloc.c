/*
 * alloc.c: the allocation route of proto/ and common/ with its test-only
 * countdown (see proto/alloc.h).
 */
#include "proto/alloc.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Atomic because central verifies signatures on worker threads
 * (central/vcache.c); relaxed order is enough for counters. */
static atomic_ulong fail_at;   /* 0: disarmed */
static atomic_int fail_persist;
static atomic_ulong calls;     /* since the last pr_alloc_fail_at */
static atomic_ulong injected;

/* Counts one allocation call; 1 when it must fail. */
static int inject(void)
{
    unsigned long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    unsigned long k = atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) + 1;

    if (at == 0 || k < at ||
        (k > at && !atomic_load_explicit(&fail_persist, memory_order_relaxed)))
        return 0;
    atomic_fetch_add_explicit(&injected, 1, memory_order_relaxed);
    return 1;
}

void *pr_malloc(size_t n)
{
    return inject() ? NULL : malloc(n);
}

void *pr_calloc(size_t n, size_t size)
{
    return inject() ? NULL : calloc(n, size);
}

void *pr_realloc(void *p, size_t n)
{
    return inject() ? NULL : realloc(p, n);
}

char *pr_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = pr_malloc(n);

    if (c != NULL)
        memcpy(c, s, n);
    return c;
}

void pr_free(void *p)
{
    free(p);
}

void *pr_secret_malloc(size_t n)
{
    return inject() ? NULL : sodium_malloc(n);
}

void pr_secret_free(void *p)
{
    sodium_free(p);
}

void pr_alloc_fail_at(unsigned long n, int persist)
{
    atomic_store(&fail_at, 0);
    atomic_store(&calls, 0);
    atomic_store(&injected, 0);
    atomic_store(&fail_persist, persist != 0);
    atomic_store(&fail_at, n);
}

unsigned long pr_alloc_fail_calls(void)
{
    return atomic_load(&calls);
}

unsigned long pr_alloc_fail_injected(void)
{
    return atomic_load(&injected);
}
