// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Constants several source files need. Defined once here rather than privately in each file: the
// test build compiles the library's sources in batches (WINNOW_UNITY_BUILD), where two files'
// private constants of one name would clash.
#pragma once

#include <limits>

namespace winnow {

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();
inline constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2

}  // namespace winnow
