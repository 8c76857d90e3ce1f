// GET /console/api/criteria: the model as loaded, for the explorer and the try-it form.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "cards/card_text.hpp"
#include "unit/console/console_support.hpp"

namespace {

using namespace vcf_cds;
using console_testing::at;
using console_testing::parse;
using console_testing::text;
using vcf_cds::testing::knowledge;

}  // namespace

TEST_SUITE("console") {
  TEST_CASE("console_criteria: 9 variants, 71 rows, every field as loaded") {
    const auto r = console::console_criteria(knowledge());
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    const auto doc = parse(r.body);
    const auto& kb = *knowledge().criteria;
    CHECK(text(doc, "/knowledgeVersion") == knowledge().version);
    CHECK(text(doc, "/terminologyVersion").starts_with("sha256:"));
    const auto& variants = at(doc, "/variants");
    REQUIRE(variants.Size() == 9);
    std::size_t rows = 0;
    for (rapidjson::SizeType v = 0; v < variants.Size(); ++v) {
      const auto& variant = variants[v];
      const auto& model = kb.variants[v];
      CHECK(variant["number"].GetInt() == model.number);
      CHECK(std::string(variant["text"].GetString()) == model.text);
      CHECK(std::string(variant["phase"].GetString()) == criteria::to_string(model.phase));
      REQUIRE(variant["rows"].Size() == model.rows.size());
      for (rapidjson::SizeType i = 0; i < variant["rows"].Size(); ++i, ++rows) {
        const auto& row = variant["rows"][i];
        const auto& m = model.rows[i];
        CAPTURE(m.name);
        CHECK(std::string(row["name"].GetString()) == m.name);
        CHECK(std::string(row["evidenceUrl"].GetString()) ==
              criteria::evidence_path(model.number, m.name));
        CHECK(std::string(row["category"].GetString()) == criteria::to_string(m.category));
        CHECK(row["disagreement"].GetBool() == m.disagreement);
        CHECK(row["rating"].GetInt() == m.rating);
        CHECK(row["median"].GetInt() == m.median);
        CHECK(std::string(row["soe"].GetString()) == m.soe);
        CHECK(std::string(row["rrlAdult"]["value"].GetString()) == m.rrl_adult);
        CHECK(std::string(row["rrlPediatric"]["value"].GetString()) == m.rrl_pediatric);
        CHECK(std::string(row["rrlAdult"]["meaning"].GetString()).size() > 10);
        REQUIRE(row["tabulation"].Size() == 9);
        for (rapidjson::SizeType b = 0; b < 9; ++b)
          CHECK(row["tabulation"][b].GetInt() == m.tabulation[b]);
        REQUIRE(row["references"].Size() == m.references.size());
        for (rapidjson::SizeType k = 0; k < m.references.size(); ++k) {
          const auto& ref = row["references"][k];
          CHECK(ref["n"].GetInt() == m.references[k].n);
          CHECK(std::string(ref["pmid"].GetString()) == m.references[k].pmid);
          CHECK(std::string(ref["quality"].GetString()) == m.references[k].quality);
          if (m.references[k].pmid.starts_with("-")) {
            CHECK(ref["url"].IsNull());  // negative PMIDs as written, unlinked
          } else {
            CHECK(std::string(ref["url"].GetString()) ==
                  "https://pubmed.ncbi.nlm.nih.gov/" + m.references[k].pmid + "/");
          }
        }
      }
    }
    CHECK(rows == 71);
  }

  TEST_CASE("console_criteria: RRL meanings from card-text.json rrlMeaning") {
    const auto doc = parse(console::console_criteria(knowledge()).body);
    const auto& text_model = *knowledge().card_text;
    for (const char* key : {"O", "☢", "Varies", "N/A"}) {
      CAPTURE(key);
      CHECK(std::string(at(doc, "/rrlMeaning")[key].GetString()) ==
            cards::CardText::word(text_model.rrl_meaning, key));
    }
    const auto& rows = at(doc, "/variants/0/rows");
    for (const auto& row : rows.GetArray()) {
      const std::string value = row["rrlAdult"]["value"].GetString();
      const std::string meaning = row["rrlAdult"]["meaning"].GetString();
      if (value.starts_with("O ")) CHECK(meaning == at(doc, "/rrlMeaning")["O"].GetString());
      if (value.find("☢") != std::string::npos) {
        CHECK(meaning == at(doc, "/rrlMeaning")["☢"].GetString());
      }
      if (value == "Varies") CHECK(meaning == at(doc, "/rrlMeaning")["Varies"].GetString());
    }
  }

  TEST_CASE("console_criteria: orderable codes from the ConceptMap") {
    const auto doc = parse(console::console_criteria(knowledge()).body);
    const auto& codes = at(doc, "/orderCodes");
    std::set<std::string> keys;
    std::set<std::string> rows;
    for (const auto& c : codes.GetArray()) {
      const std::string key = std::string(c["system"].GetString()) + "|" + c["code"].GetString();
      CHECK(keys.insert(key).second);  // no duplicates
      rows.insert(c["row"].GetString());
      CHECK_FALSE(std::string(c["row"].GetString()).empty());
      const auto info = facts::describe_code(*knowledge().terminology, c["system"].GetString(),
                                             c["code"].GetString());
      CHECK(info.row_name == c["row"].GetString());
    }
    CHECK(keys.count("http://www.ama-assn.org/go/cpt|72149") == 1);
    CHECK(keys.count("http://www.ama-assn.org/go/cpt|72146") == 1);
    CHECK(keys.count("http://www.ama-assn.org/go/cpt|22514") == 1);
    CHECK(keys.count("http://snomed.info/sct|183541002") == 1);
    CHECK(keys.count("http://loinc.org|24965-6") == 1);  // CT myelography has no plain CPT
    // Every row with an orderable code is offered.
    for (const auto name : knowledge().criteria->procedure_names()) {
      bool orderable = false;
      for (auto region : {facts::Region::none, facts::Region::cervical, facts::Region::thoracic,
                          facts::Region::lumbar, facts::Region::whole_body}) {
        orderable |= facts::orderable_code(*knowledge().terminology, name, region).has_value();
      }
      CAPTURE(name);
      CHECK(rows.count(std::string(name)) == (orderable ? 1u : 0u));
    }
  }
}
