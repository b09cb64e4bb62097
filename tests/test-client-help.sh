#!/bin/sh
# blkpoint's commands, their help, and the documents that describe them,
# without a daemon:
#
#   - the client, blkpoint(1) and the bash completion know the same
#     commands; the manual marks "(not yet implemented)" exactly the
#     commands the client does not implement, and those refuse to run;
#   - "help CMD" and "CMD --help" print NAME, SYNOPSIS and OPTIONS for
#     every implemented command, and the options there are the ones the
#     completion offers and the manual documents;
#   - "help" lists every implemented command and nothing else;
#   - command-line mistakes fail with exit status 1 and virsh's messages,
#     before anything is sent to a daemon;
#   - a daemon that cannot be reached is reported as virsh reports a
#     hypervisor it cannot connect to, also as JSON.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
blkpoint=$top_builddir/client/blkpoint
pod=$top_srcdir/docs/blkpoint.1.pod
completion=$top_srcdir/client/blkpoint.bash-completion

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-client-help.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

[ -x "$blkpoint" ] || { echo "FAIL: $blkpoint was not built"; exit 1; }
# Messages in English whatever the caller's locale.
export LC_ALL=C.UTF-8 LANGUAGE=C
unset BLKPOINT_CONNECT

# run ARGS...: runs blkpoint, leaving $tmp/out, $tmp/err and $rc.
run() {
    "$blkpoint" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# ---- the command sets -------------------------------------------------------
pod_commands=$(sed -n '/^=head1 .*COMMANDS$/,/^=head1 EXIT/p' "$pod" |
               sed -n 's/^=item B<\([a-z-]*\)>.*/\1/p' | sort)
comp_table=$(sed -n '/^declare -gA _blkpoint_options=(/,/^)/p' "$completion")
comp_commands=$(echo "$comp_table" | sed -n 's/^    \[\([a-z-]*\)\]=".*/\1/p' | sort -u)
[ "$pod_commands" = "$comp_commands" ] ||
    fail "blkpoint(1) and the completion differ: $(echo $pod_commands) / $(echo $comp_commands)"

# Which commands the manual marks: the line after "=item B<cmd>" (and a
# blank line) starts with "(not yet implemented)".
pod_marked() {
    awk -v c="$1" '
        $0 ~ "^=item B<" c ">" { found = 1; next }
        found && /^$/ { next }
        found { print (index($0, "(not yet implemented)") == 1) ? "yes" : "no"; exit }
    ' "$pod"
}

implemented=
planned=
for c in $comp_commands; do
    run help "$c"
    if [ $rc -eq 0 ]; then
        implemented="$implemented $c"
        [ "$(pod_marked "$c")" = no ] ||
            fail "blkpoint(1) marks $c (not yet implemented), but the client implements it"
    elif grep -qx "error: command '$c' is not implemented yet" "$tmp/err"; then
        planned="$planned $c"
        [ "$(pod_marked "$c")" = yes ] ||
            fail "blkpoint(1) documents $c as implemented, but the client does not implement it"
        run "$c" vm1
        [ $rc -eq 1 ] && grep -qx "error: command '$c' is not implemented yet" "$tmp/err" ||
            fail "$c: a planned command should refuse to run (rc=$rc: $(cat "$tmp/err"))"
    else
        fail "help $c: the client does not know the command ($(cat "$tmp/err"))"
    fi
done
[ -n "$implemented" ] || fail "no implemented command found"
pass "implemented:$implemented"
pass "planned:$planned"

# ---- help of each implemented command -----------------------------------------
for c in $implemented; do
    run help "$c"
    cp "$tmp/out" "$tmp/help"
    for section in NAME SYNOPSIS OPTIONS; do
        grep -qx "  $section" "$tmp/help" || fail "help $c: no $section section"
    done
    grep -q "^    $c - ." "$tmp/help" || fail "help $c: no one-line summary"
    # "CMD --help" prints the same, as in virsh.
    run "$c" --help
    [ $rc -eq 0 ] || fail "$c --help: rc=$rc"
    cmp -s "$tmp/out" "$tmp/help" || fail "$c --help differs from help $c"

    # The options: help's OPTIONS section against the completion's table
    # and the manual's =item line (help and version have none there).
    # Positional options, shown as "[--domain] <string>", may be offered
    # by the completion in their "--from C" form or not.
    help_opts=$(sed -n '/^  OPTIONS$/,$p' "$tmp/help" |
                sed -n 's/^    \(--[a-z-]*\).*/\1/p' | grep -vx -- --json |
                sort | tr '\n' ' ')
    positional=$(sed -n '/^  OPTIONS$/,$p' "$tmp/help" |
                 sed -n 's/^    \[\(--[a-z-]*\)\] .*/\1/p' | sort | tr '\n' ' ')
    comp_opts=$(echo "$comp_table" | sed -n "s/^    \[$c\]=\"\(.*\)\"/\1/p" | tr ' ' '\n' |
                sed '/^$/d' | sort | tr '\n' ' ')
    comp_named=$(for o in $comp_opts; do
                     case " $positional " in *" $o "*) ;; *) echo "$o" ;; esac
                 done | sort | tr '\n' ' ')
    [ "$help_opts" = "$comp_named" ] ||
        fail "$c: help shows options '$help_opts', the completion '$comp_named' (and positional ones)"
