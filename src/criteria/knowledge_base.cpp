// Loads cards/criteria.json into immutable structs and validates it (CONTRACT §1).
#include "vcf_cds/criteria.hpp"

#include <algorithm>
#include <set>

#include "common/json_file.hpp"
#include "common/sha256.hpp"

namespace vcf_cds::criteria {
namespace {

constexpr std::array<std::string_view, 3> kCategoryNames = {
    "Usually appropriate", "May be appropriate", "Usually not appropriate"};
constexpr std::array<std::string_view, 5> kSoeValues = {"Strong", "Moderate", "Limited",
                                                        "Expert Consensus", "Expert Opinion"};

// Builds messages like `criteria.json: variant 2, row 6 "MRI ...": field "rating": ...`.
class Location {
 public:
  explicit Location(const std::filesystem::path& file) : prefix_(file.string()) {}
  Location variant(int number) const {
    Location copy = *this;
    copy.prefix_ += ": variant " + std::to_string(number);
    return copy;
  }
  Location row(std::size_t index, std::string_view name) const {
    Location copy = *this;
    copy.prefix_ += ", row " + std::to_string(index + 1) + " \"" + std::string(name) + "\"";
    return copy;
  }
  [[noreturn]] void fail(std::string_view field, std::string_view problem) const {
    throw KnowledgeError(prefix_ + ": field \"" + std::string(field) +
                         "\": " + std::string(problem));
  }

 private:
  std::string prefix_;
};

const rapidjson::Value& member(const rapidjson::Value& object, const char* name,
                               const Location& where) {
  if (!object.IsObject()) where.fail(name, "parent is not an object");
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) where.fail(name, "missing");
  return it->value;
}

std::string string_member(const rapidjson::Value& object, const char* name, const Location& where) {
  const auto& value = member(object, name, where);
  if (!value.IsString() || value.GetStringLength() == 0)
    where.fail(name, "must be a non-empty string");
  return {value.GetString(), value.GetStringLength()};
}

int int_member(const rapidjson::Value& object, const char* name, const Location& where, int lo,
               int hi) {
  const auto& value = member(object, name, where);
  if (!value.IsInt() || value.GetInt() < lo || value.GetInt() > hi) {
    where.fail(name, "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return value.GetInt();
}

ProcedureRow read_row(const rapidjson::Value& json, const Location& variant_where,
                      std::size_t index) {
  ProcedureRow row;
  row.name = string_member(json, "name", variant_where.row(index, "?"));
  const Location where = variant_where.row(index, row.name);

  const std::string category = string_member(json, "category", where);
  const auto parsed = category_from_string(category);
  if (!parsed) where.fail("category", "unknown category \"" + category + "\"");
  row.category = *parsed;

  const auto& disagreement = member(json, "disagreement", where);
  if (!disagreement.IsBool()) where.fail("disagreement", "must be true or false");
  row.disagreement = disagreement.GetBool();

  row.soe = string_member(json, "soe", where);
  if (std::find(kSoeValues.begin(), kSoeValues.end(), row.soe) == kSoeValues.end()) {
    where.fail("soe", "unknown strength of evidence \"" + row.soe + "\"");
  }
  row.rrl_adult = string_member(json, "rrlAdult", where);
  row.rrl_pediatric = string_member(json, "rrlPediatric", where);
  row.rating = int_member(json, "rating", where, 1, 9);
  row.median = int_member(json, "median", where, 1, 9);
  if (!row.disagreement && category_for_rating(row.rating) != row.category) {
    where.fail("category",
               "\"" + category + "\" does not match rating " + std::to_string(row.rating));
  }

  const auto& tabulation = member(json, "tabulation", where);
  if (!tabulation.IsArray() || tabulation.Size() != 9) {
    where.fail("tabulation", "must be an array of 9 vote counts");
  }
  for (rapidjson::SizeType i = 0; i < 9; ++i) {
    if (!tabulation[i].IsInt() || tabulation[i].GetInt() < 0) {
      where.fail("tabulation", "bucket " + std::to_string(i + 1) + " must be a count >= 0");
    }
    row.tabulation[i] = tabulation[i].GetInt();
  }

  const auto& references = member(json, "references", where);
  if (!references.IsArray()) where.fail("references", "must be an array");
  for (const auto& ref : references.GetArray()) {
    Reference reference;
    reference.n = int_member(ref, "n", where, 1, 100000);
    reference.pmid = string_member(ref, "pmid", where);
    reference.quality = string_member(ref, "quality", where);
    row.references.push_back(std::move(reference));
  }
  return row;
}

}  // namespace

std::string_view to_string(Category category) {
  return kCategoryNames[static_cast<std::size_t>(category)];
}

std::string_view to_string(Phase phase) {
  return phase == Phase::imaging ? "imaging" : "treatment";
}

std::optional<Category> category_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == text) return static_cast<Category>(i);
  }
  return std::nullopt;
}

