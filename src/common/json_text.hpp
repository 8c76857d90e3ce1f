// JSON string escaping for text assembled outside a Writer (the audit chain's canonical JSON, log
// lines): RapidJSON's Writer::String with the default flags, as every response is written. '"',
// '\\' and control characters are escaped (\b \f \n \r \t, others as \u00XX with upper-case hex);
// everything else, '/' and UTF-8 included, is copied as is.
#pragma once

#include <string>
#include <string_view>

namespace vcf_cds::common {

// Appends `text` as a JSON string literal, quotes included. The audit chain hashes these bytes,
// so they must never change.
void append_json_string(std::string& out, std::string_view text);

}  // namespace vcf_cds::common
