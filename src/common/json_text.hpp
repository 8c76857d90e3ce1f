// The bytes JSON strings treat specially, found 16 (SSE2) or 8 at a time (issue #8): '"', '\\' and
// control characters (< 0x20) end a run of plain string content, when parsing a body
// (hooks/json.cpp), writing cards (cards/json_writer.hpp) and writing the audit chain's canonical
// JSON (audit/record.cpp). Everything else, UTF-8 included, is copied as is.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#if defined(__SSE2__)
  // 16 bytes at a time where SSE2 is part of the ABI (every x86-64): strings in a body average
  // ~15 bytes, so most end inside the first block. Unsigned "c < 0x20" is min(c, 0x1f) == c.
  {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i below_space = _mm_set1_epi8(0x1f);
    for (; text.size() - i >= 16; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                       _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v));
      if (const int mask = _mm_movemask_epi8(special); mask != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(mask)));
      }
    }
  }
#endif
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

// The escape sequence rapidjson::Writer writes for special byte `c`: \" \\ \b \f \n \r \t, other
// control characters as \u00XX with upper-case hex. `buffer` holds the bytes returned.
inline std::string_view json_escape(unsigned char c, char (&buffer)[6]) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  char short_form = 0;
  switch (c) {
    case '"':
      short_form = '"';
      break;
    case '\\':
      short_form = '\\';
      break;
    case '\b':
      short_form = 'b';
      break;
    case '\f':
      short_form = 'f';
      break;
    case '\n':
      short_form = 'n';
      break;
    case '\r':
      short_form = 'r';
      break;
    case '\t':
      short_form = 't';
      break;
    default:
      break;
  }
  buffer[0] = '\\';
  if (short_form != 0) {
    buffer[1] = short_form;
    return {buffer, 2};
  }
  buffer[1] = 'u';
  buffer[2] = '0';
  buffer[3] = '0';
  buffer[4] = kHex[c >> 4];
  buffer[5] = kHex[c & 0xF];
  return {buffer, 6};
}

// Appends `text` as a JSON string literal, byte for byte what rapidjson::Writer::String writes
// with the default flags. The audit chain hashes these bytes, so they must never change.
void append_json_string(std::string& out, std::string_view text);

}  // namespace vcf_cds::common
