#include "cards/detail.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/time.hpp"

namespace vcf_cds::cards {
namespace {

using criteria::Decision;
using criteria::ProcedureRow;

constexpr std::size_t kSummaryLimit = 139;  // CDS Hooks: "<140 characters"

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// What escape_markdown does to each byte: 0 keep, else the replacement's index in kReplacement.
constexpr std::array<std::uint8_t, 256> kMarkdownAction = [] {
  std::array<std::uint8_t, 256> action{};
  action['<'] = 1;
  action['>'] = 2;
  action['&'] = 3;
  action['\n'] = action['\r'] = 4;
  for (unsigned char c : std::string_view("\\`*_[]#|!")) action[c] = 5;
  return action;
}();
constexpr std::string_view kReplacement[] = {"", "&lt;", "&gt;", "&amp;", " ", "\\"};

// Appends `text` escaped; runs of plain text are copied at once (card details are mostly plain).
void append_markdown(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t action = kMarkdownAction[static_cast<unsigned char>(text[i])];
    if (action == 0) continue;
    out.append(text.data() + run, i - run);
    out += kReplacement[action];
    if (action == 5) out += text[i];  // backslash, then the character itself
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

// Appends a fact's record in words for the clinician, escaped: its display (else its code) and
// how it is dated ("Low back pain, unspecified, since 2026-11-08"; "…, history"; "…, a reason on
// this order"). Resource references stay in the extension and the audit, not in the prose.
void append_fact(std::string& out, const CardText& text, const facts::Evidence& evidence) {
  const auto& source = evidence.source;
  append_markdown(out, source.display.empty() ? source.code : source.display);
  const auto reference = std::string_view(source.reference);
  std::string_view phrase;
  if (reference.rfind("ServiceRequest/", 0) == 0) {
    phrase = "orderReason";
  } else if (!evidence.current) {
    phrase = evidence.date ? "historyDated" : "history";
  } else if (evidence.date) {
    phrase = reference.rfind("Procedure/", 0) == 0 ? "done" : "since";
  }
  const auto words = text.fact_words.find(phrase);
  if (phrase.empty() || words == text.fact_words.end()) return;
  // One data per thread, its one value overwritten: a card names many facts, and a fresh data
  // would allocate its entries for each.
  thread_local TemplateData data;
  data.set("date", evidence.date ? common::iso_date(*evidence.date) : std::string());
  out += ", ";
  words->second.render_to(data, out);
}

}  // namespace

std::vector<const facts::Evidence*> newest_evidence(const std::vector<facts::Evidence>& evidence,
                                                    std::size_t keep) {
  std::vector<const facts::Evidence*> chosen;
  chosen.reserve(std::min(keep, evidence.size()));
  for (const auto& e : evidence) chosen.push_back(&e);
  if (chosen.size() <= keep) return chosen;
  // Undated first, then newest; ties keep record order.
  const auto newer = [](const facts::Evidence* a, const facts::Evidence* b) {
    if (!a->date || !b->date) return !a->date && b->date;
    return *a->date > *b->date;
  };
  std::stable_sort(chosen.begin(), chosen.end(), newer);
  chosen.resize(keep);
  std::sort(chosen.begin(), chosen.end());  // back to record order (one vector: by address)
  return chosen;
}

namespace {

void add_row_fields(TemplateData& data, const criteria::VariantMatch& match) {
  data.set("variant", match.variant->number);
  data.set_ref("category", criteria::to_string(match.row->category));
  data.set("rating", match.row->rating);
}

}  // namespace

std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_markdown(out, text);
  return out;
}

facts::Region suggestion_region(const Decision& decision) {
  // A whole-body order (bone scan, PET) names no level: like an order with no region it takes a
  // level from its bodySite, else from the fracture's record.
  const auto spine = [](facts::Region region) {
    return region == facts::Region::cervical || region == facts::Region::thoracic ||
           region == facts::Region::lumbar;
  };
  for (const auto region : {decision.procedure.region, decision.procedure.body_site_region,
                            decision.facts.vcf_region}) {
    if (spine(region)) return region;
  }
  return facts::Region::none;
}

std::vector<Alternative> usually_appropriate_alternatives(const Decision& decision,
                                                          const facts::Terminology& terminology,
                                                          facts::Region region) {
  std::vector<Alternative> out;
  if (decision.headline.variant == nullptr) return out;
  for (const auto& row : decision.headline.variant->rows) {
    if (row.category != criteria::Category::usually_appropriate) continue;
    if (&row == decision.headline.row) continue;
    Alternative alternative{&row, facts::orderable_code(terminology, row.name, region)};
    const bool region_free =
        facts::orderable_code(terminology, row.name, facts::Region::none).has_value();
    alternative.regional = alternative.code && !region_free;
    alternative.orderable = alternative.code || region_free;
    for (auto r : {facts::Region::cervical, facts::Region::thoracic, facts::Region::lumbar,
                   facts::Region::whole_body}) {
      alternative.orderable =
          alternative.orderable || facts::orderable_code(terminology, row.name, r).has_value();
    }
    out.push_back(std::move(alternative));
  }
  return out;
}

bool short_card(const Decision& decision) {
  return decision.firm &&
         decision.headline.row->category == criteria::Category::usually_appropriate;
}

std::string render_summary(const CardText& text, const Decision& decision) {
  TemplateData data;
  data.set_ref("procedure", decision.headline.row->name);
  data.set_ref("situation", text.situation(decision.headline.variant->number));
  add_row_fields(data, decision.headline);
  std::string summary = text.summary.render(data);
  // Guard the protocol limit even if the wording is edited to something longer.
  while (utf8_length(summary) > kSummaryLimit) {
    summary.pop_back();
    while (!summary.empty() && (static_cast<unsigned char>(summary.back()) & 0xC0) == 0x80) {
      summary.pop_back();
    }
    if (utf8_length(summary) < kSummaryLimit) summary += "…";
  }
  return summary;
}

void render_detail(const CardText& text, const Decision& decision,
                   const std::vector<Alternative>& alternatives, const RowParts& row_parts,
                   std::string& out, std::span<const hooks::PartialRead> partial) {
  const ProcedureRow& row = *decision.headline.row;
  const auto& f = decision.facts;
  // Borrowed text (set_ref) is from the knowledge base, the card text or the decision: all
  // outlive the rendering below.
  TemplateData data;
  data.reserve(24);  // the detail template's ~20 names
  data.set_ref("variantText", decision.headline.variant->text);
  data.set_ref("procedure", row.name);
  add_row_fields(data, decision.headline);
  data.set("disagreement", row.disagreement);
  data.set("median", row.median);
  data.set_ref("soe", row.soe);
  data.set_ref("situation", text.situation(decision.headline.variant->number));
  data.set("firm", decision.firm);
  for (const auto& read : partial) {
    data.add("partial")
        .set_ref("what", CardText::word(text.partial_read_keys, read.key))
        .set_ref("why", CardText::word(text.partial_read_reasons, hooks::to_string(read.reason)));
  }

  for (std::size_t k = 0; k < facts::kFactKindCount; ++k) {
    const auto kind = static_cast<facts::FactKind>(k);
    const auto& evidence = f.of(kind);
    if (evidence.empty()) continue;
    std::string sources;
    const auto shown = newest_evidence(evidence);
    for (const auto* e : shown) {
      if (!sources.empty()) sources += "; ";
      append_fact(sources, text, *e);
    }
    if (shown.size() < evidence.size()) {
      TemplateData more;
      more.set("count", std::to_string(evidence.size() - shown.size()));
      sources += "; ";
      sources += text.older_sources.render(more);
    }
    data.add("why")
        .set_ref("fact", CardText::word(text.facts, facts::to_string(kind)))
        .set("sources", std::move(sources));
  }
  for (const auto& assumption : decision.assumptions) {
    const std::string key = assumption.fact + (assumption.assumed_present ? ":true" : ":false");
    data.add("assumptions").set("text", std::string(CardText::word(text.assumptions, key)));
  }
  // What would change the answer is shown only where the category would change; the extension
  // keeps every differing rating (otherVariants).
  const auto changes_category = [&](const criteria::VariantMatch& match) {
    return match.row->category != row.category;
  };
  for (const auto& alternative : decision.if_present) {
    if (!changes_category(alternative.match)) continue;
    auto& item = data.add("ifPresent");
    item.set_ref("fact", CardText::word(text.facts, alternative.fact));
    add_row_fields(item, alternative.match);
  }
  // A firm answer has nothing to change it: its other candidates never top a way of reading the
  // record. Otherwise a question the card asks (clarifications) or a differing candidate shows
  // what was assumed.
  bool other_changes = false;
  for (const auto& other : decision.other_variants) {
    other_changes = other_changes || changes_category(other);
  }
  const bool changes = !decision.firm && (other_changes || !decision.clarifications.empty());
  data.set("changes", changes);
  data.set("asks", changes && !decision.clarifications.empty());
  if (changes && other_changes) {
    auto& section = data.add("otherVariants");
    for (const auto& other : decision.other_variants) {
      if (!changes_category(other)) continue;
      auto& item = section.add("items");
      add_row_fields(item, other);
      item.set_ref("text", other.variant->text);
    }
  }

  const std::string_view population = f.pediatric ? "pediatric" : "adult";
  const std::string& rrl = f.pediatric ? row.rrl_pediatric : row.rrl_adult;
  data.set_ref("population", CardText::word(text.population, population));
  data.set_ref("rrl", rrl);
  data.set_ref("rrlMeaning", text.rrl_meaning_of(rrl));

  data.set_list_ref("votes", row_parts.votes);

  if (!alternatives.empty()) {
    auto& section = data.add("alternatives");
    section.set("variant", decision.headline.variant->number);
    section.set("alsoAppropriate", row.category == criteria::Category::usually_appropriate);
    for (const auto& alternative : alternatives) {
      auto& item = section.add("items");
      item.set_ref("procedure", alternative.row->name).set("rating", alternative.row->rating);
      if (!alternative.orderable) {
        item.set_ref("note", text.alternative_not_orderable);
      } else if (!alternative.code && row.category != criteria::Category::usually_appropriate) {
        // Only where a suggestion would have been offered.
        item.set_ref("note", text.alternative_needs_region);
      }
    }
  }

  if (!row_parts.references.empty()) data.set_list_ref("references", row_parts.references);
  text.detail.render_to(data, out);
}

}  // namespace vcf_cds::cards
