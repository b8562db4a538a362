// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The serving engine's parts without HTTP: the allocation of members to workers, reading a
// request's rows against a schema, and the batcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "serve/allocation.h"
#include "serve/batcher.h"
#include "serve/rows.h"

namespace winnow::serving {
namespace {

using automl::ColumnSchema;
using automl::ColumnType;
using automl::Schema;
using automl::Table;

std::vector<MemberCost> costs_of(std::vector<double> seconds, uint64_t bytes = 1) {
  std::vector<MemberCost> costs;
  for (double s : seconds) costs.push_back({s, bytes});
  return costs;
}

size_t members_placed(const Allocation& a) {
  size_t n = 0;
  for (const auto& members : a.members) n += members.size();
  return n;
}

TEST(Allocation, WorstFitDecreasingBalancesLoads) {
  // LPT order 8,7,6,5,4,3,2,1 onto 2 workers gives 18 and 18.
  auto costs = costs_of({1, 2, 3, 4, 5, 6, 7, 8});
  Allocation a = worst_fit_decreasing(costs, 2);
  EXPECT_EQ(members_placed(a), 8u);
  EXPECT_DOUBLE_EQ(a.load[0], 18);
  EXPECT_DOUBLE_EQ(a.load[1], 18);
  // Each member once, each worker's list sorted.
  std::vector<size_t> all;
  for (const auto& members : a.members) {
    EXPECT_TRUE(std::is_sorted(members.begin(), members.end()));
    all.insert(all.end(), members.begin(), members.end());
  }
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);
}

TEST(Allocation, MakespanWithinGrahamBoundOnRandomCosts) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> seconds(0.1, 10);
  for (int round = 0; round < 50; ++round) {
    std::vector<MemberCost> costs;
    int n = 1 + static_cast<int>(rng() % 20), workers = 1 + static_cast<int>(rng() % 4);
    double total = 0, largest = 0;
    for (int i = 0; i < n; ++i) {
      costs.push_back({seconds(rng), 1 + rng() % 100});
      total += costs.back().seconds;
      largest = std::max(largest, costs.back().seconds);
    }
    Allocation a = allocate_members(costs, workers);
    double lower_bound = std::max(total / workers, largest);
    EXPECT_LE(a.makespan(), lower_bound * (4.0 / 3.0) + 1e-9) << "round " << round;
    EXPECT_EQ(members_placed(a), costs.size());
  }
}

TEST(Allocation, MemoryBoundKeepsLargeMembersApart) {
  // By time alone the three cheap members would all join the one costly member's rival; the
  // bound (half the bytes plus the largest member) sends the third large one to the other.
  std::vector<MemberCost> costs = {{1, 1000}, {1, 1000}, {1, 1000}, {5, 1}};
  Allocation a = allocate_members(costs, 2);
  EXPECT_EQ(a.members[0], (std::vector<size_t>{2, 3}));
  EXPECT_EQ(a.members[1], (std::vector<size_t>{0, 1}));
  EXPECT_LE(std::max(a.bytes[0], a.bytes[1]), 2500u);
  EXPECT_DOUBLE_EQ(a.makespan(), 6);
}

TEST(Allocation, MovesOffTheSlowestWorkerReduceMakespan) {
  auto costs = costs_of({3, 3, 2, 2, 1});
  Allocation a;
  a.members = {{0, 1, 2, 3, 4}, {}, {}};
  a.load = {11, 0, 0};
  a.bytes = {5, 0, 0};
  improve_by_moves(costs, a);
  EXPECT_GT(a.moves, 0);
  EXPECT_LT(a.makespan(), 11);
  EXPECT_LE(a.makespan(), 4 + 1e-9);  // e.g. {3,1} {3} {2,2}
  EXPECT_EQ(members_placed(a), 5u);
  double sum = a.load[0] + a.load[1] + a.load[2];
  EXPECT_DOUBLE_EQ(sum, 11);
}

TEST(Allocation, IsDeterministic) {
  auto costs = costs_of({5, 5, 5, 2, 2, 2, 1, 7});
  Allocation first = allocate_members(costs, 3);
  for (int i = 0; i < 5; ++i) {
    Allocation again = allocate_members(costs, 3);
    EXPECT_EQ(again.members, first.members);
  }
}

