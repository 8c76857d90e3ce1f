#include "common/utf8.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vcf_cds::common {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;

// True when all 8 bytes are ASCII and none is NUL. (w - 0x01..) & ~w sets a byte's high bit when
// that byte is zero (borrows can add false hits only above a real zero byte, so "any" is exact).
bool plain_ascii(std::uint64_t w) {
  return ((w | ((w - kLowBits) & ~w)) & kHighBits) == 0;
}

#if defined(__SSE2__)
// The 16 bytes at `p` with the high bit set in each that is not plain ASCII: >= 0x80, or NUL
// (after the compare with zero).
__m128i non_ascii_or_nul(const unsigned char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128()));
}
#endif

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
  std::size_t i = 0;
  while (i < n) {
    // JSON bodies are nearly all ASCII: skip 16 bytes at a time (SSE2, part of every x86-64),
    // then 8, while they are plain. A byte's high bit is set when it is >= 0x80 or, after the
    // compare with zero, when it is NUL.
#if defined(__SSE2__)
    // 64 bytes a step first: one test for four blocks halves the loop's instructions.
    while (n - i >= 64) {
      const __m128i any =
          _mm_or_si128(_mm_or_si128(non_ascii_or_nul(p + i), non_ascii_or_nul(p + i + 16)),
                       _mm_or_si128(non_ascii_or_nul(p + i + 32), non_ascii_or_nul(p + i + 48)));
      if (_mm_movemask_epi8(any) != 0) break;
      i += 64;
    }
    while (n - i >= 16) {
      if (_mm_movemask_epi8(non_ascii_or_nul(p + i)) != 0) break;
      i += 16;
    }
#endif
    while (n - i >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      if (!plain_ascii(word)) break;
      i += 8;
    }
    const std::size_t end = n - i >= 8 ? i + 8 : n;  // one word (or the tail) byte by byte
    while (i < end) {
      if (p[i] == 0) return TextProblem{i, true, "NUL byte"};
      if (p[i] < 0x80) {
        ++i;
        continue;
      }
      std::string_view what;
      const std::size_t length = sequence_length(p, i, n, what);
      if (length == 0) return TextProblem{i, false, what};
      i += length;  // may pass `end`: the outer loop picks up from there
    }
  }
  return std::nullopt;
}

}  // namespace vcf_cds::common
