#!/bin/bash
# Regenerates curl-symbols.tsv, the "symbol -> libcurl version" table the compat tests use,
# from curl's own list, docs/libcurl/symbols-in-versions in curl's source tree:
#
#   tests/compat/gen-curl-symbols.sh PATH/TO/curl/docs/libcurl/symbols-in-versions
#
# Output columns (tab-separated, one symbol a line, sorted by name):
#   name  introduced  deprecated  last
# with "-" where the list has no version (never deprecated / still present).
# The checked-in table was made from the list in curl 8.22.0-DEV (git, August 2026).
set -euo pipefail
src=${1:?usage: $0 PATH/TO/symbols-in-versions}
out=$(dirname "$0")/curl-symbols.tsv
{
    printf '# name\tintroduced\tdeprecated\tlast\n'
    # The list proper starts after its header line "Name Introduced Deprecated Last".
    awk 'started && NF >= 2 && $2 ~ /^[0-9]+\.[0-9]+(\.[0-9]+)?$/ {
             printf "%s\t%s\t%s\t%s\n", $1, $2, (NF >= 3 ? $3 : "-"), (NF >= 4 ? $4 : "-")
         }
         /^ *Name +Introduced/ { started = 1 }' "$src" | LC_ALL=C sort
} >"$out"
echo "wrote $(($(wc -l <"$out") - 1)) symbols to $out"
