#!/bin/sh
# snapshot-list's filters against blkpointd and a shut-off domain with a
# chain of three snapshots s1 -> s2 -> s3 (created with qemu-img): --from
# and --current (children, --descendants), --leaves, --no-leaves, --roots,
# their combinations with --tree and --name, and virsh's refusals; then
# snapshot-delete --children and --children-only (metadata only).  The
# tree cannot branch: snapshots have no revert, so a new one always hangs
# below the current one, which is a leaf.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/e2e-testlib.sh"
e2e_init snlist jq

# names ARGS...: snapshot-list vm1 --name ARGS must print exactly the names
# after "--", one per line.
names() {
    _args=
    while [ "$1" != "--" ]; do _args="$_args $1"; shift; done
    shift
    _want=
    for _n in "$@"; do _want="$_want$_n\n"; done
    bp -q snapshot-list vm1 --name $_args
    expect "$_want" "snapshot-list --name$_args" && pass "snapshot-list$_args: $*"
}

e2e_domain_2disks
bp -q destroy vm1
for s in s1 s2 s3; do
    bp snapshot-create-as vm1 $s --disk-only
    expect "Domain snapshot $s created\n" "snapshot-create-as $s" || exit 1
done

names -- s1 s2 s3
names --roots -- s1
names --leaves -- s3
names --no-leaves -- s1 s2
names --leaves --no-leaves --
names --from s1 -- s2
names --from s1 --descendants -- s2 s3
names --from s1 --descendants --leaves -- s3
names --from s1 --descendants --no-leaves -- s2
names --from s3 --
names --current --
names --current --descendants --
names --from s2 --no-leaves --

bp snapshot-list vm1 --from s1 --tree
expect "s1\n  |\n  +- s2\n    \n\n" "snapshot-list --from s1 --tree" &&
    pass "--from s1 --tree: s1 as the root, its child below"
bp snapshot-list vm1 --from s1 --descendants --tree
expect "s1\n  |\n  +- s2\n      |\n      +- s3\n        \n\n" \
    "snapshot-list --from s1 --descendants --tree" &&
    pass "--from s1 --descendants --tree: the whole subtree"
bp -q snapshot-list vm1 --from s1 --parent
grep -q "^ s2 .* shutoff  *s1$" out && [ "$(grep -c shutoff out)" = 1 ] &&
    pass "--from s1 --parent: the table of s1's children" ||
    fail "--from s1 --parent: $(cat out)"
bp -q --json snapshot-list vm1 --from s1 --descendants
[ "$(jq -r '[.[] | .name] | join(",")' out)" = "s2,s3" ] &&
    pass "--json --from s1 --descendants" || fail "--json --from: $(cat out)"

# Deleting s2's record hangs s3 below s1.
bp -q snapshot-delete vm1 s2 --metadata
names --from s1 -- s3
names --roots -- s1

# The completion offers the snapshots, for --from and as SNAPSHOTNAME.
if command -v bash >/dev/null 2>&1; then
    complete_words() {
        PATH=$top_builddir/client:$PATH bash -c '
            . "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _blkpoint
            printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
        ' bash "$top_srcdir/client/blkpoint.bash-completion" "$@" 2>&1
    }
    got="$(complete_words blkpoint -c session snapshot-list vm1 --from s)|$(complete_words blkpoint -c session snapshot-info vm1 "")|$(complete_words blkpoint -c session snapshot-list vm1 --no-l)"
    [ "$got" = "s1 s3 |s1 s3 |--no-leaves " ] &&
        pass "the completion completes snapshot names and the new options" ||
        fail "completion: '$got'"
fi

# virsh's refusals, in its order.
bp snapshot-list vm1 --roots --current
expect_fail "Options --roots and --current are mutually exclusive" &&
    pass "--roots with --current refused"
bp snapshot-list vm1 --roots --from s1
expect_fail "Options --roots and --from are mutually exclusive" &&
    pass "--roots with --from refused"
bp snapshot-list vm1 --leaves --tree
expect_fail "--leaves and --tree are mutually exclusive" && pass "--leaves with --tree refused"
bp snapshot-list vm1 --no-leaves --tree
expect_fail "--no-leaves and --tree are mutually exclusive" &&
    pass "--no-leaves with --tree refused"
bp snapshot-list vm1 --descendants
expect_fail "--descendants requires either --from or --current" &&
    pass "--descendants alone refused"
bp snapshot-list vm1 --from s1 --current
expect_fail "--from and --current are mutually exclusive" &&
    pass "--from with --current refused"
bp snapshot-list vm1 --from nosuch
expect_fail "no domain snapshot with matching name 'nosuch' in domain 'vm1'" &&
    pass "--from an unknown snapshot"

# snapshot-delete --children / --children-only, metadata only: on
# s1 -> s3 -> s4 -> s5.
for s in s4 s5; do
    bp snapshot-create-as vm1 $s --disk-only
    expect "Domain snapshot $s created\n" "snapshot-create-as $s" || exit 1
done
bp snapshot-delete vm1 s3 --children
if [ $rc -eq 1 ] && grep -q "not supported" err; then
    names -- s1 s3 s4 s5
    pass "snapshot-delete --children without --metadata refused, nothing deleted"
else
    fail "snapshot-delete --children without --metadata: rc=$rc $(cat err)"
fi
bp snapshot-delete vm1 s4 --children-only --metadata
expect "Domain snapshot s4 children deleted\n" "snapshot-delete --children-only" &&
    pass "snapshot-delete --children-only: virsh's message"
names -- s1 s3 s4
bp -q snapshot-current vm1 --name
expect "s4\n" "current after --children-only" &&
    pass "--children-only of the current snapshot's parent: it becomes current"
bp snapshot-delete vm1 s3 --children --metadata
expect "Domain snapshot s3 deleted\n" "snapshot-delete --children"
names -- s1
bp -q snapshot-current vm1 --name
expect "s1\n" "current after --children" &&
    pass "snapshot-delete --children: the subtree's records go, its parent is current"
[ -f "$tmp/vda.s5" ] && [ -f "$tmp/vda.s3" ] &&
    pass "the overlays of the deleted records stay" || fail "overlays: $(ls "$tmp")"

e2e_finish
