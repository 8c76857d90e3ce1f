// Ranking and add-or-replace of suggested alternatives (CONTRACT §5 ties), and the card text's
// service kinds validated at load.
#include "cards/alternatives.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/scenario.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vcf_cds;
using cards::Alternative;
using cards::SuggestionChange;
using criteria::ProcedureRow;

ProcedureRow row(std::string name, int rating, std::string rrl_adult, std::string rrl_child) {
  ProcedureRow r;
  r.name = std::move(name);
  r.rating = rating;
  r.category = criteria::category_for_rating(rating);
  r.rrl_adult = std::move(rrl_adult);
  r.rrl_pediatric = std::move(rrl_child);
  return r;
}

Alternative orderable(const ProcedureRow& r) {
  return Alternative{&r, facts::Coding{"http://www.ama-assn.org/go/cpt", "0", ""}, false, true};
}

struct TieCase {
  const char* title;
  std::vector<ProcedureRow> rows;  // the alternatives, document order
  bool pediatric;
  const char* expected;
};

// The first alternative with a code that none ranks before (what a card marks isRecommended).
const Alternative* recommended_alternative(const std::vector<const Alternative*>& alternatives,
                                           const criteria::Decision& d) {
  const Alternative* best = nullptr;
  for (const Alternative* a : alternatives) {
    if (a->code && (best == nullptr || cards::ranks_before(*a, *best, d))) best = a;
  }
  return best;
}

