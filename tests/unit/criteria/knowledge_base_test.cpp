#include "vcf_cds/criteria.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <numeric>

#include "common/json_file.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vcf_cds::criteria;
using vcf_cds::testing::source_path;
using vcf_cds::testing::TempDir;

const KnowledgeBase& kb() {
  static const KnowledgeBase loaded = load_knowledge_base(source_path("cards/criteria.json"));
  return loaded;
}

const ProcedureRow& row(int variant, std::string_view name) {
  const Variant* v = kb().variant(variant);
  REQUIRE(v != nullptr);
  const ProcedureRow* r = v->find_row(name);
  INFO("variant " << variant << " row " << name);
  REQUIRE(r != nullptr);
  return *r;
}

std::vector<std::string> pmids(const ProcedureRow& r) {
  std::vector<std::string> out;
  for (const auto& ref : r.references) out.push_back(ref.pmid);
  return out;
}

// Writes a copy of the committed knowledge file after `mutate`, re-hashing the variants so that
// only the validation under test can fire (unless `rehash` is false).
std::filesystem::path broken_copy(const TempDir& dir,
                                  const std::function<void(rapidjson::Document&)>& mutate,
                                  bool rehash = true) {
  rapidjson::Document doc = vcf_cds::common::parse_json_file(source_path("cards/criteria.json"));
  mutate(doc);
  if (rehash) {
    const std::string version = content_version(vcf_cds::common::to_compact_json(doc["variants"]));
    doc["version"].SetString(version.c_str(), static_cast<rapidjson::SizeType>(version.size()),
                             doc.GetAllocator());
  }
  return dir.write("criteria.json", vcf_cds::common::to_compact_json(doc));
}

