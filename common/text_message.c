/* What scnet-quota tells an ordinary user about their own quota and its --now check, in en
 * or zh. Apart from text.c so that the PAM module, which shows none of it, does not load these
 * tables: their pointers are relocated at every load and would push the module's read-only-after-
 * relocation data onto a second page. */
#include "text.h"

#include "strbuf.h"

/* Each line: before <1>, between <1> and <2>, after (NULL: nothing). */
static const char *const messages_en[TEXT_MESSAGE_COUNT][3] = {
    [TEXT_OWN_HEAD] = {"Storage quota of ", " (figures from ", " ago):"},
    [TEXT_OWN_NO_FIGURES] = {"no figures yet: they are recorded at your next login"},
    [TEXT_OWN_NO_PATH] = {"  no path with your name in the answer"},
    [TEXT_OWN_NEXT_NOTHING] = {"Your next login: nothing shown (the warning line is ", "%)."},
    [TEXT_OWN_NEXT_WARNING] = {"Your next login: a warning (the warning line is ", "%)."},
    [TEXT_OWN_NEXT_REFUSAL] = {"Your next login: refused (over the line of ",
                               "%), unless you free space first."},
    [TEXT_OWN_UNREADABLE] = {"your quota record cannot be read: "},
    [TEXT_ONLY_ROOT] = {"only root can check users and the setup (",
                        ", the token and the cache are root's); run scnet-quota "
                        "without a name to see your own quota"},
    [TEXT_NOW_SHOWING_LAST] = {"", "; showing the last record"},
    [TEXT_NOW_NOT_ENABLED] = {"the fresh check service is not enabled on this node"},
    [TEXT_NOW_UNREACHABLE] = {"cannot reach the fresh check service (", ")"},
    [TEXT_NOW_NO_MEMORY] = {"out of memory"},
    [TEXT_NOW_SEND_FAILED] = {"cannot ask the fresh check service: "},
    [TEXT_NOW_NO_ANSWER] = {"the fresh check service gave no answer (busy, or at its "
                            "time limit)"},
    [TEXT_NOW_CUT_OFF] = {"the fresh check service's answer was cut off"},
    [TEXT_NOW_NO_NAME] = {"uid ", " has no account name on this node: no quota to show"},
    [TEXT_NOW_MISCONFIGURED] = {"the quota check of this node is not configured "
                                "correctly (the administrator's log says why)"},
    [TEXT_NOW_LOOKUP_FAILED] = {"your account cannot be looked up: "},
    [TEXT_NOW_NOT_CHECKED] = {"your logins are not checked on this node (", "): no quota to show"},
    [TEXT_NOW_BUSY] = {"another fresh check of yours is still running"},
    [TEXT_NOW_FAILED] = {"the fresh check failed: "},
    [TEXT_NOW_API_DOWN] = {"the quota API is not answering (", ")"},
    [TEXT_NOW_PACED] = {"(One fresh check per ",
                        " seconds: this answer was not asked again; ask again in ", " seconds.)"},
};

static const char *const messages_zh[TEXT_MESSAGE_COUNT][3] = {
    [TEXT_OWN_HEAD] = {"", " 的存储配额（", "前的数据）："},
    [TEXT_OWN_NO_FIGURES] = {"暂无数据：将在您下次登录时记录。"},
    [TEXT_OWN_NO_PATH] = {"  配额服务的答复中没有您名下的路径"},
    [TEXT_OWN_NEXT_NOTHING] = {"下次登录：不显示提示（警告线为 ", "%）。"},
    [TEXT_OWN_NEXT_WARNING] = {"下次登录：显示警告（警告线为 ", "%）。"},
    [TEXT_OWN_NEXT_REFUSAL] = {"下次登录：将被拒绝（已达到 ", "% 的拒绝线），除非您先释放空间。"},
    [TEXT_OWN_UNREADABLE] = {"无法读取您的配额记录："},
    [TEXT_ONLY_ROOT] = {"只有 root 可以查询其他用户和检查配置（",
                        "、令牌和缓存都属于 root）；不带用户名运行 scnet-quota "
                        "即可查看您自己的配额"},
    [TEXT_NOW_SHOWING_LAST] = {"", "；以下是上次记录的数据"},
    [TEXT_NOW_NOT_ENABLED] = {"本节点未启用即时查询服务"},
    [TEXT_NOW_UNREACHABLE] = {"无法连接即时查询服务（", "）"},
    [TEXT_NOW_NO_MEMORY] = {"内存不足"},
    [TEXT_NOW_SEND_FAILED] = {"无法向即时查询服务发送请求："},
    [TEXT_NOW_NO_ANSWER] = {"即时查询服务没有答复（繁忙，或已到时间限制）"},
    [TEXT_NOW_CUT_OFF] = {"即时查询服务的答复不完整"},
    [TEXT_NOW_NO_NAME] = {"uid ", " 在本节点没有账户名：没有可显示的配额"},
    [TEXT_NOW_MISCONFIGURED] = {"本节点的配额检查配置有误（原因见管理员的日志）"},
    [TEXT_NOW_LOOKUP_FAILED] = {"无法查询您的账户："},
    [TEXT_NOW_NOT_CHECKED] = {"本节点不检查您的登录（", "）：没有可显示的配额"},
    [TEXT_NOW_BUSY] = {"您的另一次即时查询仍在进行"},
    [TEXT_NOW_FAILED] = {"即时查询失败："},
    [TEXT_NOW_API_DOWN] = {"配额服务没有响应（", "）"},
    [TEXT_NOW_PACED] = {"（每 ", " 秒最多即时查询一次：本次没有重新查询，请 ", " 秒后再试。）"},
};

char *text_message(enum scnet_lang lang, enum text_message id, const char *a, const char *b)
{
    const char *const *m = (lang == SCNET_LANG_ZH ? messages_zh : messages_en)[id];
    struct strbuf sb = {0};

    strbuf_printf(&sb, "%s%s%s%s%s", m[0] ? m[0] : "", a ? a : "", m[1] ? m[1] : "", b ? b : "",
                  m[2] ? m[2] : "");
    return strbuf_take(&sb);
}
