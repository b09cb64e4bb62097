#!/bin/sh
# Every example in docs/examples/ validates, is printed back by
# blkpoint-xml-validate --format (requests aligned against the example
# domain), and the printed form is a fixed point: printing it again gives
# the same bytes.  Keeps docs/xml-format.md honest.
set -e
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
tool=${top_builddir:-.}/client/blkpoint-xml-validate
ex=$top/docs/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now=1700000000
n=0
fail=0

count=$(ls "$ex"/*.xml | wc -l)
echo "1..$count"
for f in "$ex"/*.xml; do
    n=$((n + 1))
    name=$(basename "$f")
    root=$(sed -n '/^</{s/^<\([a-z]*\).*/\1/p;q}' "$f")
    case $root in
    domain) align="" ; again="" ;;
    domaincheckpoint) align="--domain $ex/domain.xml"; again="--redefine" ;;
    domainsnapshot) align="--domain $ex/domain.xml"; again="--redefine" ;;
    *) align="--domain $ex/domain.xml"; again="--domain $ex/domain.xml" ;;
    esac
    # shellcheck disable=SC2086
    if "$tool" --format --now $now $align "$f" > "$tmp/1.xml" 2> "$tmp/err" &&
       "$tool" --format --now $now $again "$tmp/1.xml" > "$tmp/2.xml" 2>> "$tmp/err" &&
       cmp -s "$tmp/1.xml" "$tmp/2.xml"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        sed 's/^/# /' "$tmp/err"
        diff -u "$tmp/1.xml" "$tmp/2.xml" | sed 's/^/# /' || true
        fail=1
    fi
done
exit $fail
