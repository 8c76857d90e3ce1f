// Card wording loaded from cards/templates/ (card-text.json, detail.md).
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cards/template.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {

struct OverrideReason {
  std::string code;
  std::string display;
};

// One answer to a clarification question (CONTRACT §5), keyed "<fact>:<true|false>".
struct ClarificationText {
  std::string answer;     // the label's lead, e.g. "Back pain from the fracture"
  std::string condition;  // "if …" wording when another answer's rating still assumes this one
  facts::Coding reason;   // the reasonCode the suggestion adds to the draft order
};

class CardText {
 public:
  Template summary;
  Template detail;
  Template suggestion_label;
  Template delete_description;
  Template create_description;
  Template update_description;
  Template clarification_label;
  Template clarification_description;
  Template pubmed_url;
  std::string source_label;
  std::string source_url;
  std::map<std::string, std::string, std::less<>> indicator;    // by category
  std::map<std::string, std::string, std::less<>> regions;      // by facts::to_string(Region)
  std::map<std::string, std::string, std::less<>> facts;        // by fact key
  std::map<std::string, std::string, std::less<>> assumptions;  // "symptomatic:true"
  std::map<std::string, ClarificationText, std::less<>> clarifications;  // "symptomatic:true"
  std::map<std::string, std::string, std::less<>> rrl_meaning;  // "O", "☢", "Varies", "N/A"
  std::map<std::string, std::string, std::less<>> population;   // "adult", "pediatric"
  std::string alternative_not_orderable;
  std::string evidence_link_label;  // the card's `links` entry to the evidence page
  std::vector<OverrideReason> override_reasons;
  std::string score_system;
  std::array<std::string, 9> score_codes;  // rating n -> score_codes[n-1]

  // Lookup with the key itself as fallback, so a missing wording never drops a fact.
  // The result views the map's text or `key` itself: keep the key alive while it is used.
  static std::string_view word(const std::map<std::string, std::string, std::less<>>& map,
                               std::string_view key);
  // What an RRL value means: "O 0 mSv" reads as "O", any ☢ level as "☢", others as themselves.
  // The view is into this object or `rrl`.
  std::string_view rrl_meaning_of(std::string_view rrl) const;
  // The PubMed link for a positive numeric PMID; empty for anything else (the seed's negative
  // ids stay as written, unlinked).
  std::string pubmed_link(std::string_view pmid) const;
};

}  // namespace vcf_cds::cards
