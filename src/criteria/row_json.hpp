// A procedure row's panel evidence as JSON, in the one shape the card extension, the review
// console and `vcf-cds criteria --json` share: "tabulation" (votes for ratings 1..9) and
// "references" ({"n", "pmid", "quality", ...}). Templated on the RapidJSON-style writer each of
// them uses (the cards' CardWriter or rapidjson::Writer); `more(w, ref)` appends fields to each
// reference object (the console adds its PubMed url).
#pragma once

#include <string>

#include "vcf_cds/criteria.hpp"

namespace vcf_cds::criteria {

template <class Writer, class MoreReferenceFields>
void write_row_evidence(Writer& w, const ProcedureRow& row, MoreReferenceFields&& more) {
  const auto string = [&w](const std::string& text) {
    w.String(text.data(), static_cast<unsigned>(text.size()));
  };
  w.Key("tabulation");
  w.StartArray();
  for (int votes : row.tabulation) w.Int(votes);
  w.EndArray();
  w.Key("references");
  w.StartArray();
  for (const auto& ref : row.references) {
    w.StartObject();
    w.Key("n");
    w.Int(ref.n);
    w.Key("pmid");
    string(ref.pmid);
    w.Key("quality");
    string(ref.quality);
    more(w, ref);
    w.EndObject();
  }
  w.EndArray();
}

template <class Writer>
void write_row_evidence(Writer& w, const ProcedureRow& row) {
  write_row_evidence(w, row, [](Writer&, const Reference&) {});
}

}  // namespace vcf_cds::criteria
