/* libFuzzer harness: the per-user record parser (user_record_parse, what user_record_read and
 * the module's trusted read do with the file's bytes). root reads the record back for the
 * history of the next one and for the trend of a warning; scnet-quota, run by the user, reads
 * it for their own view. Whatever parses is within the format's bounds, and the trend read
 * from it is "nothing to say" or a number of days within TREND_MAX_DAYS. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"
#include "trend.h"
#include "user_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_days(long days)
{
    FUZZ_ASSERT(days == -1 || (days >= 1 && days <= TREND_MAX_DAYS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct user_record rec;
    char err[512];

    memset(err, 'x', sizeof(err));
    if (!user_record_parse((const char *)data, size, "record", &rec, err, sizeof(err))) {
        /* Nothing half-read is left for the caller to free or use. */
        FUZZ_ASSERT(rec.user == NULL && rec.reply.entries == NULL && rec.reply.count == 0 &&
                    rec.history_count == 0);
        fuzz_check_terminated(err, sizeof(err));
        return 0;
    }
    FUZZ_ASSERT(rec.user != NULL && strchr(rec.user, '\n') == NULL);
    FUZZ_ASSERT(rec.fetched_at >= 0);
    FUZZ_ASSERT(rec.next == RECORD_NEXT_NOTHING || rec.next == RECORD_NEXT_WARNING ||
                rec.next == RECORD_NEXT_REFUSAL);
    FUZZ_ASSERT(user_record_next_name(rec.next) != NULL);
    FUZZ_ASSERT(rec.reply.count <= QUOTA_MAX_ENTRIES);
    FUZZ_ASSERT(rec.history_count <= TREND_MAX_POINTS);
    for (size_t i = 0; i < rec.reply.count; i++) {
        const struct quota_entry *e = &rec.reply.entries[i];
        /* Only the record's user's figures, whatever the file says. */
        FUZZ_ASSERT(e->username != NULL && strcmp(e->username, rec.user) == 0);
        FUZZ_ASSERT(e->path != NULL && strchr(e->path, '\n') == NULL);
        FUZZ_ASSERT(isfinite(e->usage) && e->usage >= 0);
        FUZZ_ASSERT(!e->has_limit || (isfinite(e->threshold) && e->threshold > 0));
        check_days(user_record_full_in_days(&rec, i));
        check_days(user_record_full_in_days_of(&rec, e, rec.fetched_at));
    }
    check_days(user_record_full_in_days(&rec, rec.reply.count));
    /* Earlier answers, oldest first, all before the record's own. */
    for (size_t i = 0; i < rec.history_count; i++) {
        FUZZ_ASSERT(rec.history[i].at >= 0 && rec.history[i].at < rec.fetched_at);
        FUZZ_ASSERT(i == 0 || rec.history[i - 1].at < rec.history[i].at);
        for (size_t j = 0; j < rec.reply.count; j++)
            FUZZ_ASSERT(isnan(rec.history[i].usage[j]) || rec.history[i].usage[j] >= 0);
    }
    user_record_free(&rec);
    return 0;
}
