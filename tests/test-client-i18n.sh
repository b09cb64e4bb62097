#!/bin/sh
# blkpoint speaks German when asked to:
#
#   - po/de.po translates every message of the sources as they are now
#     (a template is extracted from po/POTFILES.in with the options of
#     po/Makevars and compared with msgcmp; no entry is fuzzy or empty),
#     and msgfmt --check accepts it;
#   - the client, with the catalogue compiled from de.po and LANGUAGE=de,
#     prints its help, its table headers' words and its errors in German,
#     and in English without LANGUAGE.
#
# The German locale need not be installed: glibc honours LANGUAGE in any
# locale but "C", so LC_ALL=C.UTF-8 LANGUAGE=de is enough.  When
# de_DE.UTF-8 is installed, LANG=de_DE.UTF-8 alone is tried as well.
# BP_LOCALEDIR points the client at the catalogue built here.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
blkpoint=$top_builddir/client/blkpoint
po=$top_srcdir/po/de.po

for tool in msgfmt xgettext msgcmp; do
    command -v $tool >/dev/null 2>&1 || { echo "skip: $tool not found"; exit 77; }
done
[ -x "$blkpoint" ] || { echo "FAIL: $blkpoint was not built"; exit 1; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-client-i18n.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- de.po is complete and well-formed ------------------------------------------
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1) ||
    fail "msgfmt --check rejects de.po: $stats"
case $stats in
    *fuzzy*|*untranslated*) fail "de.po is incomplete: $stats" ;;
esac

# The template of the sources as they are, made as po/Makefile makes it.
(cd "$top_srcdir" &&
 GETTEXTDATADIRS="$top_srcdir/po${GETTEXTDATADIRS:+:$GETTEXTDATADIRS}" \
 xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
     --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 \
     --add-comments=Translators: --package-name=blkpoint \
     --files-from=po/POTFILES.in -o "$tmp/blkpoint.pot") 2>"$tmp/xgettext.err" ||
    fail "xgettext failed: $(cat "$tmp/xgettext.err")"
n=$(grep -c '^msgid ' "$tmp/blkpoint.pot")
[ "$n" -gt 100 ] || fail "the template has only $n messages; xgettext went wrong"
if ! LC_ALL=C msgcmp "$po" "$tmp/blkpoint.pot" >"$tmp/msgcmp.out" 2>&1; then
    # "blkpoint.pot:LINE: this message is used but not defined in de.po"
    missing=$(sed -n 's/^.*blkpoint\.pot:\([0-9]*\): this message is used but not defined.*/\1/p' \
                  "$tmp/msgcmp.out" | head -n 20 |
              while read -r line; do sed -n "$((line - 1))p" "$tmp/blkpoint.pot"; done)
    fail "de.po lacks messages of the sources (run 'make -C po update-po' and translate):
${missing:-$(cat "$tmp/msgcmp.out")}"
fi
pass "de.po translates all $((n - 1)) messages of the sources ($stats)"

# ---- the client uses it -------------------------------------------------------------
mkdir -p "$tmp/locale/de/LC_MESSAGES"
msgfmt -o "$tmp/locale/de/LC_MESSAGES/blkpoint.mo" "$po" ||
    { fail "msgfmt could not compile de.po"; exit 1; }
export BP_LOCALEDIR="$tmp/locale"
unset BLKPOINT_CONNECT LC_MESSAGES LANG

# de ARGS...: runs blkpoint in German; output in $tmp/out, $tmp/err.
de() {
    LC_ALL=C.UTF-8 LANGUAGE=de "$blkpoint" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

de help
[ $rc -eq 0 ] && grep -qx "Befehle nach Gruppen:" "$tmp/out" &&
    grep -qx " Domänenverwaltung (Hilfe-Schlüsselwort 'domain'):" "$tmp/out" &&
    grep -q "^    list  *Domänen auflisten$" "$tmp/out" ||
    fail "help in German: $(head -n 5 "$tmp/out")"

de help dominfo
grep -qx "  ÜBERSICHT" "$tmp/out" && grep -q "Domänenname oder UUID" "$tmp/out" ||
    fail "help dominfo in German: $(cat "$tmp/out")"

de frobnicate
[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "Fehler: unbekannter Befehl: 'frobnicate'" ] ||
    fail "unknown command in German: rc=$rc '$(cat "$tmp/err")'"

de start
[ "$(cat "$tmp/err")" = "Fehler: Befehl 'start' erfordert die Option <domain>" ] ||
    fail "missing option in German: '$(cat "$tmp/err")'"

DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-such-bus" de -c session list
[ $rc -eq 1 ] && [ "$(head -n 1 "$tmp/err")" = "Fehler: Verbindung zum Daemon fehlgeschlagen" ] ||
    fail "connection error in German: '$(cat "$tmp/err")'"
pass "LANGUAGE=de: help and errors are German"

# The same without LANGUAGE: English.
LC_ALL=C.UTF-8 "$blkpoint" help >"$tmp/out" 2>&1
grep -qx "Grouped commands:" "$tmp/out" || fail "help without LANGUAGE is not English"
pass "without LANGUAGE: English"

if locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\{0,1\}8'; then
    env -u LC_ALL -u LANGUAGE LANG=de_DE.UTF-8 "$blkpoint" help >"$tmp/out" 2>&1
    grep -qx "Befehle nach Gruppen:" "$tmp/out" || fail "LANG=de_DE.UTF-8: help is not German"
    pass "LANG=de_DE.UTF-8: German"
else
    echo "note: de_DE.UTF-8 is not installed; LANG=de_DE.UTF-8 alone not tried"
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
