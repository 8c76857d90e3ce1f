// File: criteria.hpp — the ACR VCF knowledge base and the decision it supports.
//
// Input: cards/criteria.json (generated from the seed by tools/import_criteria.py) and the
// clinical facts of one order (facts.hpp). Output: a plain `Decision` struct that the cards and
// audit stages consume. This stage never touches HTTP or JSON output. Ratings, names and
// references come only from the knowledge file; nothing of the criteria is written in C++.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/facts.hpp"

namespace vcf_cds::criteria {

enum class Category : std::uint8_t {
  usually_appropriate,
  may_be_appropriate,
  usually_not_appropriate
};
enum class Phase : std::uint8_t { imaging, treatment };

std::string_view to_string(Category category);  // "Usually appropriate", ...
std::string_view to_string(Phase phase);        // "imaging" | "treatment"
std::optional<Category> category_from_string(std::string_view text);
// The category a rating falls in (7–9, 4–6, 1–3).
Category category_for_rating(int rating);

struct Reference {
  int n = 0;            // citation number in the ACR document
  std::string pmid;     // exactly as written; may be negative ("-3121235")
  std::string quality;  // "1".."4" or "Good"
};

struct ProcedureRow {
  std::string name;  // as in the seed, e.g. "FDG-PET/CT skull base to mid-thigh"
  Category category = Category::usually_not_appropriate;
  bool disagreement = false;
  std::string soe;  // "Strong", "Moderate", "Limited", "Expert Consensus", "Expert Opinion"
  std::string rrl_adult;
  std::string rrl_pediatric;
  int rating = 0;
  int median = 0;
  std::array<int, 9> tabulation{};  // panel votes for ratings 1..9
  std::vector<Reference> references;
};

struct Variant {
  int number = 0;
  std::string text;
  Phase phase = Phase::imaging;
  std::vector<ProcedureRow> rows;  // document order

  const ProcedureRow* find_row(std::string_view name) const;
};

struct KnowledgeBase {
  std::string title;
  std::string publisher;
  std::string source;         // seed file name
  std::string source_sha256;  // hash of the seed the file was generated from
  std::string url;
  std::string version;  // "sha256:<hex>" over the variants; verified at load
  std::filesystem::path file;
  std::vector<Variant> variants;  // ordered by number, 1..9

  const Variant* variant(int number) const;
  // Every distinct procedure name across variants, in first-seen order.
  std::vector<std::string_view> procedure_names() const;
};

// Start-up boundary: a bad knowledge file throws this, naming file, variant, row and field.
class KnowledgeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a row's evidence page is published, relative to the service's public base URL: the
// cards' `links`, `pama-rating-auc-applied` and the console's explorer all name it.
inline constexpr std::string_view kEvidencePath = "/criteria/acr-vcf";
// A row name as a path segment: lowercase letters and digits, any other run as one '-'
// ("FDG-PET/CT skull base to mid-thigh" -> "fdg-pet-ct-skull-base-to-mid-thigh").
std::string row_slug(std::string_view row_name);
std::string variant_path(int variant);                              // ".../variant/2"
std::string evidence_path(int variant, std::string_view row_name);  // ".../variant/2/row/<slug>"

// Reads and validates the knowledge file: 9 variants numbered 1..9, 9 tabulation buckets, rating
// and median in 1..9, category consistent with rating (the disagreement row excepted), known SOE,
// no duplicate row within a variant, and the recorded version hash equal to the content.
KnowledgeBase load_knowledge_base(const std::filesystem::path& file);

// Recomputes "sha256:<hex>" of the compact serialisation of a parsed "variants" JSON text.
std::string content_version(std::string_view compact_variants_json);

// ---- Decision (CONTRACT §3, §7) --------------------------------------------------------------

// A variant that matches the order's facts, and the order's row in it.
struct VariantMatch {
  const Variant* variant = nullptr;
  const ProcedureRow* row = nullptr;
};

// What the service had to assume about an undocumented fact to reach the headline.
// Only symptoms are three-valued (CONTRACT §3), so `fact` is "symptomatic" for now; the key is
// what card text (cards/) and audit records use.
struct Assumption {
  std::string fact;              // "symptomatic"
  bool assumed_present = false;  // assumed symptomatic (true) or asymptomatic (false)
};

// "If <fact> were documented, the order would fall in <variant> and rate differently."
// `fact` is a facts::to_string(FactKind) key, or "multiple_vcfs" for a second distinct VCF.
struct IfPresent {
  std::string fact;
  VariantMatch match;
};

enum class Outcome : std::uint8_t {
  not_applicable,     // neither spine imaging nor a VCF treatment: nothing to say
  no_criteria_apply,  // advanced imaging with no matching variant: PAMA rating only, no card
  rated,              // a card
};

struct Decision {
  Outcome outcome = Outcome::not_applicable;
  facts::OrderedProcedure procedure;
  facts::ClinicalFacts facts;
  VariantMatch headline;                     // set when rated
  std::vector<VariantMatch> candidates;      // every matching variant, priority order
  bool firm = false;                         // every candidate rates the order the same
  std::vector<Assumption> assumptions;       // undocumented facts the headline relied on
  std::vector<VariantMatch> other_variants;  // candidates whose rating differs from the headline
  std::vector<IfPresent> if_present;         // absent facts that would change the rating
  // No explanation member: facts::explain(facts) builds that line where it is shown (console),
  // not on every service call, where nobody read it (issue #8).
};

// The fixed order in which variants win the headline (CONTRACT §3): 2, 4, 3, 1, 9, 7, 6, 8, 5.
std::span<const int> variant_priority();

// Does `number` match the facts, with `symptomatic` resolved to a definite value?
bool variant_matches(int number, const facts::ClinicalFacts& facts, bool symptomatic);

Decision decide(const KnowledgeBase& kb, facts::OrderedProcedure procedure,
                facts::ClinicalFacts facts);

}  // namespace vcf_cds::criteria
