#!/usr/bin/env bash
# deploy_lint.sh fails on a `vcf-cds serve` flag that the documentation or deploy/ names but the
# binary does not implement. Each case plants `--no-such-flag` in one file of a copy of the tree
# and expects the lint to fail naming the flag and the file; the control case puts it in another
# program's command line (kubectl), which the lint must leave alone.
set -euo pipefail
bin=${VCF_CDS_BINARY:?set VCF_CDS_BINARY to the vcf-cds binary}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "$bin is not an executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fresh_copy() {  # the source tree without build output, as the lint reads it
  rm -rf "$tmp/tree"
  mkdir "$tmp/tree"
  (cd "$src" && tar --exclude=./build --exclude=./.git --exclude=./tests/fhir/node_modules -cf - .) |
    tar -C "$tmp/tree" -xf -
}

lint_copy() {  # -> the lint's exit status; its output in $tmp/out
  local rc=0
  VCF_CDS_BINARY=$bin VCF_CDS_SOURCE_DIR=$tmp/tree bash "$src/tests/scripts/deploy_lint.sh" \
    >"$tmp/out" 2>&1 || rc=$?
  return "$rc"
}

expect_caught() {  # name file: the lint fails, naming --no-such-flag in that file
  local name=$1 file=$2
  if lint_copy; then
    fail "$name: deploy_lint passed with --no-such-flag in $file"
  fi
  grep -q "FAIL: --no-such-flag is not a \`vcf-cds serve\` option (named in .*$file" "$tmp/out" ||
    fail "$name: deploy_lint failed, but not on --no-such-flag in $file: $(grep FAIL "$tmp/out")"
  echo "ok: $name: deploy_lint fails on --no-such-flag in $file"
}

fresh_copy
printf '| `--no-such-flag N` | 1 | documented, never implemented |\n' >>"$tmp/tree/docs/operations.md"
expect_caught "operations guide table" docs/operations.md

fresh_copy
printf '\nStart it with `vcf-cds serve --config site.conf --no-such-flag`.\n' >>"$tmp/tree/README.md"
expect_caught "README prose" README.md

fresh_copy
printf '\n```sh\ndocker run --rm -p 127.0.0.1:8080:8080 \\\n  vcf-cds:0.1.0 --listen 0.0.0.0:8080 --no-such-flag\n```\n' \
  >>"$tmp/tree/deploy/README.md"
expect_caught "deploy README code block" deploy/README.md

fresh_copy
printf '\nno-such-flag = 1\n' >>"$tmp/tree/deploy/vcf-cds.conf.example"
expect_caught "example config" deploy/vcf-cds.conf.example

fresh_copy
sed -i 's#^ExecStart=\(.*\)$#ExecStart=\1 --no-such-flag#' "$tmp/tree/deploy/systemd/vcf-cds.service"
grep -q -- '--no-such-flag' "$tmp/tree/deploy/systemd/vcf-cds.service" || fail "no ExecStart to edit"
expect_caught "systemd ExecStart" "systemd ExecStart"

# Control: another program's flag is not a serve flag.
fresh_copy
printf '\n```sh\nkubectl rollout restart deployment/vcf-cds --no-such-flag\n```\n' \
  >>"$tmp/tree/deploy/README.md"
lint_copy || fail "deploy_lint failed on a kubectl flag: $(grep FAIL "$tmp/out")"
echo "ok: a flag of another command (kubectl) is not taken for a serve flag"
echo "deploy_lint_flags: ok"
