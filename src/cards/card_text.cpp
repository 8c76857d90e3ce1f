// Loads and validates card wording at start-up; a bad file stops the load naming file and field.
#include "cards/card_text.hpp"

#include <algorithm>
#include <array>

#include "common/json_file.hpp"

namespace vcf_cds::cards {
namespace {

struct Reader {
  const rapidjson::Value& root;
  std::string origin;

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw TemplateError(origin + ": field \"" + field + "\": " + problem);
  }
  const rapidjson::Value& member(const rapidjson::Value& object, const char* name,
                                 const std::string& path) const {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd()) fail(path + name, "missing");
    return it->value;
  }
  std::string text(const rapidjson::Value& object, const char* name,
                   const std::string& path = {}) const {
    const auto& value = member(object, name, path);
    if (!value.IsString() || value.GetStringLength() == 0)
      fail(path + name, "must be a non-empty string");
    return {value.GetString(), value.GetStringLength()};
  }
  Template templ(const char* name) const {
    return Template::parse(text(root, name), origin + " \"" + name + "\"");
  }
  std::map<std::string, Template, std::less<>> templates(
      const char* name, std::initializer_list<const char*> required) const {
    std::map<std::string, Template, std::less<>> out;
    for (const auto& [key, value] : map(name, required)) {
      out.emplace(key, Template::parse(value, origin + " \"" + name + "." + key + "\""));
    }
    return out;
  }
  std::map<std::string, std::string, std::less<>> map(
      const char* name, std::initializer_list<const char*> required) const {
    const auto& object = member(root, name, {});
    if (!object.IsObject()) fail(name, "must be an object");
    std::map<std::string, std::string, std::less<>> out;
    for (const auto& m : object.GetObject()) {
      if (!m.value.IsString())
        fail(std::string(name) + "." + m.name.GetString(), "must be a string");
      out.emplace(m.name.GetString(), m.value.GetString());
    }
    for (const char* key : required) {
      if (!out.count(key)) fail(std::string(name) + "." + key, "missing");
    }
    return out;
  }
};

// "<fact>:<true|false>" for every three-valued fact: the keys of assumptions and clarifications.
constexpr std::array<const char*, 6> kOpenFactKeys = {
    "symptomatic:true",     "symptomatic:false",   "edema_or_cleft:true",
    "edema_or_cleft:false", "worsening_pain:true", "worsening_pain:false"};

std::map<std::string, ClarificationText, std::less<>> read_clarifications(const Reader& r) {
  const auto& object = r.member(r.root, "clarifications", {});
  if (!object.IsObject()) r.fail("clarifications", "must be an object");
  std::map<std::string, ClarificationText, std::less<>> out;
  for (const char* key : kOpenFactKeys) {
    const std::string path = std::string("clarifications.") + key + ".";
    const auto& entry = r.member(object, key, "clarifications.");
    if (!entry.IsObject()) r.fail(path.substr(0, path.size() - 1), "must be an object");
    const auto& reason = r.member(entry, "reason", path);
    if (!reason.IsObject()) r.fail(path + "reason", "must be a Coding object");
    out.emplace(key,
                ClarificationText{r.text(entry, "answer", path), r.text(entry, "condition", path),
                                  facts::Coding{r.text(reason, "system", path + "reason."),
                                                r.text(reason, "code", path + "reason."),
                                                r.text(reason, "display", path + "reason.")}});
  }
  return out;
}

}  // namespace

std::string_view CardText::word(const std::map<std::string, std::string, std::less<>>& map,
                                std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? key : std::string_view(it->second);
}

std::string_view CardText::rrl_meaning_of(std::string_view rrl) const {
  std::string_view key = rrl;
  if (rrl.rfind("O ", 0) == 0) {
    key = "O";
  } else if (rrl.find("☢") != std::string_view::npos) {
    key = "☢";
  }
  return word(rrl_meaning, key);
}

std::string_view CardText::situation(int variant) const {
  const char digit[] = {static_cast<char>('0' + variant), '\0'};
  auto it =
      variant >= 1 && variant <= 9 ? situations.find(std::string_view(digit, 1)) : situations.end();
  return it == situations.end() ? std::string_view() : std::string_view(it->second);
}

std::string CardText::pubmed_link(std::string_view pmid) const {
  const bool numeric = !pmid.empty() && std::all_of(pmid.begin(), pmid.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!numeric) return {};
  TemplateData data;
  data.set_ref("pmid", pmid);
  return pubmed_url.render(data);
}

const Words& word_list(const CardText& text, WordList list) {
  switch (list) {
    case WordList::population:
      return text.population;
    case WordList::facts:
      return text.facts;
    case WordList::assumptions:
      return text.assumptions;
    case WordList::rrl_meaning:
      break;
  }
  return text.rrl_meaning;
}

std::string_view word(const CardText& text, WordList list, std::string_view key) {
  return CardText::word(word_list(text, list), key);
}

std::string_view rrl_meaning(const CardText& text, std::string_view rrl) {
  return text.rrl_meaning_of(rrl);
}

std::string pubmed_link(const CardText& text, std::string_view pmid) {
  return text.pubmed_link(pmid);
}