done
pass "help of every implemented command has its sections and the completion's options"

# "help" lists exactly the implemented commands.
run help
listed=$(sed -n 's/^    \([a-z-]*\)  .*/\1/p' "$tmp/out" | sort | tr '\n' ' ')
want=$(echo $implemented | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$listed" = "$want" ] || fail "help lists '$listed', want '$want'"
grep -qx "Grouped commands:" "$tmp/out" || fail "help: no 'Grouped commands:' heading"
grep -qx " Domain Management (help keyword 'domain'):" "$tmp/out" ||
    fail "help: no domain group heading"
run help domain
grep -q "^    dominfo  " "$tmp/out" && ! grep -q "^    version  " "$tmp/out" ||
    fail "help domain: should list the domain commands only"
run --help
[ $rc -eq 0 ] && grep -q -- "-c | --connect=BUS" "$tmp/out" && grep -q "^    list  " "$tmp/out" ||
    fail "--help: usage and commands expected (rc=$rc)"
run -v
[ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "$(sed -n 's/^AC_INIT(\[blkpoint\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")" ] ||
    fail "-v: prints '$(cat "$tmp/out")'"
pass "help lists the implemented commands; --help and -v work"

# ---- command-line mistakes ---------------------------------------------------------
# expect_error "MESSAGE" ARGS...: exit status 1 and exactly this message,
# nothing on standard output: the command line was refused before any
# command ran.
expect_error() {
    msg=$1
    shift
    run "$@"
    [ $rc -eq 1 ] || fail "blkpoint $*: exit status $rc, want 1"
    [ "$(cat "$tmp/err")" = "error: $msg" ] ||
        fail "blkpoint $*: stderr '$(cat "$tmp/err")', want 'error: $msg'"
    [ ! -s "$tmp/out" ] || fail "blkpoint $*: unexpected output '$(cat "$tmp/out")'"
}
expect_error "unknown command: 'frobnicate'" frobnicate
expect_error "command 'start' requires <domain> option" start
expect_error "command 'dominfo' requires <domain> option" -c session dominfo
expect_error "unexpected data 'vm2'" start vm1 vm2
expect_error "command 'list' doesn't support option --bogus" list --bogus
expect_error "expected syntax: --xpath <string>" dumpxml vm1 --xpath
expect_error "unsupported option '--bogus'. See --help." --bogus list
expect_error "unknown connection 'remote': use 'system' or 'session'" -c remote list
# The checkpoint commands' refusals, in virsh's words, before any call.
# Those the command makes (virsh's VSH_EXCLUSIVE_OPTIONS and the like)
# come after the command started: its empty line follows.
expect_refusal() {
    msg=$1
    shift
    run "$@"
    [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "error: $msg" ] &&
        [ "$(od -An -c "$tmp/out" | tr -d ' ')" = '\n' ] ||
        fail "blkpoint $*: rc=$rc, stderr '$(cat "$tmp/err")', stdout '$(cat "$tmp/out")', want 'error: $msg'"
}
expect_error "command 'checkpoint-info' requires <checkpointname> option" checkpoint-info vm1
expect_error "unexpected data 'c2'" checkpoint-parent vm1 c1 c2
expect_refusal "Options --tree and --name are mutually exclusive" checkpoint-list vm1 --tree --name
expect_refusal "Options --roots and --from are mutually exclusive" checkpoint-list vm1 --roots c1
expect_refusal "--leaves and --tree are mutually exclusive" checkpoint-list vm1 --leaves --tree
expect_refusal "--descendants requires --from" checkpoint-list vm1 --descendants
expect_refusal "Option --redefine is required by option --redefine-validate" \
    checkpoint-create vm1 c.xml --redefine-validate
expect_refusal "Option --xpath is required by option --wrap" checkpoint-dumpxml vm1 c1 --wrap
# A command that ran and failed ends its output with the empty line, as
# virsh's do.
run help frobnicate
[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "error: command or command group 'frobnicate' doesn't exist" ] &&
    [ "$(od -An -c "$tmp/out" | tr -d ' ')" = '\n' ] ||
    fail "help frobnicate: rc=$rc, stderr '$(cat "$tmp/err")', stdout '$(cat "$tmp/out")'"
expect_error "no command given; 'blkpoint help' lists the commands"
BLKPOINT_CONNECT=nowhere expect_error \
    "BLKPOINT_CONNECT: unknown connection 'nowhere': use 'system' or 'session'" list
pass "command-line mistakes fail with virsh's messages"

# ---- no daemon ------------------------------------------------------------------------
# A bus address nobody listens on: the failure is reported as a failed
# connection, once, with exit status 1.
DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-such-bus" run -c session list --all
[ $rc -eq 1 ] || fail "list without a bus: exit status $rc, want 1"
[ "$(head -n 1 "$tmp/err")" = "error: failed to connect to the daemon" ] &&
    [ "$(wc -l <"$tmp/err")" -eq 2 ] ||
    fail "list without a bus: stderr '$(cat "$tmp/err")'"
# virsh prints the empty line that ends a command's output even after an
# error; -q drops it.
[ "$(cat "$tmp/out")" = "" ] && [ "$(wc -c <"$tmp/out")" -eq 1 ] ||
    fail "list without a bus: stdout should be one empty line"
DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-such-bus" run -q -c session --json define /nonexistent.xml
[ $rc -eq 1 ] || fail "define of a missing file: exit status $rc"
grep -qx "error: Failed to open file '/nonexistent.xml': No such file or directory" "$tmp/err" ||
    fail "define of a missing file: stderr '$(cat "$tmp/err")'"
if command -v jq >/dev/null 2>&1; then
    [ "$(jq -r .error.name "$tmp/out")" = org.blkpoint.Blkpoint1.Error.Io ] ||
        fail "define --json of a missing file: '$(cat "$tmp/out")'"
    DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-such-bus" run -c session dominfo vm1 --json
    [ $rc -eq 1 ] && [ "$(jq -r .error.context "$tmp/out")" = "failed to connect to the daemon" ] ||
        fail "dominfo --json without a bus: '$(cat "$tmp/out")'"
    run --json frobnicate
    [ "$(jq -r .error.name "$tmp/out")" = org.blkpoint.Blkpoint1.Error.InvalidArgument ] ||
        fail "--json frobnicate: '$(cat "$tmp/out")'"
    run help --json
    [ "$(jq -r '[.[] | select(.implemented) | .name] | sort | join(" ")' "$tmp/out")" = "$(echo $want)" ] ||
        fail "help --json: implemented commands '$(cat "$tmp/out")'"
    pass "errors as JSON carry the D-Bus error name and the context"
else
    echo "skip: jq not found: JSON error documents not checked"
fi
pass "an unreachable daemon is a failed connection"

echo "$failures failure(s)"
[ $failures -eq 0 ]
