#!/bin/bash
# Every man page renders with no groff warning: lint-man.sh MAN_DIR
set -u
status=0
for page in "$1"/*.[1-8]; do
    warnings=$(groff -man -ww -z "$page" 2>&1)
    if [ -n "$warnings" ]; then
        echo "FAIL: $page"; echo "$warnings"; status=1
    else
        echo "PASS: $page"
    fi
done
exit $status