Schema test_schema() {
  Schema schema;
  schema.columns.push_back({"age", ColumnType::kNumeric, {}});
  schema.columns.push_back({"job", ColumnType::kCategorical, {"admin", "nurse", "02134"}});
  schema.columns.push_back({"member", ColumnType::kBoolean, {"no", "yes"}});
  return schema;
}

std::string error_of(const RowReader& reader, const std::string& body, int* status = nullptr) {
  try {
    reader.read_json(body);
  } catch (const RequestError& e) {
    if (status) *status = e.status();
    return e.what();
  }
  return "";
}

TEST(Rows, JsonRowsReadIntoTheTrainingLayout) {
  Schema schema = test_schema();
  RowReader reader(schema, "label", false);
  Table t = reader.read_json(R"({"rows": [
      {"age": 41, "job": "nurse", "member": true, "label": "x"},
      {"age": null, "job": "pilot", "member": "no"},
      {"member": 1, "job": "02134", "age": -2.5e3}]})");
  ASSERT_EQ(t.rows, 3u);
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[0].name, "age");
  EXPECT_DOUBLE_EQ(t.columns[0].numbers[0], 41);
  EXPECT_TRUE(t.columns[0].is_missing(1));
  EXPECT_DOUBLE_EQ(t.columns[0].numbers[2], -2500);
  EXPECT_EQ(t.columns[1].codes, (std::vector<int32_t>{1, -1, 2}));  // unseen level: missing
  EXPECT_EQ(t.columns[2].numbers, (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(t.columns[0].missing, 1u);
  EXPECT_EQ(t.columns[1].missing, 1u);
}

TEST(Rows, JsonErrorsNameTheProblem) {
  Schema schema = test_schema();
  RowReader reader(schema, "label", false);
  int status = 0;
  EXPECT_NE(error_of(reader, R"({"rows": [{"age": 1,}]})", &status).find("malformed JSON at byte"),
            std::string::npos);
  EXPECT_EQ(status, 400);
  EXPECT_NE(error_of(reader, R"([1, 2])").find("\"rows\""), std::string::npos);
  EXPECT_NE(error_of(reader, R"({"rows": 3})").find("array"), std::string::npos);
  EXPECT_NE(error_of(reader, R"({"rows": [7]})").find("rows[0] is a number"), std::string::npos);
  std::string unknown =
      error_of(reader, R"({"rows": [{"age": 1, "job": "admin", "member": 0, "jobb": 1}]})");
  EXPECT_NE(unknown.find("unknown column 'jobb'"), std::string::npos) << unknown;
  std::string missing = error_of(reader, R"({"rows": [{"age": 1, "job": "admin"}]})");
  EXPECT_NE(missing.find("no column 'member'"), std::string::npos) << missing;
  std::string type = error_of(
      reader, R"({"rows": [{"age": 1, "job": "a", "member": 0}, {"age": "x", "job": "a",
                 "member": 0}]})");
  EXPECT_NE(type.find("column 'age' of rows[1] holds the string 'x'"), std::string::npos) << type;
  EXPECT_NE(error_of(reader, R"({"rows": [{"age": 1, "job": [], "member": 0}]})").find("'job'"),
            std::string::npos);
  EXPECT_NE(error_of(reader, R"({"rows": [{"age": 1, "job": "a", "member": 5}]})").find("member"),
            std::string::npos);
  EXPECT_NE(error_of(reader, R"({"rows": [{"age": 1e999, "job": "a", "member": 0}]})"), "");
  EXPECT_NE(error_of(reader, std::string(100000, '[')).find("nested deeper"), std::string::npos);
}

TEST(Rows, UnknownColumnsCanBeIgnored) {
  Schema schema = test_schema();
  RowReader reader(schema, "label", true);
  Table t = reader.read_json(R"({"rows": [{"age": 1, "job": "admin", "member": 0, "x": {}}]})");
  EXPECT_EQ(t.rows, 1u);
}

