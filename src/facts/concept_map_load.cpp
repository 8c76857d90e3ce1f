// ConceptMap profiles: order codes to seed procedure rows, with region, contrast, advanced
// imaging (target.product) and same-draft combinations (target.dependsOn). See README.md.
#include "facts/profile_reader.hpp"

namespace vcf_cds::facts::profiles {
namespace {

void load_products(const Reader& r, const Value& target, const std::string& path, MapTarget& out,
                   Terminology& t) {
  if (const Value* products = r.array(target, "product", path + ".product", false)) {
    for (std::size_t m = 0; m < products->Size(); ++m) {
      const std::string product_path = at(path, "product", m);
      const Value& product = r.object_at(*products, m, product_path);
      const std::string_view property = r.string(product, "property", product_path + ".property");
      const std::string_view value = r.string(product, "value", product_path + ".value");
      if (property == "region") {
        const auto region = region_from_string(value);
        if (!region) r.fail(product_path + ".value", "unknown region '" + std::string(value) + "'");
        out.region = *region;
      } else if (property == "contrast") {
        const auto contrast = contrast_from_string(value);
        if (!contrast) {
          r.fail(product_path + ".value", "unknown contrast '" + std::string(value) + "'");
        }
        out.contrast = *contrast;
      } else if (property == "advanced-imaging") {
        if (value != "true" && value != "false") {
          r.fail(product_path + ".value", "expected true|false");
        }
        out.advanced_imaging = value == "true";
      } else {
        r.fail(product_path + ".property", "expected region, contrast or advanced-imaging");
      }
    }
  }
  if (const Value* depends = r.array(target, "dependsOn", path + ".dependsOn", false)) {
    const std::string depends_path = at(path, "dependsOn", 0);
    if (depends->Size() != 1) r.fail(path + ".dependsOn", "expected exactly one entry");
    const Value& entry = r.object_at(*depends, 0, depends_path);
    if (r.string(entry, "property", depends_path + ".property") != "same-draft") {
      r.fail(depends_path + ".property", "expected \"same-draft\"");
    }
    const std::string_view system = r.string(entry, "system", depends_path + ".system");
    out.depends_on = key_of(t, system, r.string(entry, "value", depends_path + ".value"));
  }
}

}  // namespace

void load_concept_map(const fs::path& file, const Value& doc, Terminology& t) {
  const Reader r(file);
  const Value& groups = *r.array(doc, "group", "group", true);
  for (std::size_t g = 0; g < groups.Size(); ++g) {
    const std::string group_path = at("", "group", g).substr(1);
    const Value& group = r.object_at(groups, g, group_path);
    const std::string_view system = r.string(group, "source", group_path + ".source");
    const Value& elements = *r.array(group, "element", group_path + ".element", true);
    for (std::size_t e = 0; e < elements.Size(); ++e) {
      const std::string element_path = at(group_path, "element", e);
      const Value& element = r.object_at(elements, e, element_path);
      const std::string_view code = r.string(element, "code", element_path + ".code");
      const Value* display = r.optional(element, "display");
      const Coding source{std::string(system), std::string(code),
                          display && display->IsString() ? display->GetString() : ""};
      const Value& targets = *r.array(element, "target", element_path + ".target", true);
      for (std::size_t k = 0; k < targets.Size(); ++k) {
        const std::string target_path = at(element_path, "target", k);
        const Value& target = r.object_at(targets, k, target_path);
        MapTarget mapped;
        mapped.row_name = r.string(target, "code", target_path + ".code");
        load_products(r, target, target_path, mapped, t);
        t.add_target(key_of(t, system, code), std::move(mapped), source);
      }
    }
  }
}

}  // namespace vcf_cds::facts::profiles
