// Small read-only helpers for untrusted RapidJSON values: every accessor checks the type first
// (RapidJSON asserts on misuse) and string views carry their length (in-situ strings may hold NUL).
#pragma once

#include <rapidjson/document.h>

#include <string_view>

namespace vcf_cds::hooks::json {

// The member `name` of `object`, or nullptr when `object` is not an object or lacks it.
inline const rapidjson::Value* find(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

inline std::string_view view(const rapidjson::Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

// The string member `name`, or an empty view when absent or not a string.
inline std::string_view string_member(const rapidjson::Value& object, std::string_view name) {
  const rapidjson::Value* value = find(object, name);
  return value != nullptr && value->IsString() ? view(*value) : std::string_view{};
}

inline std::string_view resource_type(const rapidjson::Value& resource) {
  return string_member(resource, "resourceType");
}

}  // namespace vcf_cds::hooks::json
