#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy over the library and the command-line tools (tools/):
#   scripts/lint.sh [BUILD_DIR]   BUILD_DIR (default build/) holds the compile_commands.json that CMake writes
#                                 (CMAKE_EXPORT_COMPILE_COMMANDS is on in the root CMakeLists.txt)
#   RTN_LINT_ALL=1                also the files left out below
#   RTN_JOBS                      parallel clang-tidy processes (default 2)
#   RTN_CLANG_TIDY                the clang-tidy to run (default: clang-tidy on PATH; the checks are chosen for 14)
# Exits 0 when every file is clean, 1 with the findings, 77 when clang-tidy is not installed (the ctest rtn_lint,
# which runs this in the native build of scripts/test.sh, then counts as skipped).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$root/build}
clang_tidy=${RTN_CLANG_TIDY:-clang-tidy}
jobs=${RTN_JOBS:-2}

command -v "$clang_tidy" > /dev/null || { echo "lint: $clang_tidy not found: nothing checked"; exit 77; }
[ -f "$build_dir/compile_commands.json" ] || { echo "lint: no $build_dir/compile_commands.json: configure first"; exit 1; }

# Left out unless RTN_LINT_ALL=1, to keep the lint near two minutes on 2 cores: each layer's eigen.cpp and
# xsimd_fixed.cpp but dense's. They are one line each, instantiating the layer's kernel template (which its
# stl.cpp and xsimd.cpp check too) with Eigen's ops or a fixed size; Eigen's headers make each take 10-15 s
# of clang-tidy, a third of the whole. Dense's copies keep eigen_ops.hpp and the fixed-size path checked.
left_out='^engine/src/layers/([a-z0-9]+)/(eigen|xsimd_fixed)\.cpp$'
# Not checked at all: torch_reference/ (the libtorch oracle) and tests/. libtorch's headers cost about a minute
# of clang-tidy per file (16 files), and bugprone-forward-declaration-namespace fires inside ATen's own headers.
files=$(python3 - "$build_dir/compile_commands.json" "$root" "${RTN_LINT_ALL:-0}" "$left_out" << 'EOF'
import json, re, sys
database, root, lint_all, left_out = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3] == "1", sys.argv[4]
files = set()
for entry in json.load(open(database)):
    path = entry["file"]
    if not path.startswith(root):
        continue
    relative = path[len(root):]
    if not re.match(r"(engine|tools)/", relative):
        continue
    skipped = re.match(left_out, relative)
    if skipped and not lint_all and skipped.group(1) != "dense":
        continue
    files.add(relative)
print("\n".join(sorted(files)))
EOF
)
count=$(echo "$files" | grep -c .)
echo "lint: $("$clang_tidy" --version | grep -o 'version [0-9.]*') on $count files ($jobs jobs)"
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
(cd "$root" && echo "$files" | xargs -P "$jobs" -n 1 "$clang_tidy" -p "$build_dir" --quiet --warnings-as-errors='*' \
  > "$log" 2>&1) || status=1
# clang-tidy repeats a header's finding for every file that includes it: each once.
grep -E '(warning|error):' "$log" | sort -u || true
echo "lint: $((($(date +%s) - start))) s; $([ $status -eq 0 ] && echo clean || echo 'FINDINGS above (see .clang-tidy)')"
exit $status
