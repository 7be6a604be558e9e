/* What the quota API's reply holds (the JSON parser is common/quota_json.c, scnet_parsers). */
#include "quota_reply.h"

#include <stdlib.h>
#include <string.h>

void quota_reply_free(struct quota_reply *reply)
{
    if (reply == NULL)
        return;
    for (size_t i = 0; i < reply->count; i++) {
        free(reply->entries[i].username);
        free(reply->entries[i].path);
    }
    free(reply->entries);
    free(reply->code);
    free(reply->msg);
    memset(reply, 0, sizeof(*reply));
}

const char *api_code_meaning(const char *code)
{
    static const struct {
        const char *code;
        const char *meaning;
    } meanings[] = {
        {"0", "success"},
        {"10001", "internal error"},
        {"10003", "missing parameters"},
        {"10004", "invalid parameters"},
        {"10007", "user is frozen"},
        {"10008", "insufficient permission or expired token"},
        {"10009", "no permission to call this API"},
        {"10010", "file check failed"},
        {"10011", "file too large"},
        {"10012", "connection interrupted"},
        {"10013", "operation timed out"},
        {"815005", "job submission failed (scheduler did not answer)"},
        {"815007", "job submission failed (sbatch failed)"},
    };

    if (code == NULL)
        return "unknown error code";
    for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++) {
        if (strcmp(code, meanings[i].code) == 0)
            return meanings[i].meaning;
    }
    return "unknown error code";
}
