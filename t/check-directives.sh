#!/bin/sh
# Checks that the documentation matches the directive table pkce_cmds[] in
# mod_pkce_config.c. Every PKCEAuth* directive there must have a line of its
# own in conf/pkce_auth.conf (commented out or not) and be named in
# README.md. Neither file may name a PKCEAuth* directive that the code lacks.
srcdir=${srcdir:-.}
code="$srcdir/mod_pkce_config.c"
conf="$srcdir/conf/pkce_auth.conf"
readme="$srcdir/README.md"

for file in "$code" "$conf" "$readme"; do
    if [ ! -r "$file" ]; then
        echo "1..1"
        echo "not ok 1 - $file is readable"
        exit 1
    fi
done

directives=$(grep -oE 'AP_INIT_[A-Z0-9]*\("PKCEAuth[A-Za-z0-9]*"' "$code" \
             | sed -E 's/.*"(PKCEAuth[A-Za-z0-9]*)"/\1/')
count=$(printf '%s\n' "$directives" | grep -c .)

# Print the PKCEAuth* names that file $1 mentions, one per line, sorted.
names_in() {
    grep -oE 'PKCEAuth[A-Z][A-Za-z0-9]*' "$1" | sort -u
}

echo "1..$((count * 2 + 3))"
failed=0
n=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    failed=1
}

if [ "$count" -gt 0 ]; then
    ok "pkce_cmds[] lists $count directives"
else
    not_ok "pkce_cmds[] lists directives"
    echo "# no AP_INIT_*(\"PKCEAuth...\" entry found in $code"
fi

for name in $directives; do
    if grep -qE "^#?[[:space:]]*$name([[:space:]]|\$)" "$conf"; then
        ok "$name has a line in conf/pkce_auth.conf"
    else
        not_ok "$name has a line in conf/pkce_auth.conf"
        echo "# add a commented-out example line \"#$name ...\" with a comment"
    fi
    if grep -qE "(^|[^A-Za-z0-9_])$name([^A-Za-z0-9_]|\$)" "$readme"; then
        ok "$name is named in README.md"
    else
        not_ok "$name is named in README.md"
        echo "# add $name to the directive table of README.md"
    fi
done

for file in "$conf" "$readme"; do
    unknown=$(names_in "$file" | while read -r name; do
        printf '%s\n' "$directives" | grep -qx "$name" || echo "$name"
    done)
    label=${file#"$srcdir"/}
    if [ -z "$unknown" ]; then
        ok "$label names only directives of pkce_cmds[]"
    else
        not_ok "$label names only directives of pkce_cmds[]"
        echo "# not in pkce_cmds[]: $(printf '%s\n' "$unknown" | tr '\n' ' ')"
    fi
done

exit $failed
