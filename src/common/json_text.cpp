#include "common/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace vcf_cds::common {
namespace {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

std::uint64_t load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);  // unaligned, and no aliasing trouble
  return word;
}

// Non-zero when some byte of `word` is zero (exact as a yes/no answer).
constexpr std::uint64_t has_zero(std::uint64_t word) {
  return (word - ones) & ~word & highs;
}

// Non-zero when some byte needs escaping: below 0x20, '"' or '\'. Bytes >= 0x80 never match
// (`~word & highs` drops them), and they are copied as they are.
constexpr std::uint64_t needs_escape(std::uint64_t word) {
  const std::uint64_t below_space = (word - ones * 0x20) & ~word & highs;
  return below_space | has_zero(word ^ (ones * '"')) | has_zero(word ^ (ones * '\\'));
}

}  // namespace

bool is_utf8_without_nul(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    // ASCII fast path: no high bit and no zero byte in the next eight.
    while (end - p >= 8) {
      const std::uint64_t word = load8(p);
      if ((word & highs) != 0 || has_zero(word) != 0) break;
      p += 8;
    }
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07;
    } else {
      return false;  // a continuation byte without a lead, or 0xF8..0xFF
    }
    if (static_cast<std::size_t>(end - p) <= extra) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(p[k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t min_code[] = {0, 0x80, 0x800, 0x10000};
    if (code < min_code[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  // Card JSON has a quote every few bytes: escapes go through a stack buffer, not one
  // std::string append each.
  char buffer[512];
  std::size_t used = 0;
  auto flush = [&] {
    out.append(buffer, used);
    used = 0;
  };
  out.reserve(out.size() + text.size() + text.size() / 8 + 2);
  buffer[used++] = '"';
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char* run = p;
    while (end - p >= 8 && needs_escape(load8(p)) == 0) p += 8;
    while (p < end) {
      const auto c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c == '"' || c == '\\') break;
      ++p;
    }
    const auto length = static_cast<std::size_t>(p - run);
    if (length > sizeof buffer - used) {
      flush();
      out.append(run, length);
    } else {
      std::memcpy(buffer + used, run, length);
      used += length;
    }
    if (p == end) break;
    if (sizeof buffer - used < 8) flush();
    const auto c = static_cast<unsigned char>(*p++);
    buffer[used++] = '\\';
    switch (c) {
      case '"':
        buffer[used++] = '"';
        break;
      case '\\':
        buffer[used++] = '\\';
        break;
      case '\b':
        buffer[used++] = 'b';
        break;
      case '\t':
        buffer[used++] = 't';
        break;
      case '\n':
        buffer[used++] = 'n';
        break;
      case '\f':
        buffer[used++] = 'f';
        break;
      case '\r':
        buffer[used++] = 'r';
        break;
      default:
        buffer[used++] = 'u';
        buffer[used++] = '0';
        buffer[used++] = '0';
        buffer[used++] = hex[c >> 4];
        buffer[used++] = hex[c & 0xF];
    }
  }
  if (used == sizeof buffer) flush();
  buffer[used++] = '"';
  flush();
}

}  // namespace vcf_cds::common
