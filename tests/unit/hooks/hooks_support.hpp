// Helpers for hooks tests: fixtures under tests/fixtures/hooks/ and JSON edits for variants.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "support/temp_dir.hpp"

namespace vcf_cds::testing {

inline std::string hooks_fixture(std::string_view name) {
  std::ifstream in(source_path("tests/fixtures/hooks") / name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + std::string(name));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

// Parses `json`, lets `change` edit the DOM, and serialises it again.
inline std::string edit_json(std::string_view json,
                             const std::function<void(rapidjson::Document&)>& change) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) throw std::runtime_error("fixture is not JSON");
  change(doc);
  return serialize(doc);
}

// Removes the member at a dotted path such as "context.userId".
inline std::string without(std::string_view json, std::string_view path) {
  return edit_json(json, [path](rapidjson::Document& doc) {
    rapidjson::Value* node = &doc;
    std::string_view rest = path;
    while (true) {
      const std::size_t dot = rest.find('.');
      const std::string name(rest.substr(0, dot));
      if (dot == std::string_view::npos) {
        node->RemoveMember(name.c_str());
        return;
      }
      node = &(*node)[name.c_str()];
      rest.remove_prefix(dot + 1);
    }
  });
}

}  // namespace vcf_cds::testing
