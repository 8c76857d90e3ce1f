// The evidence pages: every row of every variant has one, as HTML and JSON, with the seed's
// values; unknown paths are 404 in the asked format.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <set>

#include "support/scenario.hpp"
#include "vcf_cds/evidence.hpp"

namespace {

using namespace vcf_cds;
using testing::knowledge;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

evidence::Page page(std::string_view target, evidence::Format format) {
  return evidence::render(*knowledge().criteria, *knowledge().card_text, target, format);
}

}  // namespace

TEST_SUITE("evidence") {
  TEST_CASE("row_slug: lowercase words joined by one hyphen") {
    CHECK(criteria::row_slug("FDG-PET/CT skull base to mid-thigh") ==
          "fdg-pet-ct-skull-base-to-mid-thigh");
    CHECK(criteria::row_slug("MRI spine area of interest without and with IV contrast") ==
          "mri-spine-area-of-interest-without-and-with-iv-contrast");
    CHECK(criteria::row_slug("  Tc-99m bone scan (whole body)  ") == "tc-99m-bone-scan-whole-body");
    CHECK(criteria::row_slug("") == "");
    CHECK(criteria::evidence_path(2, "Bone scan whole body") ==
          "/criteria/acr-vcf/variant/2/row/bone-scan-whole-body");
  }

  TEST_CASE("every row of every variant: JSON carries the seed's values, HTML shows them") {
    const auto& kb = *knowledge().criteria;
    int rows = 0;
    for (const auto& variant : kb.variants) {
      std::set<std::string> paths;
      for (const auto& row : variant.rows) {
        ++rows;
        const std::string path = criteria::evidence_path(variant.number, row.name);
        CHECK(paths.insert(path).second);
        CAPTURE(path);
        const auto json = page(path, evidence::Format::json);
        REQUIRE(json.status == 200);
        CHECK(json.content_type == "application/json");
        const auto doc = parse(json.body);
        REQUIRE(doc.IsObject());
        CHECK(doc["variant"].GetInt() == variant.number);
        CHECK(std::string(doc["procedure"].GetString()) == row.name);
        CHECK(std::string(doc["category"].GetString()) == criteria::to_string(row.category));
        CHECK(doc["rating"].GetInt() == row.rating);
        CHECK(doc["median"].GetInt() == row.median);
        CHECK(std::string(doc["soe"].GetString()) == row.soe);
        CHECK(std::string(doc["rrl"]["adult"].GetString()) == row.rrl_adult);
        CHECK(std::string(doc["rrl"]["pediatric"].GetString()) == row.rrl_pediatric);
        REQUIRE(doc["tabulation"].Size() == 9);
        for (rapidjson::SizeType i = 0; i < 9; ++i) {
          CHECK(doc["tabulation"][i].GetInt() == row.tabulation[i]);
        }
        REQUIRE(doc["references"].Size() == row.references.size());
        for (rapidjson::SizeType i = 0; i < row.references.size(); ++i) {
          CHECK(std::string(doc["references"][i]["pmid"].GetString()) == row.references[i].pmid);
        }

        const auto html = page(path, evidence::Format::html);
        REQUIRE(html.status == 200);
        CHECK(html.content_type == "text/html; charset=utf-8");
        CHECK(html.body.find("<svg") != std::string::npos);  // the votes, drawn
        CHECK(html.body.find(std::to_string(row.rating) + "/9") != std::string::npos);
        CHECK(html.body.find("<script") == std::string::npos);
      }
    }
    CHECK(rows == 71);
  }

  TEST_CASE("references: positive PMIDs link to PubMed, negative ones are shown unlinked") {
    const auto& kb = *knowledge().criteria;
    int negatives = 0;
    for (const auto& variant : kb.variants) {
      for (const auto& row : variant.rows) {
        const auto html =
            page(criteria::evidence_path(variant.number, row.name), evidence::Format::html).body;
        const auto doc = parse(
            page(criteria::evidence_path(variant.number, row.name), evidence::Format::json).body);
        for (rapidjson::SizeType i = 0; i < row.references.size(); ++i) {
          const std::string& pmid = row.references[i].pmid;
          const auto& url = doc["references"][i]["url"];
          if (pmid.starts_with('-')) {
            ++negatives;
            CHECK(url.IsNull());
            CHECK(html.find("PMID " + pmid) != std::string::npos);
          } else {
            REQUIRE(url.IsString());
            const std::string link = url.GetString();
            CHECK(link == "https://pubmed.ncbi.nlm.nih.gov/" + pmid + "/");
            CHECK(html.find("href=\"" + link + "\"") != std::string::npos);
          }
        }
      }
    }
    CHECK(negatives > 0);  // the seed has two negative ids; each may recur across variants
  }

  TEST_CASE("index and variant pages list and link what is below them") {
    const auto& kb = *knowledge().criteria;
    const auto index = parse(page("/criteria/acr-vcf", evidence::Format::json).body);
    REQUIRE(index["variants"].Size() == 9);
    CHECK(std::string(index["variants"][1]["url"].GetString()) == "/criteria/acr-vcf/variant/2");
    const auto variant = parse(page("/criteria/acr-vcf/variant/2/", evidence::Format::json).body);
    REQUIRE(variant["rows"].Size() == kb.variant(2)->rows.size());
    const auto html = page("/criteria/acr-vcf/variant/2", evidence::Format::html).body;
    for (const auto& row : kb.variant(2)->rows) {
      CHECK(html.find(criteria::evidence_path(2, row.name)) != std::string::npos);
    }
  }

  TEST_CASE("unknown paths: 404 as an OperationOutcome (JSON) or a page (HTML)") {
    for (const char* path :
         {"/criteria/acr-vcf/variant/10", "/criteria/acr-vcf/variant/0",
          "/criteria/acr-vcf/variant/x", "/criteria/acr-vcf/variant/1/row/no-such-row",
          "/criteria/acr-vcf/variant/1/rows/x", "/criteria/other", "/criteria/acr-vcf/variant/1x",
          "/criteria/acr-vcf/variant/-1", "/criteria/acr-vcf/variant/99999999999999999999"}) {
      CAPTURE(path);
      const auto json = page(path, evidence::Format::json);
      CHECK(json.status == 404);
      CHECK(std::string(parse(json.body)["resourceType"].GetString()) == "OperationOutcome");
      const auto html = page(path, evidence::Format::html);
      CHECK(html.status == 404);
      CHECK(html.content_type == "text/html; charset=utf-8");
    }
  }

  TEST_CASE("negotiate: _format wins, then Accept naming text/html, else JSON") {
    using evidence::Format;
    CHECK(evidence::negotiate("/criteria/acr-vcf", "text/html,application/xhtml+xml,*/*;q=0.8") ==
          Format::html);
    CHECK(evidence::negotiate("/criteria/acr-vcf", "application/json") == Format::json);
    CHECK(evidence::negotiate("/criteria/acr-vcf", "*/*") == Format::json);
    CHECK(evidence::negotiate("/criteria/acr-vcf", "") == Format::json);
    CHECK(evidence::negotiate("/criteria/acr-vcf?_format=json", "text/html") == Format::json);
    CHECK(evidence::negotiate("/criteria/acr-vcf?_format=html", "application/json") ==
          Format::html);
  }
}
