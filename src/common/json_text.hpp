// The bytes JSON strings treat specially, found 16 (SSE2) or 8 at a time: '"', '\\' and
// control characters (< 0x20) end a run of plain string content, when parsing a body
// (hooks/json.cpp), writing cards (cards/json_writer.hpp) and writing the audit chain's canonical
// JSON (audit/record.cpp). Everything else, UTF-8 included, is copied as is.
#pragma once

#include <bit>
#include <concepts>
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

#if defined(__SSE2__)
// Bit k set when byte k of `v` is special. Unsigned "c < 0x20" is min(c, 0x1f) == c.
inline unsigned json_special_mask(__m128i v) {
  const __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#endif

// How many bytes at the start of `text` are plain: the index of the first special byte, or
// text.size(). Never reads outside `text`.
inline std::size_t json_plain_prefix(std::string_view text) {
  std::size_t i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time where SSE2 is part of the ABI (every x86-64): strings in a body average
  // ~15 bytes, so most end inside the first block.
  for (; text.size() - i >= 16; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    if (const unsigned mask = json_special_mask(v); mask != 0) {
      return i + static_cast<std::size_t>(std::countr_zero(mask));
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

// Writes the escape sequence rapidjson::Writer writes for special byte `c` at `out` (room for 6
// bytes): \" \\ \b \f \n \r \t, other control characters as \u00XX with upper-case hex. Returns
// the end.
inline char* write_json_escape(unsigned char c, char* out) {
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
  out[0] = '\\';
  if (short_form != 0) {
    out[1] = short_form;
    return out + 2;
  }
  out[1] = 'u';
  out[2] = '0';
  out[3] = '0';
  out[4] = kHex[c >> 4];
  out[5] = kHex[c & 0xF];
  return out + 6;
}

// The escape sequence for special byte `c`, in `buffer`.
inline std::string_view json_escape(unsigned char c, char (&buffer)[6]) {
  return {buffer, static_cast<std::size_t>(write_json_escape(c, buffer) - buffer)};
}

// Writes the bytes from p to `end` escaped, one at a time.
inline char* write_json_bytes(const unsigned char* p, const unsigned char* end, char* out) {
  for (; p < end; ++p) {
    if (is_json_special(static_cast<char>(*p))) {
      out = write_json_escape(*p, out);
    } else {
      *out++ = static_cast<char>(*p);
    }
  }
  return out;
}

// Room to write escaped text into, grown on demand: `end` is where the room ends, and
// grow(at, need) makes at least `need` bytes of room from `at` on and returns where `at` is now
// (growing may move the text), as StringRoom in json_text.cpp does.
template <class Room>
concept EscapeRoom = requires(Room room, char* at, std::size_t need) {
  { room.end } -> std::convertible_to<char*>;
  { room.grow(at, need) } -> std::same_as<char*>;
};

// Writes `text` escaped as a JSON string's content (no quotes) at `out`, inside `room`; returns
// the end. Each step copies 16 bytes whole, keeps those before the first special byte and
// escapes that byte, so text dense with specials (a card's JSON stored as a string in the audit
// record: a quote every ~8 bytes) costs a few instructions a special byte rather than a copy
// call for each run between them. Cards, mostly plain Markdown and short strings, are
// written as fast by json_plain_prefix and one copy a run (common::JsonWriter).
template <EscapeRoom Room>
char* write_json_escaped(std::string_view text, char* out, Room& room) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  constexpr std::size_t kStep = 16 + 6;  // most one step writes: 16 copied, or <16 and an escape
  while (n - i >= 16) {
    if (static_cast<std::size_t>(room.end - out) < kStep) {
      out = room.grow(out, kStep + (n - i) + (n - i) / 8);
    }
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
    const unsigned mask = json_special_mask(v);
    if (mask == 0) {
      i += 16;
      out += 16;
      continue;
    }
    const auto plain = static_cast<std::size_t>(std::countr_zero(mask));
    out = write_json_escape(p[i + plain], out + plain);
    i += plain + 1;
  }
#endif
  if (static_cast<std::size_t>(room.end - out) < 6 * (n - i)) out = room.grow(out, 6 * (n - i));
  for (; n - i >= 8; i += 8) {  // the tail, and short strings: 8 bytes at a time while plain
    std::uint64_t word;
    std::memcpy(&word, p + i, sizeof word);
    if (json_special_bytes(word) == 0) {
      std::memcpy(out, &word, sizeof word);
      out += sizeof word;
      continue;
    }
    out = write_json_bytes(p + i, p + i + 8, out);
  }
  return write_json_bytes(p + i, p + n, out);
}

// Appends `text` as a JSON string literal, byte for byte what rapidjson::Writer::String writes
// with the default flags. The audit chain hashes these bytes, so they must never change.
void append_json_string(std::string& out, std::string_view text);

}  // namespace vcf_cds::common
