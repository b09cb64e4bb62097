#!/bin/sh
# The README's first quick-start command ends here (.ci/run demo).
#
# What exists today is the XML layer, so this runs it for real on the
# example documents: schema + semantic validation, libvirt's defaults and
# disk alignment against the example domain, and a round trip that must
# give back the same document.  It also shows the errors a user gets for
# common mistakes.  Later issues turn this into the full backup demo.
set -e
build=${1:-$(cd "$(dirname "$0")/../.." && pwd)/_build}
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$build/client/blkpoint-xml-validate
ex=$top/docs/examples
export BP_SCHEMA_DIR="$top/xml-schemas"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "validating every example in docs/examples"
for f in "$ex"/*.xml; do
    "$tool" "$f"
done

step "the domain, printed back in libvirt's layout"
"$tool" --format "$ex/domain.xml" | tee "$tmp/domain.xml"

step "checkpoint request aligned against the domain (libvirt's defaults filled in)"
"$tool" --format --domain "$tmp/domain.xml" "$ex/checkpoint.xml" \
    > "$tmp/checkpoint.xml"
sed -n '1,/<domain>/p' "$tmp/checkpoint.xml"
echo "  ... (the domain definition at creation time follows)"

step "incremental push backup request aligned (generated target names)"
"$tool" --format --domain "$tmp/domain.xml" --suffix c2 \
    "$ex/backup-push-incremental.xml" | tee "$tmp/backup.xml"

step "round trip: the stored forms parse back to the same bytes"
"$tool" --format --redefine "$tmp/checkpoint.xml" > "$tmp/checkpoint2.xml"
cmp "$tmp/checkpoint.xml" "$tmp/checkpoint2.xml"
"$tool" --format --domain "$tmp/domain.xml" "$tmp/backup.xml" > "$tmp/backup2.xml"
cmp "$tmp/backup.xml" "$tmp/backup2.xml"
echo "checkpoint and backup documents are fixed points"

step "what a user sees for common mistakes"
bad() {
    printf '%s\n' "$2" > "$tmp/bad.xml"
    printf -- '- %s:\n  ' "$1"
    if "$tool" --domain "$tmp/domain.xml" "$tmp/bad.xml" 2>&1; then
        echo "UNEXPECTEDLY ACCEPTED"; exit 1
    fi
}
bad "unknown disk" "<domainbackup>
  <disks>
    <disk name='vdz'/>
  </disks>
</domainbackup>"
bad "name escaping a directory" "<domaincheckpoint>
  <name>../escape</name>
</domaincheckpoint>"
bad "incremental without a checkpoint" "<domainbackup>
  <disks>
    <disk name='vda' backupmode='incremental'/>
  </disks>
</domainbackup>"
bad "relative socket path" "<domainbackup mode='pull'>
  <server transport='unix' socket='backup.sock'/>
</domainbackup>"
bad "malformed XML" "<domainbackup>
  <disks>
</domainbackup>"

printf '\n== demo finished: the XML layer works end to end on the examples\n'
