// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The dashboard's JSON API (docs/dashboard.md), apart from HTTP: each endpoint takes the study
// cache and the request's path and query parameters and returns a status and a JSON body, so
// the HTTP layer (server.cc) only routes and guards.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "dashboard/study_cache.h"

namespace winnow::dashboard {

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

using Query = std::multimap<std::string, std::string>;

class Api {
 public:
  Api(StudyCache& cache, bool allow_write) : cache_(cache), allow_write_(allow_write) {}

  ApiResponse studies();
  ApiResponse study(const std::string& name);
  ApiResponse trials(const std::string& name, const Query& query);
  ApiResponse trial(const std::string& name, const std::string& number);
  ApiResponse history(const std::string& name);
  ApiResponse columns(const std::string& name, const Query& query);
  ApiResponse importance(const std::string& name, const Query& query);
  ApiResponse intermediate(const std::string& name, const Query& query);
  ApiResponse pareto(const std::string& name);
  ApiResponse updates(const std::string& name, const Query& query);
  ApiResponse enqueue(const std::string& name, const std::string& body);

 private:
  StudyCache& cache_;
  bool allow_write_;
};

// {"error": message} with `status`.
ApiResponse error_response(int status, const std::string& message);

}  // namespace winnow::dashboard
