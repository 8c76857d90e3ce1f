// NamingSystem profiles: the other names (OIDs, UUIDs, URIs) EHRs send for a code system. Each
// becomes an alias that makes and matches table keys exactly as the canonical URI does. See
// fhir-profiles/README.md ("NamingSystem: code-system aliases").
#include <map>

#include "facts/profile_reader.hpp"

namespace vcf_cds::facts::profiles {
namespace {

constexpr std::string_view kReadAs = "urn:vcf-cds:read-as";

// Who claimed a system name first, for conflict messages.
struct Claim {
  std::string canonical;
  std::string where;  // "<file>: <field>"
};
using Claims = std::map<std::string, Claim, std::less<>>;

bool is_oid(std::string_view value) {
  if (value.empty() || value.front() == '.' || value.back() == '.') return false;
  char previous = 0;
  for (char c : value) {
    if (c == '.' && previous == '.') return false;
    if (c != '.' && (c < '0' || c > '9')) return false;
    previous = c;
  }
  return true;
}

// The Coding.system spelling of one uniqueId; "" for type `other` (not a Coding.system).
std::string system_name(const Reader& r, const Value& unique_id, const std::string& path) {
  const std::string_view type = r.string(unique_id, "type", path + ".type");
  std::string_view value = r.string(unique_id, "value", path + ".value");
  if (type == "uri") return std::string(value);
  if (type == "oid") {
    if (value.starts_with("urn:oid:")) value.remove_prefix(8);
    if (!is_oid(value)) r.fail(path + ".value", "not an OID ('" + std::string(value) + "')");
    return "urn:oid:" + std::string(value);
  }
  if (type == "uuid") {
    if (value.starts_with("urn:uuid:")) value.remove_prefix(9);
    return "urn:uuid:" + std::string(value);
  }
  if (type == "other") return {};
  r.fail(path + ".type",
         "unknown type '" + std::string(type) + "' (expected uri, oid, uuid or other)");
}

// The system every name of this NamingSystem stands for: the preferred uri (else the first uri),
// or the system named by the urn:vcf-cds:read-as extension (WHO ICD-10 is read as ICD-10-CM).
std::string canonical_of(const Reader& r, const Value& doc, const Value& unique_ids) {
  if (const Value* extensions = r.array(doc, "extension", "extension", false)) {
    for (std::size_t i = 0; i < extensions->Size(); ++i) {
      const std::string path = at("", "extension", i).substr(1);
      const Value& extension = r.object_at(*extensions, i, path);
      if (r.string(extension, "url", path + ".url") != kReadAs) continue;
      return std::string(r.string(extension, "valueUri", path + ".valueUri"));
    }
  }
  std::string first;
  for (std::size_t i = 0; i < unique_ids.Size(); ++i) {
    const Value& unique_id = unique_ids[static_cast<rapidjson::SizeType>(i)];
    const Value* type = r.optional(unique_id, "type");
    if (type == nullptr || !type->IsString() || std::string_view(type->GetString()) != "uri") {
      continue;
    }
    const std::string path = at("", "uniqueId", i).substr(1);
    const std::string_view value = r.string(unique_id, "value", path + ".value");
    const Value* preferred = r.optional(unique_id, "preferred");
    if (preferred != nullptr && preferred->IsBool() && preferred->GetBool()) {
      return std::string(value);
    }
    if (first.empty()) first = value;
  }
  if (first.empty()) r.fail("uniqueId", "no entry of type uri (the system's canonical URI)");
  return first;
}

void load_one(const fs::path& file, const Value& doc, Claims& claims, Terminology& t) {
  const Reader r(file);
  const std::string_view kind = r.string(doc, "kind", "kind");
  if (kind == "identifier" || kind == "root") return;  // identifier namespaces, not code systems
  if (kind != "codesystem") {
    r.fail("kind", "unknown kind '" + std::string(kind) + "' (expected codesystem)");
  }
  const Value& unique_ids = *r.array(doc, "uniqueId", "uniqueId", true);
  for (std::size_t i = 0; i < unique_ids.Size(); ++i) {
    (void)r.object_at(unique_ids, i, at("", "uniqueId", i).substr(1));
  }
  const std::string canonical = canonical_of(r, doc, unique_ids);
  const auto claim = [&](const std::string& name, const std::string& field) {
    const auto [it, inserted] =
        claims.try_emplace(name, Claim{canonical, file.string() + ": " + field});
    std::string other = inserted ? std::string() : it->second.canonical;
    if (other.empty() || other == canonical) other = t.add_alias(name, canonical);
    if (!other.empty() && other != canonical) {
      r.fail(field, "'" + name + "' already names " + other +
                        (inserted ? std::string() : " (" + it->second.where + ")"));
    }
  };
  claim(canonical, "uniqueId");
  for (std::size_t i = 0; i < unique_ids.Size(); ++i) {
    const std::string path = at("", "uniqueId", i).substr(1);
    const std::string name = system_name(r, unique_ids[static_cast<rapidjson::SizeType>(i)], path);
    if (!name.empty()) claim(name, path + ".value");
  }
}

}  // namespace

void load_naming_systems(const std::vector<std::pair<fs::path, const Value*>>& files,
                         Terminology& terminology) {
  Claims claims;
  for (const auto& [path, doc] : files) load_one(path, *doc, claims, terminology);
}

}  // namespace vcf_cds::facts::profiles
