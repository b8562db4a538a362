// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/serial.h"

#include <cstring>

#include "winnow/error.h"

namespace winnow::automl {
namespace {

template <typename T>
void put(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
void put_array(std::string& out, std::span<const T> v) {
  put<uint64_t>(out, v.size());
  out.append(reinterpret_cast<const char*>(v.data()), v.size_bytes());
}

}  // namespace

// Model files are written and read on little-endian machines (x86-64, arm64); memcpy keeps
// the encoding exact for doubles and floats.
void Writer::u8(uint8_t v) { put(out_, v); }
void Writer::u32(uint32_t v) { put(out_, v); }
void Writer::u64(uint64_t v) { put(out_, v); }
void Writer::i64(int64_t v) { put(out_, v); }
void Writer::f64(double v) { put(out_, v); }
void Writer::str(std::string_view s) {
  put<uint64_t>(out_, s.size());
  out_.append(s);
}
void Writer::floats(std::span<const float> v) { put_array(out_, v); }
void Writer::doubles(std::span<const double> v) { put_array(out_, v); }
void Writer::ints(std::span<const int32_t> v) { put_array(out_, v); }
void Writer::bytes(std::span<const uint8_t> v) { put_array(out_, v); }

std::string_view Reader::take(size_t n) {
  if (n > in_.size() - pos_) throw Error("model file is truncated or corrupt");
  std::string_view part = in_.substr(pos_, n);
  pos_ += n;
  return part;
}

namespace {
template <typename T>
T get(std::string_view bytes) {
  T v;
  std::memcpy(&v, bytes.data(), sizeof(T));
  return v;
}
}  // namespace

uint8_t Reader::u8() { return get<uint8_t>(take(1)); }
uint32_t Reader::u32() { return get<uint32_t>(take(4)); }
uint64_t Reader::u64() { return get<uint64_t>(take(8)); }
int64_t Reader::i64() { return get<int64_t>(take(8)); }
double Reader::f64() { return get<double>(take(8)); }

uint64_t Reader::count(uint64_t limit) {
  uint64_t n = u64();
  if (n > limit) throw Error("model file is truncated or corrupt");
  return n;
}

std::string Reader::str() {
  uint64_t n = count(in_.size() - pos_);
  return std::string(take(n));
}

#define WINNOW_READ_ARRAY(T)                                       \
  uint64_t n = count((in_.size() - pos_) / sizeof(T));             \
  std::string_view raw = take(n * sizeof(T));                      \
  std::vector<T> v(n);                                             \
  if (n > 0) std::memcpy(v.data(), raw.data(), n * sizeof(T));     \
  return v;

std::vector<float> Reader::floats() { WINNOW_READ_ARRAY(float) }
std::vector<double> Reader::doubles() { WINNOW_READ_ARRAY(double) }
std::vector<int32_t> Reader::ints() { WINNOW_READ_ARRAY(int32_t) }
std::vector<uint8_t> Reader::bytes() { WINNOW_READ_ARRAY(uint8_t) }
#undef WINNOW_READ_ARRAY

}  // namespace winnow::automl
