// Start-up helpers for reading data files (knowledge, profiles, templates) as RapidJSON DOMs.
// These throw: they run only at start-up or reload, where a bad file must stop the load.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>

namespace vcf_cds::common {

std::string read_file(const std::filesystem::path& file);

// Parses `file`; throws std::runtime_error naming the file and the byte offset on a syntax error.
rapidjson::Document parse_json_file(const std::filesystem::path& file);

// Compact serialisation of a value (RapidJSON Writer, UTF-8 unescaped).
std::string to_compact_json(const rapidjson::Value& value);

}  // namespace vcf_cds::common
