#include "common/json_text.hpp"

namespace vcf_cds::common {

void append_json_string(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + text.size() / 8 + 2);
  out += '"';
  for (;;) {
    const std::size_t plain = json_plain_prefix(text);  // 16 or 8 bytes at a time
    out.append(text.data(), plain);
    if (plain == text.size()) break;
    char buffer[6];
    out.append(json_escape(static_cast<unsigned char>(text[plain]), buffer));
    text.remove_prefix(plain + 1);
  }
  out += '"';
}

}  // namespace vcf_cds::common