std::string load_error(const std::filesystem::path& file) {
  try {
    (void)load_knowledge_base(file);
  } catch (const KnowledgeError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_SUITE("criteria") {
  TEST_CASE("knowledge base: committed file -> 9 variants with the seed's row counts") {
    REQUIRE(kb().variants.size() == 9);
    const std::array<std::size_t, 9> expected{10, 11, 10, 11, 5, 6, 6, 6, 6};
    std::size_t with_references = 0, total = 0;
    for (std::size_t i = 0; i < 9; ++i) {
      const auto& v = kb().variants[i];
      CHECK(v.number == static_cast<int>(i) + 1);
      CHECK(v.rows.size() == expected[i]);
      CHECK(v.phase == (i < 4 ? Phase::imaging : Phase::treatment));
      for (const auto& r : v.rows) {
        ++total;
        with_references += !r.references.empty();
        const int votes = std::accumulate(r.tabulation.begin(), r.tabulation.end(), 0);
        CHECK(votes >= 20);
        CHECK(votes <= 21);
      }
    }
    CHECK(total == 71);
    CHECK(with_references == 57);
  }

  TEST_CASE("knowledge base: metadata -> title, source and content version recorded") {
    CHECK(kb().title == "ACR Appropriateness Criteria® Management of Vertebral Compression Fractures");
    CHECK(kb().publisher == "American College of Radiology");
    CHECK(kb().source == "acr-ac-vertebral-compression-fractures.txt");
    CHECK(kb().version.rfind("sha256:", 0) == 0);
    CHECK(kb().version.size() == 7 + 64);
    CHECK(kb().source_sha256.size() == 64);
  }

  TEST_CASE("knowledge base: spot checks across page breaks and wrapped lines -> as in the seed") {
    const auto& pet1 = row(1, "FDG-PET/CT skull base to mid-thigh");
    CHECK(pet1.tabulation == std::array<int, 9>{6, 5, 3, 3, 3, 0, 0, 0, 0});
    CHECK(pet1.references.size() == 5);
    CHECK(pet1.rating == 2);
    CHECK(pet1.soe == "Limited");
    CHECK(pet1.rrl_adult == "☢☢☢☢ 10-30 mSv");
    CHECK(pet1.rrl_pediatric == "☢☢☢☢ 3-10 mSv");
    // Wrapped across the page break after reference 61 of the previous page.
    CHECK(pmids(pet1) == std::vector<std::string>{"29348133", "3277565", "12811277", "11914890",
                                                   "12195540"});

    const auto& mri1 = row(1, "MRI spine area of interest without IV contrast");
    CHECK(mri1.category == Category::usually_appropriate);
    CHECK(mri1.rating == 9);
    CHECK(mri1.rrl_adult == "O 0 mSv");
    CHECK(mri1.tabulation == std::array<int, 9>{0, 0, 0, 0, 0, 0, 1, 9, 10});
    CHECK(mri1.references.front().n == 46);
    CHECK(mri1.references.size() == 9);

    const auto& ct1 = row(1, "CT spine area of interest with IV contrast");
    CHECK(ct1.category == Category::usually_not_appropriate);
    CHECK(ct1.rrl_adult == "Varies");
    CHECK(ct1.references.back().pmid == "14519867");  // after a page break
    CHECK(ct1.references.size() == 5);

    const auto& bone1 = row(1, "Bone scan whole body");
    CHECK(bone1.rrl_adult == "☢☢☢ 1-10 mSv");
    CHECK(bone1.rrl_pediatric == "☢☢☢☢ 3-10 mSv");
    CHECK(bone1.tabulation == std::array<int, 9>{1, 0, 2, 6, 8, 3, 0, 0, 0});

    const auto& myelo1 = row(1, "CT myelography spine area of interest");
    CHECK(myelo1.soe == "Expert Consensus");
    CHECK(myelo1.references.empty());
    CHECK(myelo1.rating == 2);

    const auto& disagreement = row(2, "MRI spine area of interest with IV contrast");
    CHECK(disagreement.category == Category::may_be_appropriate);
    CHECK(disagreement.disagreement);
    CHECK(disagreement.median == 5);
    CHECK(disagreement.rating == 5);
    CHECK(disagreement.soe == "Expert Opinion");
    CHECK(disagreement.tabulation == std::array<int, 9>{6, 0, 7, 0, 1, 7, 0, 0, 0});

    const auto& pet2 = row(2, "FDG-PET/CT skull base to mid-thigh");
    CHECK(pet2.soe == "Moderate");
    CHECK(pet2.references[1].pmid == "32105873");
    CHECK(pet2.references[1].quality == "Good");

    const auto& ctwo2 = row(2, "CT spine area of interest without and with IV contrast");
    CHECK(ctwo2.references.back().n == 12);  // split from its list by a page break
    CHECK(ctwo2.references.size() == 7);

    const auto& ct3 = row(3, "CT spine area of interest without and with IV contrast");
    CHECK(ct3.references.size() == 5);  // "References" heading before a page break
    CHECK(ct3.references.front().pmid == "20528649");

    const auto& mri4 = row(4, "MRI spine area of interest without and with IV contrast");
    CHECK(mri4.references.size() == 13);
    CHECK(mri4.references[4].pmid == "-3194747");
    CHECK(mri4.references[4].n == 92);
    CHECK(row(4, "MRI spine area of interest with IV contrast").references.size() == 13);
    CHECK(row(4, "FDG-PET/CT skull base to mid-thigh").tabulation ==
          std::array<int, 9>{0, 0, 1, 0, 17, 2, 1, 0, 0});

    const auto& med5 = row(5, "Medical management only");
    CHECK(med5.rrl_adult == "N/A");
    CHECK(med5.tabulation == std::array<int, 9>{0, 0, 0, 0, 0, 0, 1, 4, 15});
    CHECK(med5.references.size() == 8);
    CHECK(row(5, "Radiation oncology consultation").references.empty());
    CHECK(row(5, "Percutaneous ablation spine").references.front().pmid == "18566009");

    const auto& aug6 = row(6, "Percutaneous vertebral augmentation");
    CHECK(aug6.references.size() == 26);  // spans a page break
    CHECK(aug6.references.back().pmid == "20372942");
    CHECK(row(6, "Systemic radionuclide therapy").tabulation ==
          std::array<int, 9>{17, 1, 2, 0, 0, 0, 0, 0, 0});

    const auto& aug7 = row(7, "Percutaneous vertebral augmentation");
    CHECK(aug7.references[2].quality == "Good");
    CHECK(row(7, "Medical management only").rating == 7);

    const auto& aug8 = row(8, "Percutaneous vertebral augmentation");
    CHECK(aug8.references.size() == 24);
    CHECK(row(8, "Surgical consultation").category == Category::usually_appropriate);
    CHECK(row(8, "Surgical consultation").references.empty());

    const auto& surg9 = row(9, "Surgical consultation");
    CHECK(surg9.references.size() == 8);
    CHECK(surg9.references[6].pmid == "-3121235");
    CHECK(surg9.references[6].n == 151);
    CHECK(row(9, "Systemic radionuclide therapy").rating == 4);
    CHECK(row(9, "Medical management only").references.size() == 1);
  }

  TEST_CASE("knowledge base: every row -> category consistent with rating except disagreement") {
    int disagreements = 0;
    for (const auto& v : kb().variants) {
      for (const auto& r : v.rows) {
        if (r.disagreement) {
          ++disagreements;
        } else {
          CHECK(category_for_rating(r.rating) == r.category);
        }
      }
    }
    CHECK(disagreements == 1);
  }

  TEST_CASE("knowledge base: broken copies -> each validation names file, variant, row, field") {
    TempDir dir;
    struct Case {
      const char* what;
      std::function<void(rapidjson::Document&)> mutate;
      std::vector<std::string> expected;
    };
    const std::vector<Case> cases = {
        {"8 tabulation buckets",
         [](auto& d) { d["variants"][0]["procedures"][0]["tabulation"].PopBack(); },
         {"variant 1", "row 1", "tabulation"}},
        {"rating out of range",
         [](auto& d) { d["variants"][2]["procedures"][1]["rating"].SetInt(10); },
         {"variant 3", "row 2", "\"rating\""}},
        {"median zero", [](auto& d) { d["variants"][8]["procedures"][0]["median"].SetInt(0); },
         {"variant 9", "row 1", "\"median\""}},
        {"category inconsistent with rating",
         [](auto& d) { d["variants"][0]["procedures"][0]["rating"].SetInt(5); },
         {"variant 1", "row 1", "\"category\"", "rating 5"}},
        {"duplicate row",
         [](auto& d) {
           auto& rows = d["variants"][4]["procedures"];
           rapidjson::Value copy(rows[0], d.GetAllocator());
           rows.PushBack(copy, d.GetAllocator());
         },
         {"variant 5", "row 6", "duplicate"}},
        {"unknown SOE",
         [](auto& d) { d["variants"][1]["procedures"][0]["soe"].SetString("Weak"); },
         {"variant 2", "row 1", "\"soe\""}},
        {"unknown category",
         [](auto& d) { d["variants"][1]["procedures"][0]["category"].SetString("Maybe"); },
         {"variant 2", "\"category\""}},
        {"missing median",
         [](auto& d) { d["variants"][3]["procedures"][2].RemoveMember("median"); },
         {"variant 4", "row 3", "\"median\"", "missing"}},
        {"negative vote",
         [](auto& d) { d["variants"][0]["procedures"][3]["tabulation"][2].SetInt(-1); },
         {"variant 1", "row 4", "tabulation", "bucket 3"}},
        {"eight variants", [](auto& d) { d["variants"].PopBack(); }, {"\"variants\""}},
        {"bad phase", [](auto& d) { d["variants"][5]["phase"].SetString("triage"); },
         {"variant 6", "\"phase\""}},
        {"reference without pmid",
         [](auto& d) { d["variants"][0]["procedures"][0]["references"][0].RemoveMember("pmid"); },
         {"variant 1", "row 1", "\"pmid\""}},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      const std::string message = load_error(broken_copy(dir, c.mutate));
      REQUIRE_FALSE(message.empty());
      CHECK(message.find("criteria.json") != std::string::npos);
      for (const auto& part : c.expected) {
        CAPTURE(part);
        CHECK(message.find(part) != std::string::npos);
      }
    }
  }

  TEST_CASE("knowledge base: hand edit without re-import -> version mismatch stops the load") {
    TempDir dir;
    const auto file = broken_copy(
        dir, [](auto& d) { d["variants"][0]["procedures"][1]["median"].SetInt(7); },
        /*rehash=*/false);
    const std::string message = load_error(file);
    CHECK(message.find("\"version\"") != std::string::npos);
    CHECK(message.find("import_criteria.py") != std::string::npos);
  }

  TEST_CASE("knowledge base: invalid JSON or missing file -> error names the file") {
    TempDir dir;
    CHECK(load_error(dir.write("criteria.json", "{\"title\": ")).find("criteria.json") !=
          std::string::npos);
    CHECK(load_error(dir.path() / "absent.json").find("absent.json") != std::string::npos);
  }
}