TEST(Rows, RandomBytesNeverEscapeAsAnythingButRequestErrors) {
  Schema schema = test_schema();
  RowReader reader(schema, "label", false);
  std::mt19937_64 rng(3);
  const std::string alphabet = "{}[]\":,0123456789.eE-+ nulltruefalserowsagejob\\\x01\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string body = R"({"rows": [{"age": )";
    size_t n = rng() % 40;
    for (size_t j = 0; j < n; ++j) body += alphabet[rng() % alphabet.size()];
    try {
      reader.read_json(body);
      reader.read_csv(body);
    } catch (const RequestError&) {
    }
  }
}

TEST(Rows, CsvBodyReadsLikeAPredictionFile) {
  Schema schema = test_schema();
  RowReader reader(schema, "label", false);
  Table t = reader.read_csv("job,age,member\n02134,3,yes\nadmin,,no\n");
  ASSERT_EQ(t.rows, 2u);
  EXPECT_EQ(t.columns[0].name, "age");
  EXPECT_EQ(t.columns[1].codes, (std::vector<int32_t>{2, 0}));
  EXPECT_TRUE(t.columns[0].is_missing(1));
  try {
    reader.read_csv("age,job,member,extra\n1,a,yes,2\n");
    FAIL();
  } catch (const RequestError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown column 'extra'"), std::string::npos);
  }
  try {
    reader.read_csv("age,job\n1,a\n");
    FAIL();
  } catch (const RequestError& e) {
    EXPECT_NE(std::string(e.what()).find("'member' is missing"), std::string::npos) << e.what();
  }
}

std::shared_ptr<PendingRequest> request_of_rows(size_t rows) {
  auto request = std::make_shared<PendingRequest>();
  automl::Column column;
  column.name = "x";
  column.numbers.assign(rows, 1.0);
  request->rows.columns.push_back(column);
  request->rows.rows = rows;
  return request;
}

TEST(Batcher, CoalescesConcurrentSubmissionsIntoOneBatch) {
  // A wait far longer than the test: only a full batch can make next_batch return.
  Batcher batcher(16, std::chrono::hours(1));
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] { EXPECT_TRUE(batcher.submit(request_of_rows(2))); });
  }
  auto batch = batcher.next_batch();
  for (auto& client : clients) client.join();
  EXPECT_EQ(batch.size(), 8u);
  EXPECT_EQ(batcher.queued_requests(), 0u);
}

TEST(Batcher, ABatchEndsBeforeARequestThatWouldOverflowIt) {
  Batcher batcher(4, std::chrono::hours(1));
  batcher.submit(request_of_rows(3));
  batcher.submit(request_of_rows(2));
  batcher.submit(request_of_rows(9));
  EXPECT_EQ(batcher.next_batch().size(), 1u);  // 3 rows; 2 more would make 5
  EXPECT_EQ(batcher.next_batch().size(), 1u);  // 2 rows; the 9 do not fit
  batcher.close();
  auto last = batcher.next_batch();  // closed: leaves without waiting
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0]->rows.rows, 9u);
  EXPECT_TRUE(batcher.next_batch().empty());
  EXPECT_FALSE(batcher.submit(request_of_rows(1)));
}

TEST(Batcher, APartialBatchLeavesAfterTheWait) {
  Batcher batcher(100, std::chrono::milliseconds(1));
  auto request = request_of_rows(1);
  batcher.submit(request);
  EXPECT_EQ(batcher.next_batch().size(), 1u);
  EXPECT_GE(Clock::now() - request->arrived, std::chrono::milliseconds(1));
}

TEST(Batcher, FlushReleasesAPartialBatchAtOnce) {
  Batcher batcher(100, std::chrono::hours(1));
  batcher.submit(request_of_rows(1));
  std::thread flusher([&] { batcher.flush(); });
  EXPECT_EQ(batcher.next_batch().size(), 1u);
  flusher.join();
}

TEST(Batcher, LeavesAtOnceWhenTheNextStageIsIdleIfAsked) {
  Batcher batcher(100, std::chrono::hours(1), /*leave_when_idle=*/true);
  batcher.submit(request_of_rows(1));
  EXPECT_EQ(batcher.next_batch().size(), 1u);  // idle from the start
  batcher.set_next_stage_idle(false);
  batcher.submit(request_of_rows(1));
  batcher.submit(request_of_rows(2));
  std::thread finisher([&] { batcher.set_next_stage_idle(true); });
  EXPECT_EQ(batcher.next_batch().size(), 2u);  // both, once the stage became idle
  finisher.join();
}

TEST(Rows, ConcatenateKeepsRowsInOrder) {
  auto a = request_of_rows(2), b = request_of_rows(3);
  b->rows.columns[0].numbers = {5, 6, 7};
  const Table* tables[] = {&a->rows, &b->rows};
  Table t = concatenate(tables);
  EXPECT_EQ(t.rows, 5u);
  EXPECT_EQ(t.columns[0].numbers, (std::vector<double>{1, 1, 5, 6, 7}));
}

}  // namespace
}  // namespace winnow::serving
