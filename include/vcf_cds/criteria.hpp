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

// The three-valued facts (CONTRACT §3): records rarely code them, so with no record either way
// they are unknown and decide() fills them in every way. Keys as in card text and audit records.
enum class OpenFact : std::uint8_t { symptomatic, edema_or_cleft, worsening_pain };
inline constexpr std::size_t kOpenFactCount = 3;
std::string_view to_string(OpenFact fact);  // "symptomatic", "edema_or_cleft", "worsening_pain"

// One way of filling in the three-valued facts: the documented value where there is one.
// Worsening pain is pain (§7), so no world has worsening pain without symptoms.
struct World {
  bool symptomatic = false;
  bool edema_or_cleft = false;
  bool worsening_pain = false;

  bool value(OpenFact fact) const;
};

// What a variant needed an unknown fact to be: `fact` (to_string(OpenFact)) assumed present or
// absent. Card text (cards/) and audit records key their wording by "<fact>:<true|false>".
struct Assumption {
  std::string fact;
  bool assumed_present = false;
};

// "If <fact> were documented, the order would fall in <variant> and rate differently."
// `fact` is a facts::to_string(FactKind) key, or "multiple_vcfs" for a second distinct VCF.
struct IfPresent {
  std::string fact;
  VariantMatch match;
};

// A question the card asks (CONTRACT §5, Clarification): documenting the unknown `fact` as
// present (or absent) makes `result` the headline; `result.variant` is null when no variant
// would apply. One per answer, for each unknown fact on which the category depends.
struct Clarification {
  std::string fact;  // to_string(OpenFact)
  bool present = false;
  VariantMatch result;
  bool firm = false;                   // once answered, every remaining world rates the same
  std::vector<Assumption> conditions;  // unless firm: what `result` still assumes of the rest
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
  // Variants whose rows include the order and that match in some world (some way of filling in
  // the unknown facts), in priority order; the headline is the first.
  VariantMatch headline;                 // set when rated
  std::vector<VariantMatch> candidates;  // priority order
  // §3: every world has a matching variant, and the highest-priority variant of each world
  // rates the order the same.
  bool firm = false;
  std::vector<Assumption> assumptions;       // unknown facts the headline needed, one value each
  std::vector<VariantMatch> other_variants;  // candidates whose rating differs from the headline
  // Absent two-valued facts (and explicitly absent three-valued ones) that, were they present,
  // would move the order to another variant with another rating: named in the detail only.
  std::vector<IfPresent> if_present;
  // Unknown facts whose value changes the category (or leaves no variant), one entry per answer
  // in OpenFact order, present first; empty when nothing is worth asking.
  std::vector<Clarification> clarifications;
  // No explanation member: facts::explain(facts) builds that line where it is shown (console),
  // not on every service call, where nobody read it.
};

// The fixed order in which variants win the headline (CONTRACT §3): 2, 4, 3, 1, 9, 7, 6, 8, 5.
std::span<const int> variant_priority();

// Does `number` match the facts, with the three-valued facts taken from `world`?
bool variant_matches(int number, const facts::ClinicalFacts& facts, const World& world);

Decision decide(const KnowledgeBase& kb, facts::OrderedProcedure procedure,
                facts::ClinicalFacts facts);

// ---- evidence as JSON ---------------------------------------------------------------------------

// A procedure row's panel evidence as JSON, in the one shape the card extension, the review
// console and `vcf-cds criteria --json` share: "tabulation" (votes for ratings 1..9) and
// "references" ({"n", "pmid", "quality", ...}). Templated on the RapidJSON-style writer each of
// them uses (the cards' CardWriter or rapidjson::Writer); `more(w, ref)` appends fields to each
// reference object (the console adds its PubMed url).
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
