// Defensive reads of untrusted FHIR JSON for the facts stage: every accessor checks the type
// before reading and answers "absent" instead of failing, so the request path never throws.
#pragma once

#include <rapidjson/document.h>

#include <cstring>
#include <string>
#include <string_view>

namespace vcf_cds::facts::json {

using Value = rapidjson::Value;

// The member `name` of `object`, or null when `object` is not an object or lacks it. A plain
// scan with the name's length known (FindMember(const char*) measures it on every call).
inline const Value* member(const Value* object, std::string_view name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  for (const auto& m : object->GetObject()) {
    if (m.name.GetStringLength() == name.size() &&
        std::memcmp(m.name.GetString(), name.data(), name.size()) == 0) {
      return &m.value;
    }
  }
  return nullptr;
}

inline std::string_view as_string(const Value* value) {
  if (value == nullptr || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

// A string member, or "" when absent or not a string.
inline std::string_view string_member(const Value* object, const char* name) {
  return as_string(member(object, name));
}

// "<resourceType>/<id>" of a resource, with `fallback_type` when resourceType is missing.
inline std::string reference_of(const Value& resource, std::string_view fallback_type) {
  std::string_view type = string_member(&resource, "resourceType");
  if (type.empty()) type = fallback_type;
  std::string out(type);
  out += '/';
  out += string_member(&resource, "id");
  return out;
}

// Calls `f(const Value&)` for each element of an array, or once for a lone object: FHIR lists
// such as reasonCode arrive as a single object from some clients (the CDS Hooks Sandbox).
template <class F>
void for_each_item(const Value* list, F&& f) {
  if (list == nullptr) return;
  if (list->IsArray()) {
    for (const auto& item : list->GetArray()) f(item);
  } else if (list->IsObject()) {
    f(*list);
  }
}

// Calls `f(system, code, display)` for every usable coding of a CodeableConcept, in order;
// codings without a string code (including `{}`) are skipped without error.
template <class F>
void for_each_coding(const Value* concept_value, F&& f) {
  for_each_item(member(concept_value, "coding"), [&](const Value& coding) {
    const std::string_view code = string_member(&coding, "code");
    if (code.empty()) return;
    f(string_member(&coding, "system"), code, string_member(&coding, "display"));
  });
}

// True when any coding of the CodeableConcept (or a plain string, as in STU3) has one of `codes`.
template <std::size_t N>
bool has_status(const Value* status, const std::string_view (&codes)[N]) {
  auto matches = [&](std::string_view code) {
    for (std::string_view wanted : codes) {
      if (code == wanted) return true;
    }
    return false;
  };
  if (status != nullptr && status->IsString()) return matches(as_string(status));
  bool found = false;
  for_each_coding(status, [&](std::string_view, std::string_view code, std::string_view) {
    found = found || matches(code);
  });
  return found;
}

}  // namespace vcf_cds::facts::json
