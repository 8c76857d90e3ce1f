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
  Template short_detail;                 // a firm Usually appropriate answer: one line
  Template suggestion_label;             // replaces the order with the same kind of service
  Template suggestion_label_other_kind;  // replaces it with a different kind of service
  Template suggestion_label_add;         // adds beside an order of a kept kind
  Template delete_description;
  Template delete_paired_description;  // the 62284 injection paired with CT myelography
  Template create_description;
  Template update_description;
  Template clarification_label;
  Template clarification_description;
  Template pubmed_url;
  Template older_sources;  // after a fact's newest sources: how many more records it has
  std::string source_label;
  std::string source_url;
  std::map<std::string, std::string, std::less<>> indicator;    // by category
  std::map<std::string, std::string, std::less<>> regions;      // by facts::to_string(Region)
  std::map<std::string, std::string, std::less<>> facts;        // by fact key
  std::map<std::string, std::string, std::less<>> assumptions;  // "symptomatic:true"
  std::map<std::string, ClarificationText, std::less<>> clarifications;  // "symptomatic:true"
  std::map<std::string, std::string, std::less<>> rrl_meaning;  // "O", "☢", "Varies", "N/A"
  std::map<std::string, std::string, std::less<>> population;   // "adult", "pediatric"
  std::map<std::string, std::string, std::less<>> situations;   // by variant number, "1".."9"
  // How a fact's record is dated in words: "since", "done", "history", "historyDated",
  // "orderReason"; {{date}} is the ISO date.
  std::map<std::string, Template, std::less<>> fact_words;
  std::string alternative_not_orderable;
  std::string alternative_needs_region;  // orderable only for a known spinal level
  std::map<std::string, std::string, std::less<>> service_kind;        // by row name
  std::map<std::string, std::string, std::less<>> service_kind_words;  // "referral": "a referral"
  std::vector<std::string> kept_service_kinds;  // kinds a suggestion adds beside, never replaces
  std::string evidence_link_label;              // the card's `links` entry to the evidence page
  // "Decided on part of the record": what was read in part (by prefetch key) and why (by
  // hooks::to_string(PartialReason)).
  std::map<std::string, std::string, std::less<>> partial_read_keys;
  std::map<std::string, std::string, std::less<>> partial_read_reasons;
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
  // The variant's clinical situation in plain words ("new painful VCF, no known cancer").
  std::string_view situation(int variant) const;
  // The PubMed link for a positive numeric PMID; empty for anything else (the seed's negative
  // ids stay as written, unlinked).
  std::string pubmed_link(std::string_view pmid) const;
};

}  // namespace vcf_cds::cards
