#include "cards/detail.hpp"

#include <algorithm>
#include <cstdio>

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

std::string rrl_meaning_key(std::string_view rrl) {
  if (rrl.rfind("O ", 0) == 0) return "O";
  if (rrl.find("☢") != std::string_view::npos) return "☢";
  return std::string(rrl);
}

// Positive numeric PMIDs link to PubMed; anything else (the seed's negative ids) stays as written.
bool linkable_pmid(std::string_view pmid) {
  return !pmid.empty() &&
         std::all_of(pmid.begin(), pmid.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "Condition/c1 (M80.08XA “Age-related osteoporosis…”, 2026-11-01)", escaped.
std::string describe_source(const facts::Evidence& evidence) {
  std::string detail = evidence.source.code;
  if (!evidence.source.display.empty()) {
    if (!detail.empty()) detail += ' ';
    detail += "“" + evidence.source.display + "”";
  }
  if (evidence.date) {
    if (!detail.empty()) detail += ", ";
    detail += common::iso_date(*evidence.date);
  }
  if (!evidence.current) detail += detail.empty() ? "history" : ", history";
  std::string text = escape_markdown(evidence.source.reference);
  if (!detail.empty()) text += " — " + escape_markdown(detail);
  return text;
}

void add_row_fields(TemplateData& data, const CardText& text, const criteria::VariantMatch& match) {
  data.set("variant", match.variant->number);
  data.set("category", std::string(criteria::to_string(match.row->category)));
  data.set("rating", match.row->rating);
  (void)text;
}

}  // namespace

std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\\': case '`': case '*': case '_': case '[': case ']': case '#': case '|': case '!':
        out += '\\';
        out += c;
        break;
      case '\n': case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

facts::Region suggestion_region(const Decision& decision) {
  return decision.procedure.region != facts::Region::none ? decision.procedure.region
                                                          : decision.facts.vcf_region;
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

std::string render_summary(const CardText& text, const Decision& decision) {
  TemplateData data;
  data.set("procedure", decision.headline.row->name);
  add_row_fields(data, text, decision.headline);
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

std::string render_detail(const CardText& text, const Decision& decision,
                          const std::vector<Alternative>& alternatives) {
  const ProcedureRow& row = *decision.headline.row;
  const auto& f = decision.facts;
  TemplateData data;
  data.set("variantText", decision.headline.variant->text);
  data.set("procedure", row.name);
  add_row_fields(data, text, decision.headline);
  data.set("disagreement", row.disagreement);
  data.set("median", row.median);
  data.set("soe", row.soe);
  data.set("firm", decision.firm && decision.candidates.size() > 1);

  for (std::size_t k = 0; k < facts::kFactKindCount; ++k) {
    const auto kind = static_cast<facts::FactKind>(k);
    const auto& evidence = f.of(kind);
    if (evidence.empty()) continue;
    std::string sources;
    for (const auto& e : evidence) {
      if (!sources.empty()) sources += "; ";
      sources += describe_source(e);
    }
    data.add("why")
        .set("fact", CardText::word(text.facts, std::string(facts::to_string(kind))))
        .set("sources", std::move(sources));
  }
  for (const auto& assumption : decision.assumptions) {
    const std::string key = assumption.fact + (assumption.assumed_present ? ":true" : ":false");
    data.add("assumptions").set("text", CardText::word(text.assumptions, key));
  }
  for (const auto& alternative : decision.if_present) {
    auto& item = data.add("ifPresent");
    item.set("fact", CardText::word(text.facts, alternative.fact));
    add_row_fields(item, text, alternative.match);
  }
  if (!decision.other_variants.empty()) {
    auto& section = data.add("otherVariants");
    for (const auto& other : decision.other_variants) {
      auto& item = section.add("items");
      add_row_fields(item, text, other);
      item.set("text", other.variant->text);
    }
  }

  const std::string population = f.pediatric ? "pediatric" : "adult";
  const std::string& rrl = f.pediatric ? row.rrl_pediatric : row.rrl_adult;
  data.set("population", CardText::word(text.population, population));
  data.set("rrl", rrl);
  data.set("rrlMeaning", CardText::word(text.rrl_meaning, rrl_meaning_key(rrl)));

  for (std::size_t bucket = 0; bucket < row.tabulation.size(); ++bucket) {
    std::string bar;
    for (int i = 0; i < row.tabulation[bucket]; ++i) bar += "█";
    data.add("votes")
        .set("bucket", static_cast<int>(bucket + 1))
        .set("bar", std::move(bar))
        .set("count", row.tabulation[bucket]);
  }

  if (!alternatives.empty()) {
    auto& section = data.add("alternatives");
    section.set("variant", decision.headline.variant->number);
    for (const auto& alternative : alternatives) {
      auto& item = section.add("items");
      item.set("procedure", alternative.row->name).set("rating", alternative.row->rating);
      if (!alternative.orderable) item.set("note", text.alternative_not_orderable);
    }
  }

  if (!row.references.empty()) {
    auto& section = data.add("references");
    for (const auto& ref : row.references) {
      auto& item = section.add("items");
      item.set("n", ref.n).set("pmid", ref.pmid).set("quality", ref.quality);
      if (linkable_pmid(ref.pmid)) {
        TemplateData url;
        url.set("pmid", ref.pmid);
        item.set("url", text.pubmed_url.render(url));
      }
    }
  }
  return text.detail.render(data);
}

}  // namespace vcf_cds::cards
