#!/bin/sh
# The documentation says what the definitions say:
#
#   - docs/dbus-api.md names every method, property and signal of the
#     introspection XML, and every error name of src/util/bp-error.c;
#   - blkpoint(1) and the bash completion know the same commands with the
#     same options;
#   - blkpointd.conf(5) documents exactly the keys of blkpointd.conf;
#   - the POD sources are clean (podchecker) and the man pages were built
#     from them;
#   - the completion completes commands, options and option values when
#     run by bash.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
XMLLINT=${XMLLINT:-xmllint}
[ "$XMLLINT" = no ] && XMLLINT=

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
skip() { echo "skip: $*"; }

api=$top_srcdir/docs/dbus-api.md
pod1=$top_srcdir/docs/blkpoint.1.pod
pod5=$top_srcdir/docs/blkpointd.conf.5.pod
completion=$top_srcdir/client/blkpoint.bash-completion
confin=$top_srcdir/daemon/blkpointd.conf.in

# ---- dbus-api.md against the XML and the error table -----------------------
if [ -n "$XMLLINT" ]; then
    n=0
    for f in "$top_srcdir"/src/dbus/org.blkpoint.Blkpoint1.*.xml; do
        iface=$("$XMLLINT" --xpath 'string(/node/interface/@name)' "$f")
        grep -q "^### \`$iface\`" "$api" || fail "dbus-api.md has no section for $iface"
        for kind in method property signal; do
            for m in $("$XMLLINT" --xpath "/node/interface/$kind/@name" "$f" 2>/dev/null |
                       sed 's/ *name="\([^"]*\)"/\1\n/g'); do
                n=$((n + 1))
                # The member's row in its interface's table.
                sed -n "/^### \`$iface\`/,/^##/p" "$api" |
                    grep -Eq "^\| ($kind |)\`$m\` \|" ||
                    fail "dbus-api.md: $iface $kind $m is not in the table"
            done
        done
    done
    pass "dbus-api.md lists all $n members of the interfaces"
else
    skip "xmllint not found: dbus-api.md not compared with the XML"
fi

errors=$(sed -n 's/.*BP_DBUS_ERROR_PREFIX "\([A-Za-z]*\)".*/\1/p' "$top_srcdir/src/util/bp-error.c")
[ -n "$errors" ] || fail "no error names found in bp-error.c"
for e in $errors; do
    grep -q "^| \`$e\` |" "$api" || fail "dbus-api.md: error $e not documented"
done
pass "dbus-api.md documents the $(echo $errors | wc -w) error names"
grep -q 'gdbus call --session --dest org.blkpoint.Blkpoint1' "$api" || fail "dbus-api.md: no gdbus example"
grep -q 'busctl' "$api" || fail "dbus-api.md: no busctl example"

# ---- blkpoint(1) against the completion -------------------------------------
# Commands are the "=item B<command>" entries of the COMMANDS sections;
# options are the B<--option> words on that line.
pod_commands=$(sed -n '/^=head1 .*COMMANDS$/,/^=head1 EXIT/p' "$pod1" |
               sed -n 's/^=item B<\([a-z-]*\)>.*/\1/p' | sort)
# The completion's table of commands and their options.
comp_table=$(sed -n '/^declare -gA _blkpoint_options=(/,/^)/p' "$completion")
comp_commands=$(echo "$comp_table" | sed -n 's/^    \[\([a-z-]*\)\]=".*/\1/p' | sort -u)
if [ "$pod_commands" = "$comp_commands" ]; then
    pass "blkpoint(1) and the completion know the same $(echo $pod_commands | wc -w) commands"
else
    fail "commands differ: blkpoint(1): $(echo $pod_commands); completion: $(echo $comp_commands)"
