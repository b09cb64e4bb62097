#!/bin/sh
# Fails when a source file that marks messages for translation is not
# listed in po/POTFILES.in (or lists a file that no longer exists).
set -e
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top"
status=0
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d')
for f in $(find src daemon client -name '*.c' -o -name '*.policy.in' | sort); do
    if grep -Eq '(^|[^A-Za-z0-9_])(_|N_|C_|NC_)\(' "$f" || \
       grep -q '<message>' "$f" 2>/dev/null; then
        if ! printf '%s\n' "$listed" | grep -qx "$f"; then
            echo "not in po/POTFILES.in: $f"
            status=1
        fi
    fi
done
for f in $listed; do
    if [ ! -f "$f" ]; then
        echo "listed in po/POTFILES.in but missing: $f"
        status=1
    fi
done
# xgettext cuts a msgid at a format macro: such a message is never translated.
bad=$(grep -nE '_\("[^"]*%" *G_G?U?INT(8|16|32|64|PTR|SIZE)_FORMAT' $listed || true)
if [ -n "$bad" ]; then
    echo "a translatable message uses a G_*_FORMAT macro (use %lld/%llu with a cast):"
    printf '%s\n' "$bad"
    status=1
fi
[ $status -eq 0 ] && echo "po/POTFILES.in is complete"
exit $status
