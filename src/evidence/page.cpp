// The evidence pages: the criteria index, one variant, one procedure row (HTML or JSON).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "evidence/html.hpp"
#include "vcf_cds/evidence.hpp"

namespace vcf_cds::evidence {
namespace {

using criteria::KnowledgeBase;
using criteria::ProcedureRow;
using criteria::Variant;
using Json = rapidjson::Writer<rapidjson::StringBuffer>;

void key_str(Json& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void key_int(Json& w, const char* key, int value) {
  w.Key(key);
  w.Int(value);
}

Page json_page(unsigned status, const rapidjson::StringBuffer& buffer) {
  return {status, "application/json", std::string(buffer.GetString(), buffer.GetSize())};
}

// The path after kEvidencePath, split: "" | "variant/{n}" | "variant/{n}/row/{slug}".
struct Location {
  const Variant* variant = nullptr;
  const ProcedureRow* row = nullptr;
  bool index = false;
  bool found = false;
};

Location locate(const KnowledgeBase& kb, std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  Location at;
  if (!path.starts_with(criteria::kEvidencePath)) return at;
  path.remove_prefix(criteria::kEvidencePath.size());
  if (path.empty()) {
    at.index = at.found = true;
    return at;
  }
  constexpr std::string_view kVariant = "/variant/";
  if (!path.starts_with(kVariant)) return at;
  path.remove_prefix(kVariant.size());
  const std::size_t slash = path.find('/');
  const std::string_view number_text = path.substr(0, slash);
  int number = 0;
  const auto [end, ec] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (ec != std::errc{} || end != number_text.data() + number_text.size()) return at;
  at.variant = kb.variant(number);
  if (at.variant == nullptr) return at;
  if (slash == std::string_view::npos) {
    at.found = true;
    return at;
  }
  constexpr std::string_view kRow = "/row/";
  const std::string_view rest = path.substr(slash);
  if (!rest.starts_with(kRow)) return at;
  const std::string_view slug = rest.substr(kRow.size());
  for (const auto& row : at.variant->rows) {
    if (criteria::row_slug(row.name) == slug) {
      at.row = &row;
      at.found = true;
    }
  }
  return at;
}

void write_row_json(Json& w, const KnowledgeBase& kb, const Variant& variant,
                    const ProcedureRow& row, const cards::CardText& text) {
  w.StartObject();
  key_str(w, "criteria", kb.title);
  key_str(w, "publisher", kb.publisher);
  key_str(w, "knowledgeVersion", kb.version);
  key_int(w, "variant", variant.number);
  key_str(w, "variantText", variant.text);
  key_str(w, "phase", criteria::to_string(variant.phase));
  key_str(w, "procedure", row.name);
  key_str(w, "category", criteria::to_string(row.category));
  w.Key("disagreement");
  w.Bool(row.disagreement);
  key_int(w, "rating", row.rating);
  key_int(w, "median", row.median);
  key_str(w, "soe", row.soe);
  w.Key("rrl");
  w.StartObject();
  key_str(w, "adult", row.rrl_adult);
  key_str(w, "pediatric", row.rrl_pediatric);
  w.EndObject();
  criteria::write_row_evidence(w, row, [&text](Json& out, const criteria::Reference& ref) {
    out.Key("url");
    if (const auto url = cards::pubmed_link(text, ref.pmid); !url.empty()) {
      out.String(url.data(), static_cast<rapidjson::SizeType>(url.size()));
    } else {
      out.Null();
    }
  });
  key_str(w, "variantUrl", criteria::variant_path(variant.number));
  w.EndObject();
}

void write_variant_json(Json& w, const KnowledgeBase& kb, const Variant& variant) {
  w.StartObject();
  key_str(w, "criteria", kb.title);
  key_str(w, "knowledgeVersion", kb.version);
  key_int(w, "variant", variant.number);
  key_str(w, "variantText", variant.text);
  key_str(w, "phase", criteria::to_string(variant.phase));
  w.Key("rows");
  w.StartArray();
  for (const auto& row : variant.rows) {
    w.StartObject();
    key_str(w, "procedure", row.name);
    key_str(w, "category", criteria::to_string(row.category));
    key_int(w, "rating", row.rating);
    key_str(w, "url", criteria::evidence_path(variant.number, row.name));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void write_index_json(Json& w, const KnowledgeBase& kb) {
  w.StartObject();
  key_str(w, "criteria", kb.title);
  key_str(w, "publisher", kb.publisher);
  key_str(w, "source", kb.url);
  key_str(w, "knowledgeVersion", kb.version);
  w.Key("variants");
  w.StartArray();
  for (const auto& variant : kb.variants) {
    w.StartObject();
    key_int(w, "variant", variant.number);
    key_str(w, "variantText", variant.text);
    key_str(w, "url", criteria::variant_path(variant.number));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

Page json(const KnowledgeBase& kb, const Location& at, const cards::CardText& text) {
  rapidjson::StringBuffer buffer;
  Json w(buffer);
  if (!at.found) {
    // The OperationOutcome every other 404 of the service answers with.
    w.StartObject();
    key_str(w, "resourceType", "OperationOutcome");
    w.Key("issue");
    w.StartArray();
    w.StartObject();
    key_str(w, "severity", "error");
    key_str(w, "code", "not-found");
    key_str(w, "diagnostics", "no variant or procedure row at this path");
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return json_page(404, buffer);
  }
  if (at.row != nullptr) {
    write_row_json(w, kb, *at.variant, *at.row, text);
  } else if (at.variant != nullptr) {
    write_variant_json(w, kb, *at.variant);
  } else {
    write_index_json(w, kb);
  }
  return json_page(200, buffer);
}

Page html(const KnowledgeBase& kb, const Location& at, const cards::CardText& text) {
  if (!at.found) return {404, "text/html; charset=utf-8", not_found_html(kb)};
  std::string body;
  if (at.row != nullptr) {
    body = row_html(kb, *at.variant, *at.row, text);
  } else if (at.variant != nullptr) {
    body = variant_html(kb, *at.variant);
  } else {
    body = index_html(kb);
  }
  return {200, "text/html; charset=utf-8", std::move(body)};
}

bool contains_word(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

Format negotiate(std::string_view target, std::string_view accept) {
  const std::size_t query = target.find('?');
  if (query != std::string_view::npos) {
    const std::string_view params = target.substr(query);
    if (contains_word(params, "_format=json")) return Format::json;
    if (contains_word(params, "_format=html")) return Format::html;
  }
  return contains_word(accept, "text/html") ? Format::html : Format::json;
}

Page render(const KnowledgeBase& knowledge, const cards::CardText& text, std::string_view target,
            Format format) {
  const Location at = locate(knowledge, target);
  return format == Format::html ? html(knowledge, at, text) : json(knowledge, at, text);
}

}  // namespace vcf_cds::evidence
