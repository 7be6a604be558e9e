#!/usr/bin/env python3
"""Every configuration, credentials and pam.d example in the documentation goes through the
module's real parsers (doc_example_check), so a documented example cannot drift from what
the module accepts.

    test-doc-examples.py CHECKER SOURCE_DIR

Where examples are found: code blocks (Markdown: fenced or indented by four spaces; roff:
.nf/.fi and .EX/.EE) in README.md, docs/*.md and man/*.[158]. An example starts at a line

    # /etc/security/pam_scnet_quota.conf          (a config example)
    # /etc/security/pam_scnet_quota.credentials   (a credentials example)

and runs to the next such line, a blank line or the end of the block. A pam.d line naming
pam_scnet_quota.so in a code block has its arguments checked. A `key = value` line in a
code block outside any marked example fails the test (an example the test would miss),
and etc/pam_scnet_quota.conf.example is checked whole. Prints what it checked and fails
when it found fewer examples than the documentation is known to hold."""
import glob
import os
import re
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^# /etc/security/pam_scnet_quota\.(conf|credentials)\b")
PAM_LINE = re.compile(
    r"^-?(session|account|auth|password)\s+(\[[^]]*\]|\S+)\s+(\S*/)?pam_scnet_quota\.so(\s+(.*))?$")
# A line that sets a key: "key = value" or a lone "key=value".
KEY_LINE = re.compile(r"^[a-z_]+ += +\S")
LONE_PAIR = re.compile(r"^[a-z_]+=\S+$")
ROFF_ESCAPES = [(r"\-", "-"), (r"\(aq", "'"), (r"\(dq", '"'), (r"\&", ""), (r"\fB", ""),
                (r"\fI", ""), (r"\fP", ""), (r"\fR", ""), (r"\e", "\\")]
# What the documentation holds today, at least: fewer means the extraction broke.
MINIMUM = {"config": 9, "credentials": 5, "pam.d": 3}


def markdown_blocks(lines):
    """(first line number, lines) of each code block."""
    block, start, fence = [], 0, False
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            if fence:
                yield start, block
                block = []
            fence, start = not fence, number + 1
            continue
        if fence:
            block.append(line)
        elif line.startswith("    ") or (block and not line.strip()):
            if not block:
                start = number
            block.append(line[4:])
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def roff_blocks(lines):
    block, start, inside = [], 0, False
    for number, line in enumerate(lines, 1):
        if re.match(r"^\.(nf|EX)\b", line):
            inside, block, start = True, [], number + 1
        elif re.match(r"^\.(fi|EE)\b", line) and inside:
            inside = False
            yield start, block
        elif inside:
            if line.startswith("."):
                block.append("")  # .RS, .RE, ...: not text
                continue
            for escape, text in ROFF_ESCAPES:
                line = line.replace(escape, text)
            block.append(line)


