/*
 * test_classifier_nomem.c — the classifier under allocation failure.
 *
 * The executable is linked with --wrap for malloc, calloc and realloc, so
 * every allocation the classifier (a static library linked in) makes can be
 * made to fail on demand. Each insert is retried failing its 1st, 2nd, ...
 * allocation until it succeeds; every failure must return -ENOMEM and
 * leave the classifier exactly as before, and every success must be fully
 * visible, even when publication then finds no memory at all. Removals
 * and publications run with every allocation failing and must stay
 * correct. Correctness is checked against the brute-force reference.
 *
 * Single-threaded (no qsbr): frees are immediate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtable/ft_classifier.h"
#include "cls_testlib.h"

/* ---- allocation failure injection ------------------------------------ */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

/* Allocations left before one fails; negative: never fail. With
 * 'fail_all', every allocation fails while armed. */
static long alloc_countdown = -1;
static bool fail_all;
static unsigned long n_failed;

static bool
alloc_should_fail(void)
{
    if (fail_all) {
        n_failed++;
        return true;
    }
    if (alloc_countdown < 0) {
        return false;
    }
    if (alloc_countdown-- == 0) {
        n_failed++;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *
__wrap_malloc(size_t size)
{
    return alloc_should_fail() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
    return alloc_should_fail() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
    return alloc_should_fail() ? NULL : __real_realloc(p, size);
}

static void
disarm(void)
{
    alloc_countdown = -1;
    fail_all = false;
}

/* ---- the test -------------------------------------------------------- */

struct nm_rule {
    struct ft_cls_rule cr;
};

static void
check_against_ref(struct ft_cls *cls, const struct tl_ref *ref,
                  struct tl_gen *g, const struct ft_key *extra,
                  unsigned int n_keys)
{
    for (unsigned int i = 0; i <= n_keys; i++) {
        struct ft_key k;
        if (i == n_keys) {
            if (!extra) {
                break;
            }
            k = *extra;
        } else {
            tl_gen_key(g, &k);
        }
        struct ft_mask wc;
        memset(&wc, 0, sizeof wc);
        assert_ptr_equal(ft_cls_lookup(cls, &k, 0, &wc),
                         tl_ref_lookup(ref, &k, 0));
    }
}

static void
test_nomem(void **state)
{
    (void) state;
    enum { N = 400 };
    struct tl_gen g;
    tl_gen_init(&g, 9, 24, 30);
    struct nm_rule *rules = calloc(N, sizeof *rules);
    struct tl_ref ref = { 0 };
    ref.r = calloc(N, sizeof *ref.r);
    ref.cap = N;
    struct ft_cls *cls = ft_cls_create(NULL);
    assert_non_null(cls);

    unsigned long n_enomem = 0;
    for (unsigned int i = 0; i < N; i++) {
        struct ft_match m;
        int32_t prio;
        tl_gen_match(&g, &m, &prio);
        ft_cls_rule_init(&rules[i].cr, &m, prio);
        bool deferred = i >= N / 2;    /* second half in one batch */
        if (deferred && i == N / 2) {
            ft_cls_defer(cls);
        }
        for (long k = 0;; k++) {
            alloc_countdown = k;
            int rc = ft_cls_insert(cls, &rules[i].cr, 0);
            disarm();
            if (!rc) {
                break;
            }
            assert_int_equal(rc, -ENOMEM);
            n_enomem++;
            assert_int_equal(ft_cls_count(cls), i);
            if (!deferred) {
                check_against_ref(cls, &ref, &g, &m.key, 4);
            }
        }
        ref.r[ref.n++] = (struct tl_ref_rule) {
            &rules[i].cr, rules[i].cr.match, prio, ref.next_seq++, 0,
            FT_CLS_VERSION_NEVER
        };
        assert_int_equal(ft_cls_count(cls), i + 1);
        if (!deferred) {
            check_against_ref(cls, &ref, &g, &m.key, 4);
        }
    }
    /* Publishing the batch needs no memory: inserts reserved it. */
    fail_all = true;
    ft_cls_publish(cls);
    disarm();
    check_against_ref(cls, &ref, &g, NULL, 2000);

    /* Remove every other rule, with no memory at all, some one by one and
     * some in a deferred batch. */
    fail_all = true;
    for (unsigned int i = 0; i < N; i += 2) {
        if (i == N / 2) {
            ft_cls_defer(cls);
        }
        ft_cls_remove(cls, &rules[i].cr);
    }
    ft_cls_publish(cls);
    disarm();
    size_t w = 0;
    for (size_t i = 0; i < ref.n; i++) {
        const struct nm_rule *r = (const struct nm_rule *) (const void *)
                                  ref.r[i].rule;
        if ((size_t) (r - rules) % 2) {
            ref.r[w++] = ref.r[i];
        }
    }
    ref.n = w;
    assert_int_equal(ft_cls_count(cls), ref.n);
    check_against_ref(cls, &ref, &g, NULL, 2000);

    /* Memory back: the next publication catches up (sweeps emptied
     * subtables), results unchanged. */
    ft_cls_defer(cls);
    ft_cls_publish(cls);
    check_against_ref(cls, &ref, &g, NULL, 2000);

    print_message("nomem: %lu inserts failed with -ENOMEM (%lu allocations "
                  "refused), all retried to success\n", n_enomem, n_failed);
    assert_true(n_enomem > N);

    for (unsigned int i = 1; i < N; i += 2) {
        ft_cls_remove(cls, &rules[i].cr);
    }
    assert_int_equal(ft_cls_count(cls), 0);
    assert_int_equal(ft_cls_n_subtables(cls), 0);
    ft_cls_destroy(cls);
    free(ref.r);
    free(rules);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
