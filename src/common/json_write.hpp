// Small helpers for streaming JSON with RapidJSON's Writer (strings given as string_view).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace vcf_cds::common {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_string(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}
inline void key_str(JsonWriter& w, const char* key, std::string_view text) {
  w.Key(key);
  write_string(w, text);
}

}  // namespace vcf_cds::common