fi
for c in $pod_commands; do
    pod_opts=$(grep "^=item B<$c>" "$pod1" | grep -o 'B<--[a-z-]*>' |
               sed 's/B<\(.*\)>/\1/' | sort -u | tr '\n' ' ')
    comp_opts=$(echo "$comp_table" | sed -n "s/^    \[$c\]=\"\(.*\)\"/\1/p" | tr ' ' '\n' |
                sed '/^$/d' | sort -u | tr '\n' ' ')
    [ "$pod_opts" = "$comp_opts" ] ||
        fail "$c: man page options '$pod_opts' vs completion '$comp_opts'"
done
# Which commands carry the "(not yet implemented)" mark is checked
# against the built client by tests/test-client-help.sh.
pass "each command has the same options in blkpoint(1) and the completion"

# ---- blkpointd.conf(5) against blkpointd.conf ---------------------------------
conf_keys=$(sed -n 's/^#\([a-z0-9_]*\)=.*/\1/p' "$confin" | sort)
pod_keys=$(sed -n 's/^=item B<\([a-z0-9_]*\)> = .*/\1/p' "$pod5" | sort)
[ -n "$conf_keys" ] && [ "$conf_keys" = "$pod_keys" ] &&
    pass "blkpointd.conf(5) documents the $(echo $conf_keys | wc -w) keys of blkpointd.conf" ||
    fail "keys differ: blkpointd.conf: $(echo $conf_keys); blkpointd.conf(5): $(echo $pod_keys)"
for g in $(sed -n 's/^\[\([a-z]*\)\]$/\1/p' "$confin"); do
    grep -q "^=head1 GROUP \[$g\]" "$pod5" || fail "blkpointd.conf(5) has no section for [$g]"
done

# ---- POD and man pages -----------------------------------------------------------
if command -v podchecker >/dev/null 2>&1; then
    for p in "$top_srcdir"/docs/*.pod; do
        podchecker -warnings -warnings "$p" >/dev/null 2>"$top_builddir/tests/podchecker.out" ||
            fail "podchecker $p: $(cat "$top_builddir/tests/podchecker.out")"
        grep -q 'WARNING' "$top_builddir/tests/podchecker.out" &&
            fail "podchecker $p: $(cat "$top_builddir/tests/podchecker.out")"
    done
    rm -f "$top_builddir/tests/podchecker.out"
    pass "POD sources pass podchecker"
else
    skip "podchecker not found"
fi
for page in blkpoint.1 blkpointd.8 blkpointd.conf.5; do
    f=$top_builddir/docs/$page
    [ -f "$f" ] || f=$top_srcdir/docs/$page
    if [ ! -f "$f" ]; then
        fail "man page $page was not built"
    elif grep -q 'POD ERRORS' "$f"; then
        fail "man page $page has POD errors"
    elif ! grep -q '^\.TH' "$f"; then
        fail "man page $page has no .TH header"
    fi
done
pass "man pages built"

# ---- the completion, run by bash -----------------------------------------------
if command -v bash >/dev/null 2>&1; then
    # complete WORDS...: prints the sorted completions of the last word.
    complete_words() {
        bash -c '
            . "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _blkpoint
            printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
        ' bash "$completion" "$@" 2>&1
    }
    bash -n "$completion" || fail "the completion has syntax errors"
    got=$(complete_words blkpoint checkpoint-d)
    [ "$got" = "checkpoint-delete checkpoint-dumpxml " ] || fail "blkpoint checkpoint-d<TAB>: '$got'"
    got=$(complete_words blkpoint checkpoint-delete vm1 c1 --ch)
    [ "$got" = "--children --children-only " ] || fail "checkpoint-delete ... --ch<TAB>: '$got'"
    got=$(complete_words blkpoint --conn)
    [ "$got" = "--connect " ] || fail "blkpoint --conn<TAB>: '$got'"
    got=$(complete_words blkpoint -c s)
    [ "$got" = "session system " ] || fail "blkpoint -c s<TAB>: '$got'"
    got=$(complete_words blkpoint -c session backup-pull vm1 --format "")
    [ "$got" = "qcow2 raw " ] || fail "backup-pull --format <TAB>: '$got'"
    pass "the completion completes commands, options and values"
else
    skip "bash not found: completion not run"
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
