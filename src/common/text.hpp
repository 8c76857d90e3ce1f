// Plain-text table helpers for the command-line reports (criteria, audit summary).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vcf_cds::common {

// Pads `text` with spaces to `width` display columns, counting UTF-8 code points rather than
// bytes: RRL values hold the multi-byte "☢" and row names may too. Longer text is kept whole.
inline std::string pad_columns(std::string_view text, std::size_t width) {
  std::size_t columns = 0;
  for (unsigned char c : text) columns += (c & 0xC0) != 0x80;
  std::string out(text);
  if (columns < width) out.append(width - columns, ' ');
  return out;
}

}  // namespace vcf_cds::common
