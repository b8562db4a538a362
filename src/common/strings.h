// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/error.h"

namespace winnow {

// did_you_mean() is public: winnow/error.h.
size_t edit_distance(std::string_view a, std::string_view b);

// Shortest text that reads back as the same double ("0.1", "1e-05", "3").
std::string format_double(double value);
// Six significant digits ("%.6g"), for reports people read; exports keep every digit.
std::string format_short(double value);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string trim(std::string_view text);
// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): names that end up in JSON must be.
bool is_valid_utf8(std::string_view text);
// FNV-1a, 64 bits: a hash that no standard library's choice can change, for seeded streams and
// the checksums of files. `basis` is FNV's offset basis unless a caller keeps another.
uint64_t fnv1a_64(std::string_view bytes, uint64_t basis = 0xcbf29ce484222325ull);
// Milliseconds since the Unix epoch.
int64_t now_ms();
// `text` as one line a terminal shows as it is: newline, carriage return and tab as \n, \r and
// \t, other control bytes as \xHH, and a backslash doubled so that the result reads one way.
std::string printable(std::string_view text);
// A plain-text table: the header, a rule, the rows; columns padded, cells cut at 40 characters
// and made printable().
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace winnow
