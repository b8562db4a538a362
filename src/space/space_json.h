// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The inverse of SearchSpace::to_json(): a study's stored space, read back (a define-by-run study
// grows its space in storage, and every process working on it reads the additions from there).
#pragma once

#include <string_view>

#include "winnow/space.h"

namespace winnow {

// space_from_json() is declared in winnow/space.h.

}  // namespace winnow
