/* Unit tests for common/user_record.c: a record written and read back in a fresh folder, as
 * the user running the test (the record names that user's uid). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "user_record.h"

struct fixture {
    char base[PATH_MAX];
    char records[PATH_MAX + 16];
    char me[256];
    struct scnet_config cfg;
    struct quota_entry entries[3];
    struct quota_reply reply;
    char err[600];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("SCNET_TEST_TMP");
    struct passwd *pw = getpwuid(getuid());

    assert_non_null(f);
    assert_non_null(pw);
    snprintf(f->me, sizeof(f->me), "%s", pw->pw_name);
    if (tmp)
        mkdir(tmp, 0700);
    snprintf(f->base, sizeof(f->base), "%s/user_record.XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->base));
    config_defaults(&f->cfg);
    free(f->cfg.cache_dir);
    assert_true(asprintf(&f->cfg.cache_dir, "%s/cache", f->base) > 0);
    snprintf(f->records, sizeof(f->records), "%s/cache-users", f->base);
    f->cfg.warn = 90;
    f->cfg.deny = 100;
    f->entries[0] = (struct quota_entry){f->me, "/public/home/me", 651, 700, true};
    f->entries[1] = (struct quota_entry){f->me, "/scratch/me", 12, 0, false};
    f->entries[2] = (struct quota_entry){"someoneelse", "/public/home/else", 999, 100, true};
    f->reply = (struct quota_reply){.entries = f->entries, .count = 3};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
    assert_int_equal(system(cmd), 0);
    config_free(&f->cfg);
    free(f);
    return 0;
}

static void test_written_and_read_back_with_own_entries_only(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    struct stat st;
    char path[PATH_MAX + 64];
    bool missing;

    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_int_equal(stat(f->records, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0711);
    snprintf(path, sizeof(path), "%s/%lu", f->records, (unsigned long)getuid());
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0440); /* group bits: the ACL's mask */
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_string_equal(rec.user, f->me);
    assert_int_equal(rec.fetched_at, 1700000000);
    assert_int_equal(rec.next, RECORD_NEXT_WARNING);
    assert_true(rec.warn == 90 && rec.deny == 100);
    assert_int_equal(rec.reply.count, 2);
    assert_string_equal(rec.reply.entries[0].path, "/public/home/me");
    assert_true(rec.reply.entries[0].usage == 651 && rec.reply.entries[0].threshold == 700);
    assert_true(rec.reply.entries[0].has_limit);
    assert_string_equal(rec.reply.entries[1].path, "/scratch/me");
    assert_false(rec.reply.entries[1].has_limit);
    assert_string_equal(rec.reply.entries[1].username, f->me);
    user_record_free(&rec);
}

/* The node's lang goes with the record (scnet-quota, run by the user, reads no configuration):
 * en or zh when set, nothing when it follows the locale. */
static void test_lang_is_kept(void **state)
{
    static const enum scnet_lang langs[] = {SCNET_LANG_ZH, SCNET_LANG_EN, SCNET_LANG_AUTO};
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;

    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        f->cfg.lang = langs[i];
        assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err,
                                      sizeof(f->err)));
        assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
        assert_int_equal(rec.lang, langs[i]);
        user_record_free(&rec);
    }
}

/* Figures are kept in thousandths, rounded half away from zero (as llround did, without
 * libm): 62.5 thousandths is 63, 62.4 is 62. */
static void test_figures_rounded_to_thousandths(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;

    f->entries[0].usage = 0.0625;
    f->entries[0].threshold = 0.0624;
    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_true(rec.reply.entries[0].usage == 0.063);
    assert_true(rec.reply.entries[0].threshold == 0.062);
    user_record_free(&rec);
}

static void test_over_deny_is_a_refusal_and_deny_off_is_kept(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;

    f->entries[0].usage = 735;
    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.next, RECORD_NEXT_REFUSAL);
    user_record_free(&rec);
    f->cfg.deny = -1;
    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.next, RECORD_NEXT_WARNING);
    assert_true(rec.deny < 0);
    user_record_free(&rec);
}

