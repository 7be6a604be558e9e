/* What a user reads: server text made safe for a terminal and the banners, in en or zh (what
 * scnet-quota tells an ordinary user is in text_message.c). */
#include "text.h"

#include <math.h> /* isfinite, isnan: macros; no libm function (the module links none) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ---- sanitiser ---------------------------------------------------------------------- */

struct clean_out {
    char *buf;
    size_t len;
    size_t max;
    bool cut; /* something visible did not fit */
};

static void emit(struct clean_out *o, const unsigned char *s, size_t n)
{
    if (o->cut)
        return;
    if (n > o->max - o->len) {
        /* A character is all or nothing, so the cut always lands on a boundary. */
        o->cut = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* Decode one strict UTF-8 sequence (no overlongs, no surrogates, nothing above U+10FFFF).
 * False means the lead byte at s[0] is invalid on its own; the caller moves one byte on. */
static bool utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp, size_t *len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    size_t need;
    uint32_t v;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* below is overlong */
        else if (c == 0xed)
            hi = 0x9f; /* above is a UTF-16 surrogate */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* below is overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above is past U+10FFFF */
    } else {
        return false; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (avail < need + 1 || s[1] < lo || s[1] > hi)
        return false;
    v = (v << 6) | (s[1] & 0x3f);
    for (size_t k = 2; k <= need; k++) {
        if (s[k] < 0x80 || s[k] > 0xbf)
            return false;
        v = (v << 6) | (s[k] & 0x3f);
    }
    *cp = v;
    *len = need + 1;
    return true;
}

/* Control sequence parameters and intermediates, up to and including the final byte. A byte
 * that cannot belong to the sequence ends it without being consumed, so it is judged on its
 * own (an ESC starting the next sequence, a newline, a Chinese character). */
static size_t skip_csi(const unsigned char *s, size_t n, size_t j)
{
    while (j < n) {
        if (s[j] >= 0x40 && s[j] <= 0x7e)
            return j + 1;
        if (s[j] < 0x20 || s[j] > 0x3f)
            return j;
        j++;
    }
    return j;
}

/* OSC, DCS, SOS, PM, APC: a string ended by BEL, ST (ESC \ or U+009C) or cancelled by
 * CAN/SUB. Unterminated, it runs to the end: a terminal would swallow that text too. */
static size_t skip_control_string(const unsigned char *s, size_t n, size_t j)
{
    while (j < n) {
        if (s[j] == 0x07 || s[j] == 0x18 || s[j] == 0x1a)
            return j + 1;
        if (s[j] == 0x1b)
            return (j + 1 < n && s[j + 1] == '\\') ? j + 2 : j;
        if (s[j] == 0xc2 && j + 1 < n && s[j + 1] == 0x9c)
            return j + 2;
        j++;
    }
    return j;
}

/* s[i] is ESC: the index after the whole escape sequence. */
static size_t skip_escape(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i + 1;

    if (j >= n)
        return j;
    switch (s[j]) {
    case '[':
        return skip_csi(s, n, j + 1);
    case ']':
    case 'P':
    case 'X':
    case '^':
    case '_':
        return skip_control_string(s, n, j + 1);
    default:
        break;
    }
    /* ESC, intermediates (0x20-0x2F), one final byte: "ESC ( B", "ESC c", "ESC 7". */
    while (j < n && s[j] >= 0x20 && s[j] <= 0x2f)
        j++;
    if (j < n && s[j] >= 0x30 && s[j] <= 0x7e)
        return j + 1;
    return j;
}

/* A C1 control (U+0080-U+009F) of len bytes at s[i]: the index after it, taking along the
 * parameters of the ones that open a sequence. */
static size_t skip_c1(const unsigned char *s, size_t n, size_t i, uint32_t cp, size_t len)
{
    switch (cp) {
    case 0x9b: /* CSI */
        return skip_csi(s, n, i + len);
    case 0x90: /* DCS */
    case 0x98: /* SOS */
    case 0x9d: /* OSC */
    case 0x9e: /* PM */
    case 0x9f: /* APC */
        return skip_control_string(s, n, i + len);
    default:
        return i + len;
    }
}

/* Unicode general category Cf (format characters), as of Unicode 15, with the unassigned
 * rest of the tag block: invisible, yet they change what a terminal shows. Bidi marks,
 * embeddings, overrides and isolates can make a path read as something else; zero-width
 * spaces and joiners, word joiners, the BOM and the soft hyphen hide text inside a name
 * that looks like another; tag characters spell out hidden ASCII. */
static const struct {
    uint32_t first, last;
} format_chars[] = {
    {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
    {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
    {0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
    {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
    {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe007f},
};

static bool is_format_char(uint32_t cp)
{
    for (size_t k = 0; k < sizeof(format_chars) / sizeof(format_chars[0]); k++)
        if (cp >= format_chars[k].first && cp <= format_chars[k].last)
            return true;
    return false;
}

char *text_sanitize(const char *in, size_t max_bytes)
{
    static const unsigned char space = ' ', question = '?';
    const unsigned char *s = (const unsigned char *)(in != NULL ? in : "");
    size_t n = strlen((const char *)s);
    struct clean_out o = {0};

    /* Every input byte gives at most one output byte, so this bound is never exceeded. */
    o.max = max_bytes;
    o.buf = malloc((n < max_bytes ? n : max_bytes) + sizeof("..."));
    if (o.buf == NULL)
        return NULL;

    size_t i = 0;
    while (i < n && !o.cut) {
        unsigned char c = s[i];
        uint32_t cp = 0;
        size_t len = 0;

        if (c == 0x1b) {
            i = skip_escape(s, n, i);
        } else if (c < 0x20) {
            /* Line breaks would let a server forge extra lines of the banner. */
            if (c == '\t' || c == '\r' || c == '\n')
                emit(&o, &space, 1);
            i++;
        } else if (c == 0x7f) {
            i++;
        } else if (c < 0x80) {
            emit(&o, s + i, 1);
            i++;
        } else if (!utf8_decode(s + i, n - i, &cp, &len)) {
            emit(&o, &question, 1);
            i++;
        } else if (cp <= 0x9f) {
            i = skip_c1(s, n, i, cp, len);
        } else if (is_format_char(cp)) {
            i += len;
        } else if (cp == 0x2028 || cp == 0x2029) {
            /* Unicode line and paragraph separators: line breaks in another guise. */
            emit(&o, &space, 1);
            i += len;
        } else {
            emit(&o, s + i, len);
            i += len;
        }
    }
    if (o.cut) {
        memcpy(o.buf + o.len, "...", 3);
        o.len += 3;
    }
    o.buf[o.len] = '\0';
    return o.buf;
}

enum scnet_lang text_pick_lang(enum scnet_lang lang, const char *locale)
{
    if (lang == SCNET_LANG_EN || lang == SCNET_LANG_ZH)
        return lang;
    if (locale != NULL && strncmp(locale, "zh", 2) == 0)
        return SCNET_LANG_ZH;
    return SCNET_LANG_EN;
}

/* ---- banners ------------------------------------------------------------------------ */

struct banner_words {
    const char *nearly_full;
    const char *full;
    const char *filling_up; /* below the warning line, full soon at the recent rate */
    const char *trend_before, *trend_middle, *trend_day, *trend_days; /* around path, days */
    const char *plain_head;
    const char *used; /* before the usage figure */
    const char *of;   /* between usage and quota */
    const char *advice;
    const char *deny_before, *deny_after;   /* around the deny percent */
    const char *stale_before, *stale_after; /* around the age; numbers get a space before */
    const char *less_than_a_minute;
    const char *second, *seconds, *minute, *minutes, *hours, *days;
    const char *refused_exceeded;
    const char *refused_nearly_full;
    const char *refused_deny_before, *refused_deny_after;
    const char *refused_ask;
    const char *refused_free_now; /* deny_scope = tty: how to free space at once */
    const char *unchecked;
    const char *contact;
    const char *help;
    const char *command_hint;
};

static const struct banner_words words_en = {
    .nearly_full = "WARNING: your storage quota is nearly full.",
    .full = "WARNING: your storage quota is full.",
    .filling_up = "WARNING: your storage quota is filling up.",
    .trend_before = "At the recent rate ",
    .trend_middle = " is full in about ",
    .trend_day = " day.",
    .trend_days = " days.",
    .plain_head = "Storage quota:",
    .used = "",
    .of = " GB of ",
    .advice = "Delete or move files you no longer need: jobs fail with \"Disk quota exceeded\" "
              "once a quota is full.",
    .deny_before = "Logins are refused at ",
    .deny_after = "%.",
    .stale_before = "(Figures from",
    .stale_after = " ago: the quota service could not be reached.)",
    .less_than_a_minute = " less than a minute",
    .second = " second",
    .seconds = " seconds",
    .minute = " minute",
    .minutes = " minutes",
    .hours = " hours",
    .days = " days",
    .refused_exceeded = "Login refused: your storage quota is exceeded.",
    .refused_nearly_full = "Login refused: your storage quota is nearly full.",
    .refused_deny_before = "Logins are refused at ",
    .refused_deny_after = "% of the quota. ",
    .refused_ask = "Ask your support team to help you free space.",
    .refused_free_now = "Free space now with sftp, scp, rsync or \"ssh HOST COMMAND\" (these "
                        "still work), then log in again.",
    .unchecked = "Login refused: your storage quota could not be checked. Please try again later.",
    .contact = "Contact: ",
    .help = "Help: ",
    .command_hint = "See your quota any time: scnet-quota",
};

static const struct banner_words words_zh = {
    .nearly_full = "警告：您的存储配额即将用满。",
    .full = "警告：您的存储配额已用满。",
    .filling_up = "警告：您的存储配额增长较快，即将用满。",
    .trend_before = "按近期的增长速度，",
    .trend_middle = " 约 ",
    .trend_day = " 天后用满。",
    .trend_days = " 天后用满。",
    .plain_head = "存储配额：",
    .used = "已用 ",
    .of = " GB，配额 ",
    .advice = "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota exceeded”而失败。",
    .deny_before = "使用率达到 ",
    .deny_after = "% 时将拒绝登录。",
    .stale_before = "（以上为",
    .stale_after = "前的数据：无法连接配额服务。）",
    .less_than_a_minute = "不到 1 分钟",
    .second = " 秒",
    .seconds = " 秒",
    .minute = " 分钟",
    .minutes = " 分钟",
    .hours = " 小时",
    .days = " 天",
    .refused_exceeded = "登录被拒绝：您的存储配额已超出。",
    .refused_nearly_full = "登录被拒绝：您的存储配额即将用满。",
    .refused_deny_before = "使用率达到配额的 ",
    .refused_deny_after = "% 时将拒绝登录。",
    .refused_ask = "请联系技术支持人员帮助您释放空间。",
    .refused_free_now =
        "现在仍可用 sftp、scp、rsync 或“ssh 主机 命令”释放空间（这些方式不受限制），"
        "然后重新登录。",
    .unchecked = "无法检查您的存储配额，登录被拒绝，请稍后再试。",
    .contact = "联系方式：",
    .help = "帮助：",
    .command_hint = "随时查看您的配额：scnet-quota",
};

#define BAR_CELLS 20
#define WARNING_LINE_WHEN_WARN_IS_0 90.0
#define NUM_BUF 400 /* "%.1f" of DBL_MAX is 311 characters */

/* One decimal with a '.' whatever LC_NUMERIC says: the module may run inside a program that
 * called setlocale() with the invoking user's environment (su), and "651,0" must not appear
 * only for some users. printf's rounding is kept; only the separator is replaced. */
static void format_1dp(double v, char out[NUM_BUF])
{
    char tmp[NUM_BUF];
    size_t k = 0, len;

    if (!isfinite(v)) {
        snprintf(out, NUM_BUF, "%s", isnan(v) ? "?" : (v > 0 ? "inf" : "-inf"));
        return;
    }
    snprintf(tmp, sizeof(tmp), "%.1f", v);
    len = strlen(tmp);
    if (tmp[k] == '-')
        k++;
    while (tmp[k] >= '0' && tmp[k] <= '9')
        k++;
    if (len < 1 || k >= len - 1 || tmp[len - 1] < '0' || tmp[len - 1] > '9') {
        snprintf(out, NUM_BUF, "%s", tmp); /* not the expected shape: leave it alone */
        return;
    }
    snprintf(out, NUM_BUF, "%.*s.%c", (int)k, tmp, tmp[len - 1]);
}

static void new_line(struct strbuf *sb)
{
    if (sb->len > 0)
        strbuf_append(sb, "\n", 1);
}

static void add_text(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

static void add_number(struct strbuf *sb, double v)
{
    char num[NUM_BUF];

    format_1dp(v, num);
    add_text(sb, num);
}

/* "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  [##################--]" */
static bool add_item_line(struct strbuf *sb, const struct banner_words *w,
                          const struct policy_item *item)
{
    char bar[BAR_CELLS + 1];
    double p = item->percent;
    int cells = 0;
    char *path = text_sanitize(item->entry->path, TEXT_MAX_SERVER_STRING);

    if (path == NULL)
        return false;
    /* Truncation is floor for p > 0 (also false for NaN), and needs no libm: the module links
     * none, and a build that inlines nothing (-O0, -Os) would call floor. */
    if (p > 0)
        cells = (int)((p > 100 ? 100 : p) / (100.0 / BAR_CELLS));
    memset(bar, '#', (size_t)cells);
    memset(bar + cells, '-', (size_t)(BAR_CELLS - cells));
    bar[BAR_CELLS] = '\0';

    new_line(sb);
    add_text(sb, "  ");
    add_text(sb, path);
    add_text(sb, "  ");
    add_text(sb, w->used);
    add_number(sb, item->entry->usage);
    add_text(sb, w->of);
    add_number(sb, item->entry->threshold);
    add_text(sb, " GB  ");
    add_number(sb, p);
    add_text(sb, "%  [");
    add_text(sb, bar);
    add_text(sb, "]");
    free(path);
    return true;
}

/* "(Figures from 12 minutes ago: ...)": the numbers came from the cache, not the API. Below
 * two hours minutes are still meaningful; hours and days start at 2, so always plural. */
static void add_age(struct strbuf *sb, const struct banner_words *w, long age_s)
{
    if (age_s < 60)
        strbuf_printf(sb, "%ld%s", age_s, age_s == 1 ? w->second : w->seconds);
    else if (age_s < 2 * 3600)
        strbuf_printf(sb, "%ld%s", age_s / 60, age_s / 60 == 1 ? w->minute : w->minutes);
    else if (age_s < 2 * 86400)
        strbuf_printf(sb, "%ld%s", age_s / 3600, w->hours);
    else
        strbuf_printf(sb, "%ld%s", age_s / 86400, w->days);
}

static void add_stale_line(struct strbuf *sb, const struct banner_words *w, long age_s)
{
    new_line(sb);
    add_text(sb, w->stale_before);
    if (age_s < 60) {
        add_text(sb, w->less_than_a_minute);
    } else {
        add_text(sb, " ");
        add_age(sb, w, age_s);
    }
    add_text(sb, w->stale_after);
}

/* "Contact: ...", "Help: ...": a line the admin configured, cleaned as server text is (a
 * config file is no place for escape sequences either). */
static bool add_configured_line(struct strbuf *sb, const char *prefix, const char *value)
{
    char *clean = NULL;

    if (value == NULL || value[0] == '\0')
        return true;
    clean = text_sanitize(value, TEXT_MAX_SERVER_STRING);
    if (clean == NULL)
        return false;
    new_line(sb);
    add_text(sb, prefix);
    add_text(sb, clean);
    free(clean);
    return true;
}

/* "At the recent rate /public/home/alice is full in about 5 days." */
static bool add_trend_line(struct strbuf *sb, const struct banner_words *w, const char *server_path,
                           long days)
{
    char *path = text_sanitize(server_path, TEXT_MAX_SERVER_STRING);

    if (path == NULL)
        return false;
    new_line(sb);
    add_text(sb, w->trend_before);
    add_text(sb, path);
    add_text(sb, w->trend_middle);
    strbuf_printf(sb, "%ld%s", days, days == 1 ? w->trend_day : w->trend_days);
    free(path);
    return true;
}

char *text_trend_line(enum scnet_lang lang, const char *path, long days)
{
    struct strbuf sb = {0};

    if (!add_trend_line(&sb, lang == SCNET_LANG_ZH ? &words_zh : &words_en, path, days) ||
        sb.failed) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_take(&sb);
}

static bool add_contact_line(struct strbuf *sb, const struct banner_words *w, const char *contact)
{
    return add_configured_line(sb, w->contact, contact);
}

/* *warning_out: the banner is a warning, not a plain usage list. */
static bool render_usage(struct strbuf *sb, const struct banner_words *w,
                         const struct banner_input *in, bool *warning_out)
{
    const struct policy_result *pol = in->policy;
    double line = in->warn > 0 ? in->warn : WARNING_LINE_WHEN_WARN_IS_0;

    if (pol == NULL || pol->count == 0 || pol->worst == NULL)
        return true; /* nothing to say */

    /* warn = 0 asks for a usage line at every login; below the line it stays a plain list,
     * unless a path is full soon at the recent rate (warn_days). */
    bool warning = pol->worst->percent >= line || pol->early;
    if (!warning)
        add_text(sb, w->plain_head);
    else if (pol->worst->percent >= 100)
        add_text(sb, w->full);
    else if (pol->worst->percent >= line)
        add_text(sb, w->nearly_full);
    else
        add_text(sb, w->filling_up);

    for (size_t i = 0; i < pol->count; i++) {
        if (pol->items[i].entry != NULL && !add_item_line(sb, w, &pol->items[i]))
            return false;
    }
    if (in->stale_age_s >= 0)
        add_stale_line(sb, w, in->stale_age_s);
    if (!warning)
        return true;

    *warning_out = true;
    for (size_t i = 0; i < pol->count; i++) {
        const struct policy_item *item = &pol->items[i];
        if (item->entry != NULL && item->full_in_days > 0 &&
            !add_trend_line(sb, w, item->entry->path, item->full_in_days))
            return false;
    }
    new_line(sb);
    add_text(sb, w->advice);
    if (in->deny >= 0) {
        new_line(sb);
        add_text(sb, w->deny_before);
        add_number(sb, in->deny);
        add_text(sb, w->deny_after);
    }
    return add_contact_line(sb, w, in->contact);
}

static bool render_refused(struct strbuf *sb, const struct banner_words *w,
                           const struct banner_input *in)
{
    const struct policy_result *pol = in->policy;
    bool exceeded = pol == NULL || pol->worst == NULL || pol->worst->percent >= 100;

    add_text(sb, exceeded ? w->refused_exceeded : w->refused_nearly_full);
    for (size_t i = 0; pol != NULL && i < pol->count; i++) {
        /* Only what caused the refusal: a path at 91% is noise next to one at 105%. */
        if (pol->items[i].level != POLICY_DENY || pol->items[i].entry == NULL)
            continue;
        if (!add_item_line(sb, w, &pol->items[i]))
            return false;
    }
    if (in->stale_age_s >= 0)
        add_stale_line(sb, w, in->stale_age_s);
    new_line(sb);
    if (in->deny >= 0) {
        add_text(sb, w->refused_deny_before);
        add_number(sb, in->deny);
        add_text(sb, w->refused_deny_after);
    }
    /* deny_scope = tty lets sftp, scp, rsync and commands in: the user can act now. */
    add_text(sb, in->tty_scope ? w->refused_free_now : w->refused_ask);
    return add_contact_line(sb, w, in->contact);
}

char *text_quota_line(enum scnet_lang lang, const struct quota_entry *entry)
{
    const struct banner_words *w = lang == SCNET_LANG_ZH ? &words_zh : &words_en;
    struct strbuf sb = {0};
    char *path;

    if (entry->has_limit) {
        struct policy_item item = {.entry = entry,
                                   .percent = entry->usage * 100.0 / entry->threshold};
        if (!add_item_line(&sb, w, &item))
            sb.failed = true;
    } else if ((path = text_sanitize(entry->path, TEXT_MAX_SERVER_STRING)) != NULL) {
        add_text(&sb, "  ");
        add_text(&sb, path);
        add_text(&sb, "  ");
        add_text(&sb, w->used);
        add_number(&sb, entry->usage);
        add_text(&sb, " GB");
        free(path);
    } else {
        sb.failed = true;
    }
    if (sb.failed) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_take(&sb);
}

char *banner_render(const struct banner_input *in)
{
    struct strbuf sb = {0};
    const struct banner_words *w = in->lang == SCNET_LANG_ZH ? &words_zh : &words_en;
    bool ok = true, hint = false;

    switch (in->kind) {
    case BANNER_USAGE:
        ok = render_usage(&sb, w, in, &hint);
        break;
    case BANNER_REFUSED:
        ok = render_refused(&sb, w, in);
        hint = true;
        break;
    case BANNER_UNCHECKED:
    default:
        add_text(&sb, w->unchecked);
        ok = add_contact_line(&sb, w, in->contact);
        break;
    }
    /* The site's own line closes every banner there is... */
    if (ok && sb.len > 0)
        ok = add_configured_line(&sb, w->help, in->help);
    /* ... but a warning or a refusal ends with what the user can run to look again once
     * they have cleaned up (a plain usage list and "could not be checked" have nothing to
     * follow up). */
    if (ok && hint && in->command_hint) {
        new_line(&sb);
        add_text(&sb, w->command_hint);
    }
    if (!ok) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_take(&sb);
}

char *text_age(enum scnet_lang lang, long age_s)
{
    struct strbuf sb = {0};

    add_age(&sb, lang == SCNET_LANG_ZH ? &words_zh : &words_en, age_s);
    return strbuf_take(&sb);
}
