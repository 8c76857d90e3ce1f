// Whole-buffer UTF-8 validation for untrusted request bodies (hooks::parse_json).
//
// RapidJSON's kParseValidateEncodingFlag checks every string byte by byte inside ParseString and
// was the largest single cost of a call. One pass over the body here, with an ASCII
// fast path, lets the parser run without the flag while rejecting exactly what it rejected:
// overlong forms, UTF-16 surrogates, code points above U+10FFFF, stray continuation bytes and
// truncated sequences (RFC 3629). The same pass finds NUL bytes, which in-situ parsing would
// take as the end of input.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace vcf_cds::common {

struct TextProblem {
  std::size_t offset = 0;  // byte offset of the NUL byte or of the bad sequence's first byte
  bool nul = false;        // a NUL byte (valid UTF-8, but not allowed in a body)
  std::string_view what;   // "overlong encoding", "UTF-16 surrogate", ... (static text)
};

// The first NUL byte or invalid UTF-8 sequence in `text`; nullopt when there is none.
std::optional<TextProblem> find_text_problem(std::string_view text) noexcept;

}  // namespace vcf_cds::common