Category category_for_rating(int rating) {
  if (rating >= 7) return Category::usually_appropriate;
  if (rating >= 4) return Category::may_be_appropriate;
  return Category::usually_not_appropriate;
}

std::string row_slug(std::string_view row_name) {
  std::string slug;
  bool gap = false;
  for (const char c : row_name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool upper = c >= 'A' && c <= 'Z';
    if (!alnum && !upper) {
      gap = !slug.empty();
      continue;
    }
    if (gap) slug += '-';
    gap = false;
    slug += upper ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return slug;
}

std::string variant_path(int variant) {
  return std::string(kEvidencePath) + "/variant/" + std::to_string(variant);
}

std::string evidence_path(int variant, std::string_view row_name) {
  return variant_path(variant) + "/row/" + row_slug(row_name);
}

const ProcedureRow* Variant::find_row(std::string_view name) const {
  for (const auto& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

const Variant* KnowledgeBase::variant(int number) const {
  if (number < 1 || number > static_cast<int>(variants.size())) return nullptr;
  return &variants[static_cast<std::size_t>(number - 1)];
}

std::vector<std::string_view> KnowledgeBase::procedure_names() const {
  std::vector<std::string_view> names;
  for (const auto& variant : variants) {
    for (const auto& row : variant.rows) {
      if (std::find(names.begin(), names.end(), row.name) == names.end()) names.push_back(row.name);
    }
  }
  return names;
}

std::string content_version(std::string_view compact_variants_json) {
  return "sha256:" + common::sha256_hex(compact_variants_json);
}

KnowledgeBase load_knowledge_base(const std::filesystem::path& file) {
  rapidjson::Document doc;
  try {
    doc = common::parse_json_file(file);
  } catch (const std::runtime_error& e) {
    throw KnowledgeError(e.what());
  }
  const Location where(file);
  if (!doc.IsObject()) where.fail("(root)", "must be a JSON object");

  KnowledgeBase kb;
  kb.file = file;
  kb.title = string_member(doc, "title", where);
  kb.publisher = string_member(doc, "publisher", where);
  kb.source = string_member(doc, "source", where);
  kb.source_sha256 = string_member(doc, "sourceSha256", where);
  kb.url = string_member(doc, "url", where);
  kb.version = string_member(doc, "version", where);

  const auto& variants = member(doc, "variants", where);
  if (!variants.IsArray() || variants.Size() != 9) where.fail("variants", "must list 9 variants");
  for (rapidjson::SizeType i = 0; i < variants.Size(); ++i) {
    const auto& json = variants[i];
    Variant variant;
    variant.number = int_member(json, "number", where, 1, 9);
    const Location vwhere = where.variant(variant.number);
    if (variant.number != static_cast<int>(i) + 1) {
      vwhere.fail("number", "variants must be numbered 1..9 in order");
    }
    variant.text = string_member(json, "text", vwhere);
    const std::string phase = string_member(json, "phase", vwhere);
    if (phase == "imaging") {
      variant.phase = Phase::imaging;
    } else if (phase == "treatment") {
      variant.phase = Phase::treatment;
    } else {
      vwhere.fail("phase", "must be \"imaging\" or \"treatment\"");
    }
    const auto& rows = member(json, "procedures", vwhere);
    if (!rows.IsArray() || rows.Empty()) vwhere.fail("procedures", "must be a non-empty array");
    std::set<std::string> seen;
    std::set<std::string> slugs;  // each row's evidence page needs a path of its own
    for (rapidjson::SizeType r = 0; r < rows.Size(); ++r) {
      ProcedureRow row = read_row(rows[r], vwhere, r);
      if (!seen.insert(row.name).second) {
        vwhere.row(r, row.name).fail("name", "duplicate procedure row in this variant");
      }
      if (!slugs.insert(row_slug(row.name)).second) {
        vwhere.row(r, row.name)
            .fail("name", "two rows of this variant share the evidence path " +
                              evidence_path(variant.number, row.name));
      }
      variant.rows.push_back(std::move(row));
    }
    kb.variants.push_back(std::move(variant));
  }

  const std::string actual = content_version(common::to_compact_json(variants));
  if (actual != kb.version) {
    where.fail("version", "recorded " + kb.version + " but the content hashes to " + actual +
                              " (edited by hand? re-run tools/import_criteria.py)");
  }
  return kb;
}

}  // namespace vcf_cds::criteria
