// Start-up: reads every *.json of fhir-profiles/ into a Terminology, validating as it goes.
// Any problem throws ProfileError "<file>: <field>: <problem>" so the service refuses to start
// (CONTRACT §1). Conventions are documented in fhir-profiles/README.md.
#include <rapidjson/error/en.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/json_file.hpp"
#include "common/sha256.hpp"
#include "facts/codes.hpp"
#include "facts/profile_reader.hpp"
#include "facts/terminology.hpp"

namespace vcf_cds::facts {
namespace {

using rapidjson::Value;
namespace fs = std::filesystem;
using profiles::at;
using profiles::key_of;
using profiles::Reader;

constexpr std::string_view kFactKindTag = "urn:vcf-cds:fact-kind";
constexpr std::string_view kRegionTag = "urn:vcf-cds:region";
constexpr std::string_view kAdvancedImagingTag = "advanced_imaging";

struct ProfileFile {
  fs::path path;
  rapidjson::Document doc;
  std::string type;
};

using LocalCodes = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

void load_code_system(const ProfileFile& file, std::string_view url, LocalCodes& local,
                      Terminology& t) {
  const Reader r(file.path);
  const Value& concepts = *r.array(file.doc, "concept", "concept", true);
  auto& codes = local[std::string(url)];
  for (std::size_t i = 0; i < concepts.Size(); ++i) {
    const std::string path = at("", "concept", i).substr(1);
    const Value& concept_value = r.object_at(concepts, i, path);
    const std::string_view code = r.string(concept_value, "code", path + ".code");
    if (!codes.emplace(code).second) r.fail(path + ".code", "duplicate code");
    const Value* display = r.optional(concept_value, "display");
    const Value* properties = r.optional(concept_value, "property");
    if (properties == nullptr || !properties->IsArray()) continue;
    for (const auto& property : properties->GetArray()) {
      const Value* name = property.IsObject() ? r.optional(property, "code") : nullptr;
      const Value* value = property.IsObject() ? r.optional(property, "valueCode") : nullptr;
      if (name && value && name->IsString() && value->IsString() &&
          std::string_view(name->GetString()) == "group" &&
          std::string_view(value->GetString()) == "override-reason") {
        t.override_reasons.push_back(
            {std::string(url), std::string(code),
             display && display->IsString() ? display->GetString() : std::string(code)});
      }
    }
  }
}

// What a ValueSet feeds, from its identifier: fact kinds (or advanced imaging), or a region.
struct Feeds {
  KindMask mask = 0;
  Region region = Region::none;
};

Feeds value_set_feeds(const Reader& r, const Value& doc) {
  const Value* identifiers = r.array(doc, "identifier", "identifier", true);
  for (std::size_t i = 0; i < identifiers->Size(); ++i) {
    const std::string path = at("", "identifier", i).substr(1);
    const Value& identifier = r.object_at(*identifiers, i, path);
    const Value* system = r.optional(identifier, "system");
    if (system == nullptr || !system->IsString()) continue;
    const std::string_view tag(system->GetString(), system->GetStringLength());
    if (tag != kFactKindTag && tag != kRegionTag) continue;
    const std::string_view value = r.string(identifier, "value", path + ".value");
    if (tag == kRegionTag) {
      const auto region = region_from_string(value);
      if (!region || *region == Region::none) r.fail(path + ".value", "unknown region");
      return {0, *region};
    }
    if (value == kAdvancedImagingTag) return {kAdvancedImagingBit, Region::none};
    const auto kind = fact_kind_from_string(value);
    if (!kind) r.fail(path + ".value", "unknown fact kind '" + std::string(value) + "'");
    return {kind_bit(*kind), Region::none};
  }
  r.fail("identifier", "no identifier with system urn:vcf-cds:fact-kind or urn:vcf-cds:region");
}

// compose.exclude of one ValueSet, as table keys: exact codes, and ICD-10-CM is-a prefixes.
struct Exclusions {
  std::set<std::string, std::less<>> exact;
  std::set<std::string, std::less<>> prefixes;

