#!/bin/sh
# Regenerate the build system; then run configure unless NOCONFIGURE is set.
set -e
srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.
(cd "$srcdir" && autoreconf --verbose --force --install)
test -n "$NOCONFIGURE" || exec "$srcdir/configure" "$@"
