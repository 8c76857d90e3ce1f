// The Writer every JSON response and record is built with: RapidJSON's, as shipped (its SIMD
// string scan is on where the build defines RAPIDJSON_SSE2), and helpers that take strings as
// string_view.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace vcf_cds::common {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A string value or an object key (JSON writes both the same way).
inline void write_string(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}
inline void key_str(JsonWriter& w, std::string_view key, std::string_view text) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  write_string(w, text);
}

}  // namespace vcf_cds::common
