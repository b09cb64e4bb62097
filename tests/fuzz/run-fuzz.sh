#!/bin/sh
# run-fuzz.sh SECONDS [libFuzzer args...]
# Builds tests/fuzz/fuzz-xml with clang (libFuzzer + ASan + UBSan) against
# the sources of src/util and src/conf and runs it for SECONDS.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-600}
[ $# -gt 0 ] && shift
out=${BP_FUZZ_DIR:-$top/_build/fuzz}
mkdir -p "$out/corpus" "$out/seeds" "$out/obj"

command -v clang >/dev/null || { echo "clang is required" >&2; exit 77; }

# A config.h for a standalone build.
cat > "$out/obj/config.h" <<EOH
#define GETTEXT_PACKAGE "blkpoint"
#define PKGDATADIR "$top/xml-schemas/.."
#define LOCALEDIR "/usr/share/locale"
#define ENABLE_NLS 1
EOH

cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
        -I$out/obj -I$top/src -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74
        $(pkg-config --cflags glib-2.0 gio-2.0 libxml-2.0)"
libs="$(pkg-config --libs glib-2.0 gio-2.0 libxml-2.0)"

# shellcheck disable=SC2086
clang $cflags -o "$out/fuzz-xml" "$top/tests/fuzz/fuzz-xml.c" \
    "$top"/src/util/bp-*.c "$top"/src/conf/bp-*.c $libs

# Seeds: every XML document we have, prefixed with the selector byte of
# its kind.
for f in "$top"/tests/schemadata/*/*.xml "$top"/tests/confdata/*/*.xml \
         "$top"/docs/examples/*.xml; do
    [ -f "$f" ] || continue
    case "$(sed -n '/^</{s/^<\([a-z]*\).*/\1/p;q}' "$f")" in
    domain) sel='d' ;;
    domaincheckpoint) sel='c' ;;
    domainbackup) sel='b' ;;
    domainsnapshot) sel='s' ;;
    *) continue ;;
    esac
    name=$(echo "$f" | md5sum | cut -c1-16)
    { printf '%s' "$sel"; cat "$f"; } > "$out/seeds/$name"
done

export BP_SCHEMA_DIR="$top/xml-schemas"
export ASAN_OPTIONS=detect_leaks=1
exec "$out/fuzz-xml" -max_total_time="$secs" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 "$@" "$out/corpus" "$out/seeds"
