// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// ParamValue / Config <-> JSON, shared by storage, the command runner and exports. Kept out of
// public headers so nlohmann/json stays private.
#pragma once

#include <nlohmann/json.hpp>

#include "winnow/space.h"

namespace winnow {

nlohmann::json param_to_json(const ParamValue& value);
// Booleans, integers (within int64), floats and strings; throws winnow::Error otherwise.
ParamValue param_from_json(const nlohmann::json& value);
nlohmann::json config_to_json(const Config& config);
Config config_from_json(const nlohmann::json& object);

}  // namespace winnow
