#!/usr/bin/env bash
# The stages are one library each, in data-flow order (cmake/stages.cmake). Each compiles against
# its own include view under <build>/stage-includes/<stage>. This proves the views do their job:
#   - a stage's own public header, and the one of the stage before it, preprocess;
#   - the public header of any LATER stage is not found (a back-reference fails the build);
#   - another folder's private header is not found (only src/common is shared).
set -euo pipefail
bin=${VCF_CDS_BINARY:?set VCF_CDS_BINARY to the vcf-cds binary}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
views=$(cd "$(dirname "$bin")" && pwd)/stage-includes
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$views" ] || fail "no include views at $views"
cxx=${CXX:-c++}
stages=(common http auth hooks http_client facts criteria cards evidence audit audit_review
        observability consult console app)

preprocesses() {  # stage, include line
  printf '%s\n' "$2" | "$cxx" -std=c++20 -E -x c++ - -I"$views/$1/include" -I"$views/$1/src" \
    >/dev/null 2>"$tmp"
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

checked=0
for ((i = 0; i < ${#stages[@]}; i++)); do
  stage=${stages[$i]}
  [ -d "$views/$stage" ] || fail "stage $stage has no include view"
  if [ -f "$src/include/vcf_cds/$stage.hpp" ]; then
    preprocesses "$stage" "#include \"vcf_cds/$stage.hpp\"" ||
      fail "$stage: its own public header does not preprocess: $(head -3 "$tmp")"
  fi
  for ((j = i + 1; j < ${#stages[@]}; j++)); do
    later=${stages[$j]}
    [ -f "$src/include/vcf_cds/$later.hpp" ] || continue
    if preprocesses "$stage" "#include \"vcf_cds/$later.hpp\""; then
      fail "$stage can include vcf_cds/$later.hpp, a later stage"
    fi
    grep -q "No such file" "$tmp" || fail "$stage including $later: unexpected error $(head -3 "$tmp")"
    checked=$((checked + 1))
  done
  for other in "$src"/src/*/; do
    other=$(basename "$other")
    [ "$other" = "$stage" ] || [ "$other" = common ] && continue
    private=$(find "$src/src/$other" -maxdepth 1 -name '*.hpp' -printf '%f\n' | sort | head -1)
    [ -n "$private" ] || continue
    if preprocesses "$stage" "#include \"$other/$private\""; then
      fail "$stage can include $other/$private, a private header of another stage"
    fi
    checked=$((checked + 1))
  done
done
# Positive control for the probe itself: consult reaches cards through observability's chain.
preprocesses consult '#include "vcf_cds/cards.hpp"' || fail "consult cannot include cards.hpp"
echo "layering: $checked back-references and private includes refused"
