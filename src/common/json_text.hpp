// The bytes JSON strings treat specially, found 8 at a time (issue #8): '"', '\\' and control
// characters (< 0x20) end a run of plain string content, both when parsing a body
// (hooks/json.cpp) and when writing cards (cards/json_writer.hpp). Everything else, UTF-8
// included, is copied as is.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace vcf_cds::common {

// A flag (high bit) in each of the 8 bytes of `v` that is special. (x - 0x01..) & ~x & 0x80..
// flags zero bytes, (v - 0x20..) & ~v & 0x80.. bytes below 0x20; a borrow can add a flag only
// above a flagged byte, so the lowest flag is always exact.
inline std::uint64_t json_special_bytes(std::uint64_t v) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto zero_bytes = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t control = (v - kOnes * 0x20) & ~v & kHigh;
  return zero_bytes(v ^ (kOnes * '"')) | zero_bytes(v ^ (kOnes * '\\')) | control;
}

inline bool is_json_special(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
}

// How many bytes at the start of `text` are plain: the index of the first special byte, or
// text.size(). Never reads outside `text`.
inline std::size_t json_plain_prefix(std::string_view text) {
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {  // the lowest flag is the first
    for (; text.size() - i >= 8; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (const std::uint64_t special = json_special_bytes(word); special != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(special)) / 8;
      }
    }
  }
  while (i < text.size() && !is_json_special(text[i])) ++i;
  return i;
}

}  // namespace vcf_cds::common