const std::string& source_label(const CardText& text) {
  return text.source_label;
}

std::shared_ptr<const CardText> load_card_text(const std::filesystem::path& folder) {
  const auto json_file = folder / "card-text.json";
  rapidjson::Document doc;
  try {
    doc = common::parse_json_file(json_file);
  } catch (const std::runtime_error& e) {
    throw TemplateError(e.what());
  }
  if (!doc.IsObject()) throw TemplateError(json_file.string() + ": must be a JSON object");
  const Reader r{doc, json_file.string()};

  auto text = std::make_shared<CardText>();
  text->summary = r.templ("summary");
  text->short_detail = r.templ("shortDetail");
  text->situations = r.map("situations", {"1", "2", "3", "4", "5", "6", "7", "8", "9"});
  text->fact_words =
      r.templates("factWords", {"since", "done", "history", "historyDated", "orderReason"});
  text->suggestion_label = r.templ("suggestionLabel");
  text->suggestion_label_other_kind = r.templ("suggestionLabelOtherKind");
  text->suggestion_label_add = r.templ("suggestionLabelAdd");
  text->delete_description = r.templ("deleteDescription");
  text->delete_paired_description = r.templ("deletePairedDescription");
  text->create_description = r.templ("createDescription");
  text->update_description = r.templ("updateDescription");
  text->clarification_label = r.templ("clarificationLabel");
  text->clarification_description = r.templ("clarificationDescription");
  text->pubmed_url = r.templ("pubmedUrl");
  text->older_sources = r.templ("olderSources");
  const auto& source = r.member(doc, "source", {});
  text->source_label = r.text(source, "label", "source.");
  text->source_url = r.text(source, "url", "source.");
  text->indicator =
      r.map("indicator", {"Usually appropriate", "May be appropriate", "Usually not appropriate"});
  text->regions = r.map("regions", {"cervical", "thoracic", "lumbar", "whole_body"});
  text->facts = r.map("facts", {"vcf", "malignancy", "back_pain", "multiple_vcfs"});
  text->assumptions = r.map("assumptions", {kOpenFactKeys[0], kOpenFactKeys[1], kOpenFactKeys[2],
                                            kOpenFactKeys[3], kOpenFactKeys[4], kOpenFactKeys[5]});
  text->clarifications = read_clarifications(r);
  text->rrl_meaning = r.map("rrlMeaning", {"O", "☢", "Varies", "N/A"});
  text->population = r.map("population", {"adult", "pediatric"});
  text->alternative_not_orderable = r.text(doc, "alternativeNotOrderable");
  text->alternative_needs_region = r.text(doc, "alternativeNeedsRegion");
  text->service_kind_words =
      r.map("serviceKindWords", {"imaging", "treatment", "referral", "biopsy"});
  text->service_kind = r.map("serviceKind", {});
  for (const auto& [row, kind] : text->service_kind) {
    if (!text->service_kind_words.count(kind))
      r.fail("serviceKind." + row, "unknown kind '" + kind + "' (not in serviceKindWords)");
  }
  const auto& kept = r.member(doc, "keptServiceKinds", {});
  if (!kept.IsArray()) r.fail("keptServiceKinds", "must be an array");
  for (const auto& kind : kept.GetArray()) {
    if (!kind.IsString() || !text->service_kind_words.count(kind.GetString()))
      r.fail("keptServiceKinds", "entries must be kinds named in serviceKindWords");
    text->kept_service_kinds.emplace_back(kind.GetString());
  }
  text->evidence_link_label = r.text(doc, "evidenceLinkLabel");
  text->partial_read_keys =
      r.map("partialReadKeys", {"patient", "conditions", "procedures", "observations"});
  text->partial_read_reasons = r.map(
      "partialReadReasons", {"page-limit", "next-link-to-other-origin", "budget", "unavailable"});

  const auto& reasons = r.member(doc, "overrideReasons", {});
  if (!reasons.IsArray() || reasons.Empty()) r.fail("overrideReasons", "must be a non-empty array");
  for (const auto& reason : reasons.GetArray()) {
    if (!reason.IsObject()) r.fail("overrideReasons", "entries must be objects");
    text->override_reasons.push_back({r.text(reason, "code", "overrideReasons[]."),
                                      r.text(reason, "display", "overrideReasons[].")});
  }

  const auto& score = r.member(doc, "appropriatenessScore", {});
  text->score_system = r.text(score, "system", "appropriatenessScore.");
  const auto& codes = r.member(score, "codes", "appropriatenessScore.");
  if (!codes.IsArray() || codes.Size() != 9)
    r.fail("appropriatenessScore.codes", "must list 9 codes");
  for (rapidjson::SizeType i = 0; i < 9; ++i) {
    if (!codes[i].IsString()) r.fail("appropriatenessScore.codes", "must be strings");
    text->score_codes[i] = codes[i].GetString();
  }

  const auto detail_file = folder / "detail.md";
  try {
    text->detail = Template::parse(common::read_file(detail_file), detail_file.string());
  } catch (const std::runtime_error& e) {
    throw TemplateError(e.what());
  }
  return text;
}

}  // namespace vcf_cds::cards