static void test_missing_and_corrupt(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    char path[PATH_MAX + 64];
    bool missing;
    FILE *out;

    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_true(missing);
    assert_int_equal(mkdir(f->records, 0711), 0);
    snprintf(path, sizeof(path), "%s/%lu", f->records, (unsigned long)getuid());
    out = fopen(path, "w");
    assert_non_null(out);
    fputs("scnet-user-record 1\nuser me\nfetched_at 12x\n", out);
    fclose(out);
    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_false(missing);
    assert_non_null(strstr(f->err, "corrupt line"));
}

static void test_links_are_not_followed(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 64], target[PATH_MAX + 16], text[32] = "";
    struct stat st;
    FILE *io;

    snprintf(target, sizeof(target), "%s/target", f->base);
    io = fopen(target, "w");
    assert_non_null(io);
    fputs("untouched\n", io);
    fclose(io);
    /* A link at the record's name is replaced, not written through. */
    assert_int_equal(mkdir(f->records, 0711), 0);
    snprintf(path, sizeof(path), "%s/%lu", f->records, (unsigned long)getuid());
    assert_int_equal(symlink(target, path), 0);
    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    io = fopen(target, "r");
    assert_non_null(io);
    assert_non_null(fgets(text, sizeof(text), io));
    fclose(io);
    assert_string_equal(text, "untouched\n");
    /* A link as the folder: refused. */
    snprintf(path, sizeof(path), "rm -rf '%s'", f->records);
    assert_int_equal(system(path), 0);
    assert_int_equal(symlink(f->base, f->records), 0);
    assert_false(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "symlink"));
}

/* Write the record file of the running user with exactly text. */
static void plant(struct fixture *f, const char *text)
{
    char path[PATH_MAX + 64];
    FILE *out;

    mkdir(f->records, 0711);
    snprintf(path, sizeof(path), "%s/%lu", f->records, (unsigned long)getuid());
    unlink(path);
    out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

/* A record written before the trend (no history line) reads as one without history; a
 * history line must hold one figure per entry and be older than the record's answer. */
static void test_record_without_history_reads(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;

    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n");
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.reply.count, 1);
    assert_int_equal(rec.history_count, 0);
    assert_int_equal(user_record_full_in_days(&rec, 0), -1);
    user_record_free(&rec);
    /* And it is replaced by one that starts the history with its answer. */
    assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000 + 86400, f->err,
                                  sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.history_count, 1);
    assert_int_equal(rec.history[0].at, 1700000000);
    assert_true(rec.history[0].usage[0] == 651);
    assert_true(isnan(rec.history[0].usage[1])); /* /scratch/me was not in that answer */
    user_record_free(&rec);

    /* Earlier answers more than a week before the record's own say nothing of the recent
     * rate (a record left unwritten for a while): only the one 6 days before counts, and
     * alone with the newest it is a rate of 10 GB a day. */
    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n"
             "history 1699308800 100000\nhistory 1699395199 200000\n"
             "history 1699481600 591000\n");
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.history_count, 3);
    assert_int_equal(user_record_full_in_days(&rec, 0), 5);
    user_record_free(&rec);

    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n"
             "history 1699990000 600000 1\n");
    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "corrupt history"));
    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n"
             "history 1700000000 600000\n");
    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n"
             "history 1699990000 x\n");
    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "corrupt line"));
    plant(f, "scnet-user-record 1\nuser me\nfetched_at 1700000000\nnext warning\n"
             "warn 90000\ndeny -1\nentry 651000 700000 /public/home/me\n"
             "history 1699990000 -\nhistory 1699980000 1\n");
    assert_false(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
}

/* user_record_parse (what the reads and fuzz_user_record use) reads exactly len bytes: the
 * text need not end in a NUL, and a NUL within it is refused, not a shorter record. */
