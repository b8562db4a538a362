// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The output side of the command objective protocol (see include/winnow/command.h):
//   report lines, printed while running:  winnow: step=3 value=0.412
//   the result line, the last non-empty line of standard output that is not a report line:
//     0.412                                  a number ("inf" and "nan" are read too)
//     {"value": 0.412, "accuracy": 0.91}     one objective; other numbers become metrics
//     {"values": [0.412, 13.0]}              several objectives, in the study's order
//     {"loss": 0.412, "latency": 13.0}       objectives by name (when the study names them)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "winnow/storage.h"

namespace winnow {

// True for a line of the report protocol: "winnow:" after optional leading blanks. Such a line
// is never the result, even when it is ill-formed.
bool is_report_line(std::string_view line);

// The (step, value) of a well-formed report line: "winnow:" then "step=<integer >= 0>" and
// "value=<number>" in either order, blanks allowed around "=". nullopt for anything else,
// including a NaN value or other keys, so a garbled line is ignored rather than misread.
std::optional<std::pair<int64_t, double>> parse_report_line(std::string_view line);

// What is wrong with a report line, for a warning: "no value=<number>", "step 'x' is not a
// whole number >= 0", "unknown key 'epoch'" ...; "" when parse_report_line reads it, and for a
// line that is no report line at all.
std::string report_line_problem(std::string_view line);

// The form of a report line, for messages.
inline constexpr std::string_view kReportLineForm = "winnow: step=<int> value=<number>";

// Reads the result line. Complete with `n_objectives` values and the metrics, or failed with a
// reason that says what was wrong and quotes the line (cut to 200 characters). A NaN objective
// value fails the trial. `objective_names` may be empty; else it has n_objectives entries.
TrialOutcome parse_result_line(std::string_view line, size_t n_objectives,
                               const std::vector<std::string>& objective_names);

}  // namespace winnow
