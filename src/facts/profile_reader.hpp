// Validating reads of profile files at start-up: each failure throws ProfileError
// "<file>: <field>: <problem>". Shared by the ValueSet/CodeSystem and ConceptMap loaders.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facts/codes.hpp"
#include "facts/terminology.hpp"

namespace vcf_cds::facts::profiles {

using rapidjson::Value;
namespace fs = std::filesystem;

// Field paths like "compose.include[1].filter[0].op", for messages only.
inline std::string at(std::string_view base, std::string_view name, std::size_t index) {
  return std::string(base) + "." + std::string(name) + "[" + std::to_string(index) + "]";
}

// Typed member access on one profile file; every miss names the file and the field path.
class Reader {
 public:
  explicit Reader(const fs::path& file) : file_(file) {}

  [[noreturn]] void fail(std::string_view field, std::string_view problem) const {
    throw ProfileError(file_.string() + ": " + std::string(field) + ": " + std::string(problem));
  }
  const Value* optional(const Value& object, const char* name) const {
    const auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
  }
  std::string_view string(const Value& object, const char* name, std::string_view path) const {
    const Value* value = optional(object, name);
    if (value == nullptr) fail(path, "missing");
    if (!value->IsString() || value->GetStringLength() == 0) {
      fail(path, "expected a non-empty string");
    }
    return {value->GetString(), value->GetStringLength()};
  }
  // An array member: absent is allowed unless `required`; present must be a non-empty array.
  const Value* array(const Value& object, const char* name, std::string_view path,
                     bool required) const {
    const Value* value = optional(object, name);
    if (value == nullptr) {
      if (required) fail(path, "missing");
      return nullptr;
    }
    if (!value->IsArray() || value->Empty()) fail(path, "expected a non-empty array");
    return value;
  }
  const Value& object_at(const Value& array, std::size_t index, std::string_view path) const {
    const Value& item = array[static_cast<rapidjson::SizeType>(index)];
    if (!item.IsObject()) fail(path, "expected an object");
    return item;
  }

 private:
  const fs::path& file_;
};

// Table key of a code from a profile file, interning its system (aliases resolve to their
// system, so a profile may name a system by any of its NamingSystem ids).
inline std::string key_of(Terminology& t, std::string_view system, std::string_view code) {
  const char id = t.intern_system(system);
  std::string key(1, id);
  append_normalized(key, code, id == t.icd_id());
  return key;
}

// Reads every NamingSystem among the profiles into system aliases (terminology_naming.cpp):
// `files` pairs each NamingSystem's path with its document.
void load_naming_systems(const std::vector<std::pair<fs::path, const Value*>>& files,
                         Terminology& terminology);

// Adds every element of a ConceptMap (concept_map_load.cpp).
void load_concept_map(const fs::path& file, const Value& doc, Terminology& terminology);

}  // namespace vcf_cds::facts::profiles
