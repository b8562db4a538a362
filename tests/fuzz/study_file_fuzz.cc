// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target: any bytes, read as a TOML, a YAML and a JSON study file. winnow::Error is the
// expected answer to bad input; any other exception, a crash, a hang or a sanitizer report is a
// bug (in the readers, the schema, SearchSpace::validate or a library under them).
//
// Not part of the CMake build (it needs clang). By hand:
// toml++ is used as the shared library, as CMake links it: its header-only debug build asserts on
// some malformed table headers (marzer/tomlplusplus#301, fixed after 3.3).
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 \
//     tests/fuzz/study_file_fuzz.cc src/space/*.cc src/studyfile/*.cc src/common/*.cc src/samplers/*.cc \
//     src/runner/*.cc src/study/*.cc -ltomlplusplus -lyaml-cpp -lsqlite3 -pthread -o study_fuzz
//   ./study_fuzz -max_len=4096 -timeout=10 corpus/
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "winnow/error.h"
#include "winnow/study_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const std::pair<winnow::StudyFileFormat, std::string> kFormats[] = {
      {winnow::StudyFileFormat::kToml, "fuzz.toml"},
      {winnow::StudyFileFormat::kYaml, "fuzz.yaml"},
      {winnow::StudyFileFormat::kJson, "fuzz.json"}};
  for (const auto& [format, name] : kFormats) {
    try {
      winnow::parse_study_file(text, format, name);
    } catch (const winnow::Error&) {
      // A rejected file: expected.
    }
  }
  return 0;
}