def examples(path):
    """(kind, line number, text) of every example in path; problems as kind 'unmarked'."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = roff_blocks(lines) if re.search(r"\.[158]$", path) else markdown_blocks(lines)
    for start, block in blocks:
        current, first = None, 0
        for offset, line in enumerate(block + [""]):
            stripped = line.rstrip()
            marker = MARKER.match(stripped.strip())
            if marker or not stripped.strip():
                if current:
                    yield kind, first, "\n".join(current) + "\n"
                current = None
                if marker:
                    kind = "config" if marker.group(1) == "conf" else "credentials"
                    first, current = start + offset, [stripped.strip()]
                continue
            if current is not None:
                current.append(stripped.strip())
                continue
            pam = PAM_LINE.match(stripped.strip())
            if pam:
                yield "pam.d", start + offset, pam.group(5) or ""
            elif KEY_LINE.match(stripped.strip()) or LONE_PAIR.match(stripped.strip()):
                yield "unmarked", start + offset, stripped.strip()


def expected_values(text):
    """key -> value as the documented rule reads the example: '#' at the start of a line or
    after a blank starts a comment; blanks around key and value are dropped; last line wins.
    Written here from the documentation, independently of the C parser, as the oracle."""
    values = {}
    for line in text.split("\n"):
        line = re.sub(r"(^|[ \t])#.*$", r"\1", line).strip(" \t\r")
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip(" \t")] = value.strip(" \t")
    return values


BOOLEANS = {"yes": "yes", "true": "yes", "on": "yes", "1": "yes",
            "no": "no", "false": "no", "off": "no", "0": "no"}


def as_parsed(key, value):
    """The documented value as doc_example_check prints what the parser kept: timeout in
    milliseconds, percents as numbers (or off), booleans as yes/no, counts as integers, an
    empty text as unset (empty). None when the value cannot be read so (then it must fail
    to parse, and did not)."""
    try:
        if key == "timeout":
            return str(int(float(value) * 1000 + 0.5))
        if key in ("warn", "deny"):
            return "off" if value == "off" else float(value)
        if key == "debug":
            return BOOLEANS[value]
        if key in ("min_uid", "cache_ttl", "stale_ttl", "token_ttl", "token_renew_before",
                   "offline_retry", "refresh_window", "refresh_rate", "self_check_interval"):
            return str(int(value))
    except (KeyError, ValueError):
        return None
    return value


def same_value(key, parsed, value):
    want = as_parsed(key, value)
    if isinstance(want, float):
        return parsed != "off" and float(parsed) == want
    return parsed == want


def main():
    checker, src = sys.argv[1], sys.argv[2]
    files = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md"))) \
        + sorted(glob.glob(os.path.join(src, "man", "*.[158]")))
    counts = {"config": 0, "credentials": 0, "pam.d": 0}
    failures = 0
    work = tempfile.mkdtemp(prefix="scnet-doc-examples-")
    os.chmod(work, 0o700)
    empty = os.path.join(work, "empty.conf")
    open(empty, "w").close()
    os.chmod(empty, 0o600)

    def run(kind, where, args, shown, text=None):
        nonlocal failures
        result = subprocess.run([checker] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True)
        out = result.stdout.strip().replace(work + "/", "")
        counts[kind] += 1
        problem = None if result.returncode == 0 else out
        if problem is None and text is not None:
            # What the parser made of each line must be what the line says.
            parsed = dict(l.split("\t", 1) for l in result.stdout.split("\n")[1:] if "\t" in l)
            # Every documented key, whatever its type; one the parser did not keep fails.
            for key, value in expected_values(text).items():
                if key not in parsed:
                    problem = "%s was not kept by the parser (the example sets %r)" % (key, value)
                    break
                if not same_value(key, parsed[key], value):
                    problem = "%s is %r, the example means %r" % (key, parsed[key], value)
                    break
        if problem is None:
            print("PASS: %s: %s example (%s)" % (where, kind, shown))
        else:
            failures += 1
            print("FAIL: %s: %s example (%s): %s" % (where, kind, shown, problem))

    examples_in = {}
    for path in files:
        rel = os.path.relpath(path, src)
        for n, (kind, line, text) in enumerate(examples(path)):
            where = "%s:%d" % (rel, line)
            examples_in[rel] = examples_in.get(rel, 0) + 1
            if kind == "unmarked":
                failures += 1
                print("FAIL: %s: a key line outside a marked example (start the example with "
                      "'# /etc/security/pam_scnet_quota.conf' or '.credentials'): %s" % (where, text))
                continue
            if kind == "pam.d":
                args = [a for a in text.split() if not a.startswith("conf=")]
                run(kind, where, ["args", "conf=" + empty, "url=https://doc-example.invalid"] + args,
                    "arguments: %s" % (" ".join(args) or "none"),
                    "url=https://doc-example.invalid\n" + "\n".join(args))
                continue
            sample = os.path.join(work, "example-%d" % n)
            with open(sample, "w") as f:
                f.write(text)
            os.chmod(sample, 0o600)
            extra = []
            if kind == "config" and "url" not in expected_values(text):
                extra = ["url=https://doc-example.invalid"]
            run(kind, where, [kind, sample] + extra, "%d lines" % text.count("\n"), text)
            os.unlink(sample)
    example = os.path.join(src, "etc", "pam_scnet_quota.conf.example")
    copy = os.path.join(work, "conf.example")
    with open(example) as f, open(copy, "w") as g:
        g.write(f.read())
    os.chmod(copy, 0o600)
    with open(copy) as f:
        run("config", "etc/pam_scnet_quota.conf.example", ["config", copy], "the whole file", f.read())
    os.unlink(copy)
    os.unlink(empty)
    os.rmdir(work)
    for rel in ("README.md", "docs/auth.md", "man/pam_scnet_quota.conf.5", "man/pam_scnet_quota.8"):
        if not examples_in.get(rel):
            failures += 1
            print("FAIL: no example found in %s: the extraction is broken" % rel)
    for kind, least in MINIMUM.items():
        if counts[kind] < least:
            failures += 1
            print("FAIL: only %d %s examples found, expected at least %d" % (counts[kind], kind, least))
    print("checked %d config, %d credentials, %d pam.d examples in %d files; %d failed"
          % (counts["config"], counts["credentials"], counts["pam.d"], len(files) + 1, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