  bool empty() const { return exact.empty() && prefixes.empty(); }
  bool excludes(std::string_view key, bool icd) const {
    return exact.contains(key) || (icd && under_prefix(key));
  }
  // `key` is an excluded is-a prefix or lies below one (key[0] is the system byte).
  bool under_prefix(std::string_view key) const {
    for (std::size_t length = 2; length <= key.size(); ++length) {
      if (prefixes.contains(key.substr(0, length))) return true;
    }
    return false;
  }
  // Some exclusion lies strictly below (or exactly at, for exact codes) the is-a prefix `key`.
  bool touches(std::string_view key) const {
    const auto below = [&](const auto& keys) {
      const auto it = keys.lower_bound(key);
      return it != keys.end() && it->starts_with(key);
    };
    return below(exact) || below(prefixes);
  }
};

// Characters of a normalised ICD-10-CM code after the category letter: digits, then letters.
constexpr std::string_view kIcdChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// Adds "`key` and its descendants" minus the exclusions: where an exclusion lies below `key`,
// the prefix is split into its 36 possible children, recursively, so the tables keep plain
// prefixes and a lookup costs the same as without exclusions.
template <class Add>
void add_is_a(const std::string& key, const Exclusions& excluded, const Add& add) {
  if (excluded.under_prefix(key)) return;  // the whole branch is excluded
  if (!excluded.touches(key)) {
    add(key, true);
    return;
  }
  if (!excluded.exact.contains(key)) add(key, false);  // the code itself (a category header)
  for (char c : kIcdChars) {
    std::string child = key + c;
    if (excluded.touches(child)) {
      add_is_a(child, excluded, add);
    } else {
      add(std::move(child), true);
    }
  }
}

// Reads concept[] and filter[] of one include or exclude entry, calling on_code(key, is_a).
template <class OnCode>
void read_codes(const Reader& r, const Value& entry, const std::string& path,
                const LocalCodes& local, Terminology& t, const OnCode& on_code) {
  if (r.optional(entry, "valueSet")) r.fail(path + ".valueSet", "not supported; list codes");
  const std::string_view system = r.string(entry, "system", path + ".system");
  const Value* concepts = r.array(entry, "concept", path + ".concept", false);
  const Value* filters = r.array(entry, "filter", path + ".filter", false);
  if (concepts == nullptr && filters == nullptr) r.fail(path, "needs concept or filter");
  const auto local_codes = local.find(system);
  for (std::size_t j = 0; concepts && j < concepts->Size(); ++j) {
    const std::string concept_path = at(path, "concept", j);
    const std::string_view code =
        r.string(r.object_at(*concepts, j, concept_path), "code", concept_path + ".code");
    if (local_codes != local.end() && !local_codes->second.contains(code)) {
      r.fail(concept_path + ".code",
             "'" + std::string(code) + "' is not in CodeSystem " + std::string(system));
    }
    on_code(key_of(t, system, code), false);
  }
  for (std::size_t j = 0; filters && j < filters->Size(); ++j) {
    const std::string filter_path = at(path, "filter", j);
    const Value& filter = r.object_at(*filters, j, filter_path);
    if (r.string(filter, "property", filter_path + ".property") != "concept") {
      r.fail(filter_path + ".property", "expected \"concept\"");
    }
    if (r.string(filter, "op", filter_path + ".op") != "is-a") {
      r.fail(filter_path + ".op", "expected \"is-a\"");
    }
    if (!t.is_icd_system(system)) {
      r.fail(filter_path, "is-a filters are supported for ICD-10-CM only");
    }
    on_code(key_of(t, system, r.string(filter, "value", filter_path + ".value")), true);
  }
}

Feeds load_value_set(const ProfileFile& file, const LocalCodes& local, Terminology& t) {
  const Reader r(file.path);
  const Feeds feeds = value_set_feeds(r, file.doc);
  const Value* compose = r.optional(file.doc, "compose");
  if (compose == nullptr) r.fail("compose", "missing");
  if (!compose->IsObject()) r.fail("compose", "expected an object");
  Exclusions excluded;
  if (const Value* excludes = r.array(*compose, "exclude", "compose.exclude", false)) {
    for (std::size_t i = 0; i < excludes->Size(); ++i) {
      const std::string path = at("compose", "exclude", i);
      read_codes(r, r.object_at(*excludes, i, path), path, local, t,
                 [&](std::string key, bool is_a) {
                   (is_a ? excluded.prefixes : excluded.exact).insert(std::move(key));
                 });
    }
  }
  const Value& includes = *r.array(*compose, "include", "compose.include", true);
  auto add = [&](std::string key, bool prefix) {
    if (feeds.mask != 0) {
      t.add_kinds(std::move(key), feeds.mask, prefix);
    } else {
      t.add_region(std::move(key), feeds.region, prefix);
    }
  };
  for (std::size_t i = 0; i < includes.Size(); ++i) {
    const std::string path = at("compose", "include", i);
    read_codes(r, r.object_at(includes, i, path), path, local, t, [&](std::string key, bool is_a) {
      if (!is_a) {
        if (!excluded.excludes(key, t.is_icd_key(key))) add(std::move(key), false);
      } else if (excluded.empty()) {
        add(std::move(key), true);
      } else {
        add_is_a(key, excluded, add);
      }
    });
  }
  return feeds;
}

ProfileFile read_profile(const fs::path& path, std::string& hash_input) {
  std::string text;
  try {
    text = common::read_file(path);
  } catch (const std::exception& e) {
    throw ProfileError(e.what());
  }
  hash_input.append(path.filename().string()).append(1, '\0').append(text).append(1, '\0');
  ProfileFile file{path, {}, {}};
  file.doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  const Reader r(path);
  if (file.doc.HasParseError()) {
    r.fail("(root)", "invalid JSON at offset " + std::to_string(file.doc.GetErrorOffset()) + ": " +
                         rapidjson::GetParseError_En(file.doc.GetParseError()));
  }
  if (!file.doc.IsObject()) r.fail("(root)", "expected a JSON object");
  file.type = std::string(r.string(file.doc, "resourceType", "resourceType"));
  if (file.type != "CodeSystem" && file.type != "ValueSet" && file.type != "ConceptMap" &&
      file.type != "NamingSystem") {
    r.fail("resourceType", "unsupported '" + file.type +
                               "' (expected CodeSystem, ValueSet, ConceptMap or NamingSystem)");
  }
  return file;
}

}  // namespace

std::shared_ptr<const Terminology> load_terminology(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw ProfileError(folder.string() + ": not a directory");
  std::vector<fs::path> paths;
  // error_code overloads: an unreadable folder is a ProfileError, not a filesystem_error.
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && it->path().extension() == ".json") {
      paths.push_back(it->path());
    }
  }
  if (ec) throw ProfileError(folder.string() + ": cannot list: " + ec.message());
  std::sort(paths.begin(), paths.end());  // deterministic tables and version hash

  std::string hash_input;
  std::vector<ProfileFile> files;
  files.reserve(paths.size());
  std::map<std::string, fs::path, std::less<>> urls;
  for (const auto& path : paths) {
    files.push_back(read_profile(path, hash_input));
    if (files.back().type == "NamingSystem") continue;  // R4 NamingSystem has no url
    const std::string_view url = Reader(path).string(files.back().doc, "url", "url");
    const auto [it, inserted] = urls.emplace(url, path);
    if (!inserted) Reader(path).fail("url", "duplicate of " + it->second.filename().string());
  }

  auto terminology = std::make_shared<Terminology>();
  // Aliases first: every later file may name a system by any of its ids.
  std::vector<std::pair<fs::path, const Value*>> naming_systems;
  for (const auto& file : files) {
    if (file.type == "NamingSystem") naming_systems.emplace_back(file.path, &file.doc);
  }
  profiles::load_naming_systems(naming_systems, *terminology);
  LocalCodes local;  // CodeSystems first, so ValueSets can be checked against them
  for (const auto& file : files) {
    if (file.type == "CodeSystem") {
      load_code_system(file, Reader(file.path).string(file.doc, "url", "url"), local, *terminology);
    }
  }
  KindMask covered = 0;
  bool has_map = false;
  for (const auto& file : files) {
    if (file.type == "ValueSet") covered |= load_value_set(file, local, *terminology).mask;
    if (file.type == "ConceptMap") {
      profiles::load_concept_map(file.path, file.doc, *terminology);
      has_map = true;
    }
  }
  for (std::size_t k = 0; k <= kFactKindCount; ++k) {
    if ((covered & (KindMask{1} << k)) != 0) continue;
    const std::string_view name =
        k == kFactKindCount ? kAdvancedImagingTag : to_string(static_cast<FactKind>(k));
    throw ProfileError(folder.string() + ": no ValueSet with identifier " +
                       std::string(kFactKindTag) + "|" + std::string(name));
  }
  if (!has_map) throw ProfileError(folder.string() + ": no ConceptMap of procedure rows");
  terminology->version = "sha256:" + common::sha256_hex(hash_input);
  return terminology;
}

}  // namespace vcf_cds::facts
