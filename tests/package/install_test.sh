#!/usr/bin/env bash
# Installs a built Winnow tree into a scratch prefix and uses it the two ways the README shows:
# a CMake project with find_package(Winnow) (tests/package/CMakeLists.txt, which builds
# examples/cpp/minimal.cc) and a compiler command line from `pkg-config --static winnow`
# (pkg_config_consumer.cc). Both programs must build against the prefix alone and run.
# Usage: install_test.sh CMAKE BINARY_DIR LIBDIR CXX GENERATOR BUILD_TYPE
#   CMAKE       the cmake that configured the tree
#   BINARY_DIR  the Winnow build tree to install
#   LIBDIR      CMAKE_INSTALL_LIBDIR of that tree, where WinnowConfig.cmake and winnow.pc go
#   CXX         the compiler the tree was built with (the archive's C++ ABI must match)
#   GENERATOR   CMake generator for the consumer project
#   BUILD_TYPE  CMAKE_BUILD_TYPE for the consumer project
set -euo pipefail
cmake=$1 binary_dir=$2 libdir=$3 cxx=$4 generator=$5 build_type=$6
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix

"$cmake" --install "$binary_dir" --prefix "$prefix" >/dev/null

for f in bin/winnow include/winnow/winnow.h "$libdir/libwinnow_core.a" \
         "$libdir/cmake/Winnow/WinnowConfig.cmake" \
         "$libdir/cmake/Winnow/WinnowConfigVersion.cmake" \
         "$libdir/cmake/Winnow/WinnowTargets.cmake" "$libdir/pkgconfig/winnow.pc"; do
  [[ -e $prefix/$f ]] || { echo "not installed: $f" >&2; exit 1; }
done
"$prefix/bin/winnow" --help >/dev/null

# Consumers get no include path but the prefix's, so an installed header may include only the
# standard library (no extension, no folder) and other installed winnow headers.
if grep -Hn '^[[:space:]]*#[[:space:]]*include' "$prefix"/include/winnow/*.h |
   grep -Ev '#[[:space:]]*include[[:space:]]*(<[a-z_]+>|"winnow/[a-z_]+\.h")'; then
  echo "installed headers include something other than std or winnow headers" >&2
  exit 1
fi

# find_package(Winnow): CMAKE_PREFIX_PATH is the only hint, as for a user's own project.
"$cmake" -S "$here" -B "$scratch/consumer" -G "$generator" -DCMAKE_BUILD_TYPE="$build_type" \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix"
winnow_dir=$(sed -n 's/^Winnow_DIR:PATH=//p' "$scratch/consumer/CMakeCache.txt")
[[ $winnow_dir == "$prefix"/* ]] || { echo "found Winnow at $winnow_dir, not in $prefix" >&2; exit 1; }
"$cmake" --build "$scratch/consumer"
"$scratch/consumer/winnow_consumer" >/dev/null
echo "find_package(Winnow): built and ran examples/cpp/minimal.cc"

# pkg-config: the flags it prints are all the consumer passes besides the language level.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
read -r -a flags <<<"$(pkg-config --cflags --libs --static winnow)"
"$cxx" -std=c++20 "$here/pkg_config_consumer.cc" -o "$scratch/pkg_config_consumer" "${flags[@]}"
"$scratch/pkg_config_consumer" "$scratch"
echo "pkg-config winnow: built and ran pkg_config_consumer.cc with ${flags[*]}"
