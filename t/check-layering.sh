#!/bin/sh
# Fails when a file of the httpd-free library includes an httpd header, so
# that the unit tests keep linking libpkce without Apache.
srcdir=${srcdir:-.}
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|util_[a-z_]+|mod_[a-z_]+)\.h[>"]' \
      "$srcdir"/src/*.c "$srcdir"/include/*.h)
if [ -n "$bad" ]; then
    echo "httpd headers included in the library (src/, include/):"
    echo "$bad"
    echo "1..1"; echo "not ok 1 - library is free of httpd headers"
    exit 1
fi
echo "1..1"; echo "ok 1 - library is free of httpd headers"