static void test_parse_from_buffer(void **state)
{
    static const char text[] = "scnet-user-record 1\nuser me\nfetched_at 1700000000\n"
                               "next warning\nwarn 90000\ndeny -1\n"
                               "entry 651000 700000 /public/home/me\nhistory 1699900000 600000\n";
    struct fixture *f = *state;
    struct user_record rec;
    char *copy = malloc(sizeof(text) - 1);

    (void)f;
    assert_non_null(copy);
    memcpy(copy, text, sizeof(text) - 1); /* no NUL at the end */
    assert_true(user_record_parse(copy, sizeof(text) - 1, "t", &rec, f->err, sizeof(f->err)));
    assert_int_equal(rec.reply.count, 1);
    assert_int_equal(rec.history_count, 1);
    user_record_free(&rec);
    copy[strlen("scnet-user-record 1\nuser me")] = '\0';
    assert_false(user_record_parse(copy, sizeof(text) - 1, "t", &rec, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "not a record"));
    assert_null(rec.user);
    free(copy);
}

/* One answer a day for a week, 10 GB a day: each store carries the earlier answers, the
 * record says full in about 4 days; answers within an hour of the newest kept one add no
 * point; warn_days makes the next login a warning below warn, never a refusal. */
static void test_history_across_stores_and_warn_days(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;
    int64_t t = 1700000000;

    f->cfg.warn = 95;
    f->cfg.warn_days = 7;
    for (int day = 0; day <= 6; day++) {
        f->entries[0].usage = 600 + 10 * day;
        assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, t + day * 86400, f->err,
                                      sizeof(f->err)));
    }
    /* Two more within the hour: no new point, the newest answer is the last one. */
    assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, t + 6 * 86400 + 600, f->err,
                                  sizeof(f->err)));
    assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, t + 6 * 86400 + 1200, f->err,
                                  sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.history_count, 7); /* days 0..5, and day 6's first answer */
    for (size_t i = 1; i < rec.history_count; i++)
        assert_true(rec.history[i].at - rec.history[i - 1].at >= TREND_MIN_SPACING_S);
    assert_int_equal(rec.fetched_at, t + 6 * 86400 + 1200);
    /* 660 of 700 (94.3%, below warn = 95): full in about 4 days, within warn_days. */
    assert_int_equal(user_record_full_in_days(&rec, 0), 4);
    assert_int_equal(user_record_full_in_days(&rec, 1), -1); /* no limit */
    assert_int_equal(rec.next, RECORD_NEXT_WARNING);
    user_record_free(&rec);

    /* warn_days 3: 4 days is not within it; the next login shows nothing. */
    f->cfg.warn_days = 3;
    assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, t + 6 * 86400 + 1800, f->err,
                                  sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.next, RECORD_NEXT_NOTHING);
    user_record_free(&rec);

    /* A trend never refuses: 699 of 700, growing, below deny = 100, warn_days a year: a
     * warning. */
    f->cfg.warn_days = 365;
    f->entries[0].usage = 699;
    assert_true(user_record_store(&f->cfg, f->me, getuid(), &f->reply, t + 7 * 86400, f->err,
                                  sizeof(f->err)));
    assert_true(user_record_read(f->records, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.next, RECORD_NEXT_WARNING);
    /* The answer of 6 days + 1800 s was within the hour of the one kept: still 7 points. */
    assert_int_equal(rec.history_count, 7);
    user_record_free(&rec);
}

/* The module's read: the folder and the file must be the owner's, no one else may write. */
static void test_trusted_read(void **state)
{
    struct fixture *f = *state;
    struct user_record rec;
    bool missing;

    assert_false(
        user_record_read_trusted(&f->cfg, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_true(missing);
    assert_true(
        user_record_store(&f->cfg, f->me, getuid(), &f->reply, 1700000000, f->err, sizeof(f->err)));
    assert_true(
        user_record_read_trusted(&f->cfg, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_int_equal(rec.reply.count, 2);
    user_record_free(&rec);
    f->cfg.owner = getuid() + 1;
    assert_false(
        user_record_read_trusted(&f->cfg, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_false(missing);
    f->cfg.owner = getuid();
    assert_int_equal(chmod(f->records, 0777), 0);
    assert_false(
        user_record_read_trusted(&f->cfg, getuid(), &rec, &missing, f->err, sizeof(f->err)));
    assert_false(missing);
    assert_int_equal(chmod(f->records, 0711), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_written_and_read_back_with_own_entries_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lang_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_over_deny_is_a_refusal_and_deny_off_is_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_figures_rounded_to_thousandths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_are_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_without_history_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_across_stores_and_warn_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_from_buffer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
