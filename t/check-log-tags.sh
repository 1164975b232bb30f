#!/bin/sh
# Checks the log message tags of the glue: each PKCELOGNO(n) is used at one
# call site only, and every n is below the number in docs/next-log-tag, so
# that a new call site takes that number and then raises it.
srcdir=${srcdir:-.}
next=$(cat "$srcdir/docs/next-log-tag")
tags=$(grep -ohE 'PKCELOGNO\([0-9]+\)' "$srcdir"/mod_pkce_*.c | sed 's/[^0-9]//g')
echo "1..2"
dups=$(printf '%s\n' $tags | sort | uniq -d)
if [ -z "$dups" ]; then
    echo "ok 1 - each log tag is used once"
else
    echo "not ok 1 - each log tag is used once"
    echo "# repeated tags: $dups"
fi
high=$(for t in $tags; do [ "$(expr "$t" + 0)" -ge "$next" ] && echo "$t"; done)
if [ -z "$high" ]; then
    echo "ok 2 - every log tag is below docs/next-log-tag ($next)"
else
    echo "not ok 2 - every log tag is below docs/next-log-tag ($next)"
    echo "# tags at or above it: $high"
fi
[ -z "$dups" ] && [ -z "$high" ]
