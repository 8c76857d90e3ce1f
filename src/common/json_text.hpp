// Hot-path text checks and JSON string escaping for large fields (audit records carry the ~6 KB
// card and the facts as JSON text). Both scan eight bytes at a time while the text is plain
// ASCII, which is nearly all of it, and fall back to one byte at a time only around the rest.
#pragma once

#include <string>
#include <string_view>

namespace vcf_cds::common {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF)
// and holds no NUL byte — what PostgreSQL's TEXT accepts.
bool is_utf8_without_nul(std::string_view text);

// Appends `text` as a JSON string literal, byte for byte what rapidjson::Writer::String writes
// with the default flags: `"` and `\` escaped, \b \t \n \f \r short forms, other bytes below 0x20
// as \u00XX (upper-case hex), everything else (including bytes >= 0x80) copied as is. The
// audit chain hashes these bytes, so they must never change.
void append_json_string(std::string& out, std::string_view text);

}  // namespace vcf_cds::common
