#!/usr/bin/env bash
# Proves deploy/runtime-packages.txt (what the runtime stage of deploy/Dockerfile installs) is
# enough to run the binary: every library `ldd` resolves must come from a package that is
#   - listed in deploy/runtime-packages.txt (required for every library the binary links directly),
#   - or pulled in by the Depends/Pre-Depends of a listed package (apt installs those too),
#   - or part of debian:12-slim itself (libc6, libstdc++6, libgcc-s1),
#   - or, for an AddressSanitizer/UBSan test build only, the sanitizer runtime (libasan8, libubsan1).
# Also fails when a listed package is not installed here (a typo, or a name that does not exist in
# Debian 12). Prints the library -> package mapping.
set -euo pipefail
bin=${VCF_CDS_BINARY:?set VCF_CDS_BINARY to the vcf-cds binary}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
list="$src/deploy/runtime-packages.txt"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$bin" ] || fail "$bin is not an executable"
[ -f "$list" ] || fail "$list is missing"
for tool in ldd dpkg dpkg-query readelf python3; do
  command -v "$tool" >/dev/null || fail "runtime_libs needs '$tool' (Debian: libc-bin, dpkg, binutils, python3)"
done

ldd_out=$(ldd "$bin") || fail "ldd $bin failed"
if grep -q 'not found' <<<"$ldd_out"; then
  fail "unresolved libraries: $(grep 'not found' <<<"$ldd_out" | tr -s ' \t' ' ')"
fi
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entries in $bin (static binary?)"

# Owning package of a library path. Debian 12 is /usr-merged, so dpkg may know the file under
# /usr/lib while ldd reports /lib (or the other way round), and a soname is often a symlink.
owner_of() {
  local path=$1 real candidate out
  real=$(readlink -f "$path")
  for candidate in "$path" "/usr$path" "${path#/usr}" "$real" "/usr$real" "${real#/usr}"; do
    [ -n "$candidate" ] || continue
    if out=$(dpkg -S "$candidate" 2>/dev/null); then
      # "libssl3:amd64: /usr/lib/…"; skip "diversion by …" lines; first package if several.
      grep -v '^diversion' <<<"$out" | head -n1 | sed 's/: .*//; s/,.*//; s/:.*//'
      return 0
    fi
  done
  return 1
}

mapping=""
while read -r soname path; do
  pkg=$(owner_of "$path") || fail "no Debian package owns $path ($soname)"
  direct=no
  grep -qxF "$soname" <<<"$needed" && direct=yes
  mapping+="$soname $path $pkg $direct"$'\n'
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 } $1 ~ /^\// && $2 ~ /^\(/ { n = split($1, p, "/"); print p[n], $1 }' <<<"$ldd_out")
[ -n "$mapping" ] || fail "ldd printed no libraries for $bin"

# Installed packages with their dependencies, in one dpkg-query call (no registry access).
dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Pre-Depends}\t${Depends}\t${Provides}\n' >"${TMPDIR:-/tmp}/runtime_libs.$$" ||
  fail "dpkg-query failed"
trap 'rm -f "${TMPDIR:-/tmp}/runtime_libs.$$"' EXIT

python3 - "$list" "${TMPDIR:-/tmp}/runtime_libs.$$" "$mapping" <<'PY'
import re
import sys

list_path, db_path, mapping_text = sys.argv[1:4]
BASE = {"libc6", "libstdc++6", "libgcc-s1"}          # in debian:12-slim
SANITIZER = {"libasan8", "libubsan1"}                 # only in -DVCF_CDS_SANITIZE=ON test builds

listed = []
for number, line in enumerate(open(list_path, encoding="utf-8"), 1):
    name = line.split("#", 1)[0].strip()
    if not name:
        continue
    if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", name):
        sys.exit(f"FAIL: {list_path}:{number}: '{name}' is not a Debian package name")
    listed.append(name)
if len(set(listed)) != len(listed):
    sys.exit(f"FAIL: {list_path} lists a package twice")

installed, depends, providers = set(), {}, {}
for line in open(db_path, encoding="utf-8"):
    status, name, pre, dep, provides = line.rstrip("\n").split("\t", 4)
    if not status.startswith("ii"):
        continue
    installed.add(name)
    depends.setdefault(name, []).extend(g for g in (pre + "," + dep).split(",") if g.strip())
    for p in provides.split(","):
        if p.strip():
            providers.setdefault(p.split()[0].split(":")[0], set()).add(name)

problems = []
missing = [p for p in listed if p not in installed]
if missing:
    problems.append("listed but not installed here (typo, or not a Debian 12 package?): "
                    + ", ".join(missing))

# What apt installs along with the listed packages: Depends/Pre-Depends, transitively. Of an
# "a | b" group only the first alternative counts (what apt picks in a fresh image); a virtual
# name counts through its installed providers. parent[] remembers the shortest way there.
parent = {p: None for p in listed if p in installed}
queue = list(parent)
while queue:
    pkg = queue.pop(0)
    for group in depends.get(pkg, []):
        dep = group.split("|")[0].split()[0].split(":")[0]
        for real in sorted(({dep} & installed) or providers.get(dep, set())):
            if real not in parent:
                parent[real] = pkg
                queue.append(real)

def chain(pkg):
    steps = []
    while pkg is not None:
        steps.append(pkg)
        pkg = parent[pkg]
    return " > ".join(reversed(steps))

print(f"runtime_libs: {len(listed)} packages in deploy/runtime-packages.txt: {' '.join(listed)}")
print(f"{'library':34} {'package':32} why it is in the image")
sanitizer_build = False
for row in mapping_text.strip().splitlines():
    soname, path, pkg, direct = row.split()
    if pkg in BASE:
        why = "debian:12-slim base"
    elif pkg in SANITIZER:
        why = "sanitizer runtime: test build only, not shipped"
        sanitizer_build = True
    elif pkg in listed:
        why = "listed"
    elif pkg in parent and direct == "no":
        why = "via " + chain(pkg)
    elif direct == "yes":
        why = "NOT LISTED (the binary links it directly, so list it)"
        problems.append(f"{soname} ({pkg}) is linked directly but {pkg} is not listed")
    else:
        why = "NOT COVERED"
        problems.append(f"{soname} ({pkg}) is neither listed nor a dependency of a listed package")
    print(f"{soname:34} {pkg:32} {why}{'  [direct]' if direct == 'yes' else ''}")

used = {row.split()[2] for row in mapping_text.strip().splitlines()}
extra = [p for p in listed if p not in used and p != "ca-certificates"]
if extra:
    print("note: listed but no library of the binary comes from them: " + ", ".join(extra))
if sanitizer_build:
    print("note: sanitizer build; libasan8/libubsan1 are allowed here and absent from the image")
if problems:
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    sys.exit(1)
print("runtime_libs: ok")
PY