std::string recommended(const TieCase& c, const ProcedureRow& ordered) {
  criteria::Variant variant;
  criteria::Decision d;
  d.headline = {&variant, &ordered};
  d.facts.pediatric = c.pediatric;
  std::vector<Alternative> alternatives;
  for (const auto& r : c.rows) alternatives.push_back(orderable(r));
  std::vector<const Alternative*> offered;
  for (const auto& a : alternatives) offered.push_back(&a);
  const auto* best = recommended_alternative(offered, d);
  return best == nullptr ? "none" : best->row->name;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("alternatives: radiation rank -> O and N/A first, then by ☢ count, Varies last") {
    CHECK(cards::radiation_rank("O 0 mSv") == 0);
    CHECK(cards::radiation_rank("N/A") == 0);
    CHECK(cards::radiation_rank("☢ <0.1 mSv") == 1);
    CHECK(cards::radiation_rank("☢☢☢ 1-10 mSv") == 3);
    CHECK(cards::radiation_rank("☢☢☢☢ 10-30 mSv") == 4);
    CHECK(cards::radiation_rank("☢☢☢☢☢ 30-100 mSv") == 5);
    CHECK(cards::radiation_rank("Varies") > cards::radiation_rank("☢☢☢☢☢ 30-100 mSv"));
    CHECK(cards::radiation_rank("") == cards::radiation_rank("Varies"));  // unknown: not low
  }

  TEST_CASE("alternatives: modality -> the row name's first word") {
    CHECK(cards::modality("CT spine area of interest without IV contrast") == "CT");
    CHECK(cards::modality("FDG-PET/CT skull base to mid-thigh") == "FDG-PET/CT");
    CHECK(cards::modality("Surgical") == "Surgical");
    CHECK(cards::modality("") == "");
  }

  TEST_CASE("alternatives: recommended -> rating, then less radiation, then the ordered modality") {
    const ProcedureRow ordered =
        row("CT spine area of interest with IV contrast", 3, "Varies", "Varies");
    const TieCase cases[] = {
        {"higher rating wins over less radiation",
         {row("CT spine area of interest without IV contrast", 9, "Varies", "Varies"),
          row("MRI spine area of interest without IV contrast", 8, "O 0 mSv", "O 0 mSv")},
         false,
         "CT spine area of interest without IV contrast"},
        {"equal rating: no ionising radiation first (variant 3's CT and MRI at 8)",
         {row("CT spine area of interest without IV contrast", 8, "Varies", "Varies"),
          row("MRI spine area of interest without IV contrast", 8, "O 0 mSv", "O 0 mSv")},
         false,
         "MRI spine area of interest without IV contrast"},
        {"equal rating: fewer ☢ for the patient's age group (child)",
         {row("Bone scan whole body", 7, "☢☢ 0.1-1 mSv", "☢☢☢☢ 3-10 mSv"),
          row("SPECT or SPECT/CT spine area of interest", 7, "☢☢☢ 1-10 mSv", "☢☢☢ 0.3-3 mSv")},
         true,
         "SPECT or SPECT/CT spine area of interest"},
        {"equal rating: fewer ☢ for the patient's age group (adult)",
         {row("Bone scan whole body", 7, "☢☢ 0.1-1 mSv", "☢☢☢☢ 3-10 mSv"),
          row("SPECT or SPECT/CT spine area of interest", 7, "☢☢☢ 1-10 mSv", "☢☢☢ 0.3-3 mSv")},
         false,
         "Bone scan whole body"},
        {"equal rating and radiation: the ordered modality (CT) first",
         {row("MRI spine area of interest without IV contrast", 8, "Varies", "Varies"),
          row("CT spine area of interest without IV contrast", 8, "Varies", "Varies")},
         false,
         "CT spine area of interest without IV contrast"},
        {"all equal, other modalities: document order",
         {row("Surgical consultation", 8, "N/A", "N/A"),
          row("Radiation oncology consultation", 8, "N/A", "N/A")},
         false,
         "Surgical consultation"},
        {"nothing orderable", {}, false, "none"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.title);
      CHECK(recommended(c, ordered) == c.expected);
    }
  }

  TEST_CASE("alternatives: add or replace -> by the ordered and offered kinds of service") {
    const auto& k = testing::knowledge();
    const auto& text = *k.card_text;
    struct Case {
      int variant;
      const char* ordered;
      const char* offered;
      SuggestionChange expected;
    };
    const Case cases[] = {
        {1, "CT spine area of interest with IV contrast",
         "MRI spine area of interest without IV contrast", SuggestionChange::replace},
        {2, "Image-guided biopsy spine area of interest",
         "MRI spine area of interest without and with IV contrast", SuggestionChange::add},
        {6, "Surgical consultation", "Percutaneous vertebral augmentation", SuggestionChange::add},
        {9, "Systemic radionuclide therapy", "Surgical consultation",
         SuggestionChange::replace_other_kind},
        {9, "Systemic radionuclide therapy", "Percutaneous ablation spine",
         SuggestionChange::replace},
        {9, "Radiation oncology consultation", "Surgical consultation", SuggestionChange::replace},
    };
    for (const auto& c : cases) {
      CAPTURE(c.variant);
      CAPTURE(c.ordered);
      CAPTURE(c.offered);
      const auto* variant = k.criteria->variant(c.variant);
      REQUIRE(variant != nullptr);
      const auto* ordered = variant->find_row(c.ordered);
      const auto* offered = variant->find_row(c.offered);
      REQUIRE(ordered != nullptr);
      REQUIRE(offered != nullptr);
      criteria::Decision d;
      d.headline = {variant, ordered};
      const Alternative alternative{offered, std::nullopt, false, true};
      CHECK(cards::suggestion_change(text, d, alternative) == c.expected);
    }
    // Every row the card text gives a kind is a row of the seed.
    const auto names = k.criteria->procedure_names();
    for (const auto& [name, kind] : text.service_kind) {
      CAPTURE(name);
      CHECK(std::find(names.begin(), names.end(), name) != names.end());
    }
  }

  TEST_CASE("card text: bad kinds, situations, fact words -> the load stops naming the field") {
    const auto templates = testing::source_path("cards/templates");
    const std::string json = read_text(templates / "card-text.json");
    const std::string detail = read_text(templates / "detail.md");
    struct Bad {
      const char* from;
      const char* to;
      const char* field;
    };
    const Bad cases[] = {
        {R"("Surgical consultation": "referral")", R"("Surgical consultation": "consult")",
         "serviceKind.Surgical consultation"},
        {R"("keptServiceKinds": ["referral", "biopsy"])", R"("keptServiceKinds": ["referal"])",
         "keptServiceKinds"},
        {R"("referral": "a referral",)", "", "serviceKindWords.referral"},
        {R"("9": "pathological (tumour) VCF with ongoing mechanical pain")", R"("10": "x")",
         "situations.9"},
        {R"("orderReason": "a reason on this order")", R"("orderReason": "{{#date}}")",
         "factWords.orderReason"},
        {R"("shortDetail")", R"("shortDetails")", "shortDetail"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.field);
      std::string broken = json;
      const auto at = broken.find(c.from);
      REQUIRE(at != std::string::npos);
      broken.replace(at, std::string_view(c.from).size(), c.to);
      testing::TempDir dir;
      dir.write("card-text.json", broken);
      dir.write("detail.md", detail);
      try {
        (void)cards::load_card_text(dir.path());
        FAIL("loaded a bad card text");
      } catch (const cards::TemplateError& e) {
        CHECK(std::string(e.what()).find(c.field) != std::string::npos);
      }
    }
  }
}
