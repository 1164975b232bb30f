/*
 * tap.h: a minimal Test Anything Protocol harness for the C unit tests, so
 * that `prove` and automake read their results.
 *
 * Each test file defines its cases with TEST(name) and lists them in a
 * tap_case_t table. tap_run() prints the plan and runs each case in a
 * fresh pool. A case fails when any CHECK in it fails; every CHECK prints the
 * expression and line, so a failure points to one cause.
 */
#ifndef PKCE_TAP_H
#define PKCE_TAP_H

#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

typedef struct tap_case_t {
    const char *name;
    void (*fn)(apr_pool_t *p, int *failed);
} tap_case_t;

#define TEST(name) static void name(apr_pool_t *p, int *failed)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            printf("#   check failed at %s:%d: %s\n", __FILE__, __LINE__,   \
                   #cond);                                                  \
            *failed = 1;                                                    \
        }                                                                   \
    } while (0)

#define CHECK_STR(got, want)                                                \
    do {                                                                    \
        const char *got_ = (got), *want_ = (want);                          \
        if (got_ == NULL || want_ == NULL || strcmp(got_, want_) != 0) {    \
            printf("#   check failed at %s:%d: %s\n#     got:  %s\n"        \
                   "#     want: %s\n", __FILE__, __LINE__, #got,            \
                   got_ ? got_ : "(null)", want_ ? want_ : "(null)");       \
            *failed = 1;                                                    \
        }                                                                   \
    } while (0)

#define TAP_CASE(fn) { #fn, fn }

/* Run every case of `cases` (ended by a {NULL, NULL} entry) and return
 * the process exit status: 0 when all passed. */
static inline int tap_run(const tap_case_t *cases)
{
    apr_pool_t *root;
    int count = 0, bad = 0, i;

    apr_initialize();
    apr_pool_create(&root, NULL);
    for (i = 0; cases[i].name != NULL; i++) {
        count++;
    }
    printf("1..%d\n", count);
    for (i = 0; cases[i].name != NULL; i++) {
        apr_pool_t *p;
        int failed = 0;

        apr_pool_create(&p, root);
        cases[i].fn(p, &failed);
        apr_pool_destroy(p);
        printf("%s %d - %s\n", failed ? "not ok" : "ok", i + 1, cases[i].name);
        bad += failed;
        fflush(stdout);
    }
    apr_pool_destroy(root);
    apr_terminate();
    return bad ? 1 : 0;
}

#endif /* PKCE_TAP_H */
