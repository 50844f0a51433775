/*
 * alloc.h: the one route every heap allocation of proto/ and common/ takes
 * (issue 6, fault injection). The functions behave exactly as the C
 * library's malloc, calloc, realloc, strdup and free, except that a test
 * can make the n-th allocation from some moment on fail, as if memory ran
 * out there. Tests also hand this route to Jansson (json_set_alloc_funcs)
 * and to SQLite (SQLITE_CONFIG_MALLOC), so one countdown covers every
 * allocation of an import (tests/central/test_faults.c, docs/TESTING.md).
 *
 * The countdown is compiled into every build but only the pr_alloc_fail_*
 * functions below arm it, and no program calls them: in the programs the
 * route costs one atomic increment per allocation and never fails on
 * purpose. The counters are atomic (central verifies on worker threads),
 * but which thread's allocation is the n-th is then up to the scheduler.
 */
#ifndef PROTO_ALLOC_H
#define PROTO_ALLOC_H

#include <stddef.h>

/* malloc(n). NULL when memory ran out (or a failure was injected); the
 * caller owns the block and frees it with pr_free. n == 0 may return NULL
 * or a unique pointer, as malloc. */
void *pr_malloc(size_t n);

/* calloc(n, size): zeroed, NULL on overflow of n * size or out of memory.
 * Owned by the caller (pr_free). */
void *pr_calloc(size_t n, size_t size);

/* realloc(p, n). On NULL (out of memory or injected) p is untouched and
 * still owned by the caller; otherwise p is gone and the result is owned.
 * p == NULL is pr_malloc(n). */
void *pr_realloc(void *p, size_t n);

/* strdup(s): a copy the caller frees with pr_free; NULL when out of memory.
 * s must not be NULL. */
char *pr_strdup(const char *s);

/* free(p); NULL is fine. Takes any block from the functions above.
 * These are ordinary C library blocks: free() and pr_free() are
 * interchangeable, so a caller of a function documented "the caller frees"
 * may use either. */
void pr_free(void *p);

/* sodium_malloc(n): guarded memory for secrets (keys, passphrase-derived
 * keys); NULL when out of memory or injected. Freed (and wiped) only with
 * pr_secret_free. Counts as an allocation for the countdown. */
void *pr_secret_malloc(size_t n);

/* sodium_free(p): wipes and unmaps; NULL is fine. */
void pr_secret_free(void *p);

/* ---- Test only: nothing outside tests/ calls these. ---- */

/* Arms the countdown: the n-th allocation (pr_malloc, pr_calloc,
 * pr_realloc, pr_strdup or pr_secret_malloc call) from now on returns NULL without
 * allocating; with persist != 0 every allocation after it fails too (memory
 * stays exhausted), otherwise only that one. n == 0 disarms. Either way the
 * counters of pr_alloc_fail_calls and pr_alloc_fail_injected restart at 0. */
void pr_alloc_fail_at(unsigned long n, int persist);

/* Allocation calls made through the route since the last pr_alloc_fail_at
 * (counted whether armed or not, injected failures included). */
unsigned long pr_alloc_fail_calls(void);

/* Allocations failed on purpose since the last pr_alloc_fail_at: 0 means
 * the countdown never reached n, so the code under test completed with
 * every allocation it asked for. */
unsigned long pr_alloc_fail_injected(void);

#endif
