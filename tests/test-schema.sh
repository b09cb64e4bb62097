#!/bin/sh
# Validate XML documents against blkpoint's RelaxNG schemas.
#
# Documents checked:
#   - libvirt's upstream conformance corpus (domainbackupxml2xml{in,out},
#     qemudomaincheckpointxml2xml{in,out}), exactly as libvirt's own
#     tests/virschematest.c checks them;
#   - our own documents in tests/schemadata/<schema>/*.xml.
# A file whose name ends in "-invalid.xml" must be rejected by the schema
# (xmllint exit status 3: well-formed, but not valid); every other file
# must validate.  Output is TAP.
#
# Environment:
#   BP_SCHEMA_DIR       schema directory (default: $srcdir/../xml-schemas)
#   BP_CONFORMANCE_DIR  libvirt corpus (default: the shared/ directory next
#                       to the repository checkout); the test is skipped
#                       (exit 77) when that directory does not exist
#   BP_SCHEMA_DATA_DIR  our documents (default: $srcdir/schemadata)
#   XMLLINT             xmllint binary (default: xmllint from $PATH)
#   srcdir              set by automake; defaults to this script's directory

set -e

script_dir=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$script_dir}

schema_dir=${BP_SCHEMA_DIR:-$srcdir/../xml-schemas}
conformance_dir=${BP_CONFORMANCE_DIR:-$script_dir/../../shared/conformance/libvirt}
data_dir=${BP_SCHEMA_DATA_DIR:-$srcdir/schemadata}
# configure sets XMLLINT to "no" when it found none: fall back to $PATH
case ${XMLLINT:-no} in no) XMLLINT=xmllint ;; esac

if test ! -d "$conformance_dir"; then
    echo "1..0 # SKIP libvirt conformance corpus not found at $conformance_dir"
    exit 77
fi

if ! command -v "$XMLLINT" > /dev/null 2>&1; then
    echo "Bail out! xmllint not found (install libxml2's xmllint or set XMLLINT)"
    exit 1
fi

for s in basictypes domain domaincheckpoint domainbackup domainsnapshot; do
    if test ! -f "$schema_dir/$s.rng"; then
        echo "Bail out! missing schema $schema_dir/$s.rng"
        exit 1
    fi
done

if test ! -d "$data_dir"; then
    echo "Bail out! missing test documents in $data_dir"
    exit 1
fi

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/bp-schema.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT
trap 'exit 1' HUP INT TERM
list=$tmpdir/list
log=$tmpdir/log
: > "$list"

# add_dir SCHEMA DIR: queue every *.xml in DIR for checking against SCHEMA.rng
add_dir() {
    if test ! -d "$2"; then
        echo "Bail out! missing directory $2"
        exit 1
    fi
    for f in "$2"/*.xml; do
        test -f "$f" || continue
        printf '%s %s\n' "$1" "$f" >> "$list"
    done
}

add_dir domainbackup "$conformance_dir/domainbackupxml2xmlin"
add_dir domainbackup "$conformance_dir/domainbackupxml2xmlout"
add_dir domaincheckpoint "$conformance_dir/qemudomaincheckpointxml2xmlin"
add_dir domaincheckpoint "$conformance_dir/qemudomaincheckpointxml2xmlout"
for s in domain domaincheckpoint domainbackup domainsnapshot; do
    add_dir "$s" "$data_dir/$s"
done

total=$(wc -l < "$list" | tr -d ' ')
if test "$total" -eq 0; then
    echo "Bail out! no documents found"
    exit 1
fi
echo "1..$total"

n=0
failed=0
while read -r schema file; do
    n=$((n + 1))
    case $file in
        "$conformance_dir"/*) name=libvirt/${file#"$conformance_dir"/} ;;
        "$data_dir"/*) name=schemadata/${file#"$data_dir"/} ;;
        *) name=$file ;;
    esac
    rc=0
    "$XMLLINT" --noout --relaxng "$schema_dir/$schema.rng" "$file" \
        > "$log" 2>&1 || rc=$?
    case $file in
        *-invalid.xml) expect=3; what="rejected by $schema.rng" ;;
        *) expect=0; what="valid against $schema.rng" ;;
    esac
    if test "$rc" -eq "$expect"; then
        echo "ok $n - $name ($what)"
    else
        echo "not ok $n - $name (expected $what; xmllint exit status $rc)"
        sed 's/^/# /' "$log"
        failed=$((failed + 1))
    fi
done < "$list"

if test "$failed" -ne 0; then
    echo "# $failed of $total expectations failed"
    exit 1
fi
exit 0
