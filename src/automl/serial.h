// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The binary encoding of fitted pipelines and models inside a model file: little-endian
// fixed-width numbers, length-prefixed strings and arrays. Reader checks every length against
// what is left and throws winnow::Error ("model file is truncated or corrupt") rather than read
// past the end.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace winnow::automl {

class Writer {
 public:
  void u8(uint8_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v);
  void f64(double v);
  void str(std::string_view s);
  void floats(std::span<const float> v);
  void doubles(std::span<const double> v);
  void ints(std::span<const int32_t> v);
  void bytes(std::span<const uint8_t> v);
  const std::string& buffer() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64();
  double f64();
  std::string str();
  std::vector<float> floats();
  std::vector<double> doubles();
  std::vector<int32_t> ints();
  std::vector<uint8_t> bytes();
  bool done() const { return pos_ == in_.size(); }
  // A count read from the file, checked to be at most `limit` (corrupt otherwise).
  uint64_t count(uint64_t limit);

 private:
  std::string_view take(size_t n);
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace winnow::automl
