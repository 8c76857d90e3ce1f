#include "common/utf8.hpp"

#include <cstdint>

namespace vcf_cds::common {
namespace {

// Checks the multi-byte sequence starting at text[i] (a byte >= 0x80); returns its length, or
// 0 with `what` set.
std::size_t sequence_length(const unsigned char* p, std::size_t i, std::size_t n,
                            std::string_view& what) {
  const unsigned char lead = p[i];
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t smallest = 0;  // below this the sequence is an overlong form
  if (lead < 0xC0) {
    what = "unexpected continuation byte";
    return 0;
  } else if (lead < 0xE0) {
    length = 2, code_point = lead & 0x1Fu, smallest = 0x80;
  } else if (lead < 0xF0) {
    length = 3, code_point = lead & 0x0Fu, smallest = 0x800;
  } else if (lead < 0xF8) {
    length = 4, code_point = lead & 0x07u, smallest = 0x10000;
  } else {
    what = "byte that never appears in UTF-8";
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= n || (p[i + k] & 0xC0u) != 0x80u) {
      what = "truncated multi-byte sequence";
      return 0;
    }
    code_point = (code_point << 6) | (p[i + k] & 0x3Fu);
  }
  if (code_point < smallest) {
    what = "overlong encoding";
  } else if (code_point >= 0xD800 && code_point <= 0xDFFF) {
    what = "UTF-16 surrogate";
  } else if (code_point > 0x10FFFF) {
    what = "code point above U+10FFFF";
  } else {
    return length;
  }
  return 0;
}

}  // namespace

std::optional<TextProblem> find_text_problem(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    if (p[i] == 0) return TextProblem{i, true, "NUL byte"};
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    std::string_view what;
    const std::size_t length = sequence_length(p, i, n, what);
    if (length == 0) return TextProblem{i, false, what};
    i += length;
  }
  return std::nullopt;
}

}  // namespace vcf_cds::common
