// Helpers shared by the console_*.cpp files: JSON writing, responses, errors, query strings.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "vcf_cds/console.hpp"
#include "vcf_cds/result.hpp"

#include "common/json_write.hpp"

namespace vcf_cds::console {

using JsonWriter = common::JsonWriter;

using common::key_str;
using common::write_string;
inline void key_int(JsonWriter& w, const char* key, long long value) {
  w.Key(key);
  w.Int64(value);
}
inline void key_bool(JsonWriter& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

// Writes `text` as embedded JSON when it is an object or array, else as a string (as the
// NDJSON export does).
void write_json_text(JsonWriter& w, std::string_view text);

// 200 JSON with the API headers (no-store, nosniff).
ConsoleResponse json_ok(std::string body);
// Status and OperationOutcome from the one mapping in src/http.
ConsoleResponse error_response(const Error& error);
inline ConsoleResponse error_response(ErrorCode code, std::string field, std::string message) {
  return error_response(make_error(code, std::move(field), std::move(message)));
}

// Percent-decoding ('+' is a space in queries when `query` is set); nullopt on a bad escape or
// a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text, bool query);

// "a=1&b=2" → {a: 1, b: 2}; Error{bad_request} naming the parameter on a bad escape or a repeat.
Result<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query);

}  // namespace vcf_cds::console
