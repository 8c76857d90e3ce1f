#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <functional>

#include "common/json_file.hpp"
#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::copy_profiles;
using vcf_cds::facts::testing::edit;
using vcf_cds::facts::testing::kToday;
using vcf_cds::facts::testing::profiles;
using vcf_cds::facts::testing::profiles_dir;
using vcf_cds::facts::testing::Scenario;
using vcf_cds::testing::TempDir;
namespace fs = std::filesystem;

// Loads the edited copy and returns the ProfileError message ("" when it loaded).
std::string load_error(const TempDir& dir) {
  try {
    (void)load_terminology(dir.path());
  } catch (const ProfileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("load_terminology: committed profiles -> every table answers") {
    const auto loaded = load_terminology(profiles_dir());
    REQUIRE(loaded != nullptr);
    CHECK(version(*loaded).rfind("sha256:", 0) == 0);
    CHECK(version(*loaded).size() == 7 + 64);
    CHECK(describe_code(*loaded, "http://www.ama-assn.org/go/cpt", "72148").row_name ==
          "MRI spine area of interest without IV contrast");
  }

  TEST_CASE("override_reasons: project CodeSystem -> five coded reasons in file order") {
    const auto& reasons = override_reasons(profiles());
    REQUIRE(reasons.size() == 5);
    CHECK(reasons[0].code == "clinical-judgement");
    CHECK(reasons[1].code == "patient-specific-factors");
    CHECK(reasons[2].code == "prior-imaging-inadequate");
    CHECK(reasons[3].code == "contraindication-to-alternative");
    CHECK(reasons[4].code == "patient-preference");
    for (const auto& reason : reasons) {
      CHECK(reason.system == "https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds");
      CHECK_FALSE(reason.display.empty());
    }
  }

  TEST_CASE("load_terminology: code added to a ValueSet copy -> extracted fact changes") {
    // M62.830 (muscle spasm of back) is not back pain in the committed profiles.
    const Scenario scenario("symptoms", "neither");
    TempDir dir;
    copy_profiles(dir);
    const auto before = load_terminology(dir.path());
    rapidjson::Document request_doc;
    request_doc.Parse(R"({"resourceType":"Condition","id":"c9","code":{"coding":[
        {"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M62.830"}]}})");
    auto request = scenario.request();
    request.data.conditions.push_back(&request_doc);
    CHECK(extract(*before, request, scenario.rated(), kToday).symptomatic == Tri::unknown);

    edit(dir, "ValueSet-back-pain.json", [](rapidjson::Document& doc) {
      auto& allocator = doc.GetAllocator();
      rapidjson::Value concept_value(rapidjson::kObjectType);
      concept_value.AddMember("code", "M62.830", allocator);
      doc["compose"]["include"][1]["concept"].PushBack(concept_value, allocator);
    });
    const auto after = load_terminology(dir.path());
    const ClinicalFacts facts = extract(*after, request, scenario.rated(), kToday);
    CHECK(facts.symptomatic == Tri::present);
    REQUIRE(facts.of(FactKind::back_pain).size() == 1);
    CHECK(facts.of(FactKind::back_pain)[0].source.reference == "Condition/c9");
    CHECK(version(*after) != version(*before));
  }

  TEST_CASE("load_terminology: ConceptMap entry added in a copy -> new code maps to its row") {
    TempDir dir;
    copy_profiles(dir);
    edit(dir, "ConceptMap-procedure-rows.json", [](rapidjson::Document& doc) {
      rapidjson::Document element;
      element.Parse(R"({"code": "ORD-MRL", "target": [{
          "code": "MRI spine area of interest without IV contrast", "equivalence": "equivalent",
          "product": [{"property": "region", "value": "lumbar"}]}]})");
      REQUIRE_FALSE(element.HasParseError());
      rapidjson::Value group(rapidjson::kObjectType);
      auto& allocator = doc.GetAllocator();
      group.AddMember("source", "http://example.org/orderables", allocator);
      rapidjson::Value elements(rapidjson::kArrayType);
      elements.PushBack(rapidjson::Value(element, allocator), allocator);
      group.AddMember("element", elements, allocator);
      doc["group"].PushBack(group, allocator);
    });
    const auto loaded = load_terminology(dir.path());
    const CodeInfo info = describe_code(*loaded, "http://example.org/orderables", "ORD-MRL");
    CHECK(info.row_name == "MRI spine area of interest without IV contrast");
    CHECK(info.region == Region::lumbar);
    // Reverse map still prefers CPT over the site's own code.
    CHECK(orderable_code(*loaded, info.row_name, Region::lumbar)->code == "72148");
  }

  TEST_CASE("load_terminology: invalid profile -> ProfileError naming file and field") {
    struct Case {
      const char* name;
      const char* file;
      std::function<void(rapidjson::Document&)> mutate;
      const char* field;
    };
    const auto set_string = [](const char* member, const char* value) {
      return [=](rapidjson::Document& doc) { doc[member].SetString(rapidjson::StringRef(value)); };
    };
    const auto remove = [](const char* member) {
      return [=](rapidjson::Document& doc) { doc.RemoveMember(member); };
    };
    const std::vector<Case> cases = {
        {"missing resourceType", "ValueSet-vcf.json", remove("resourceType"),
         "resourceType: missing"},
        {"unknown resourceType", "ValueSet-vcf.json", set_string("resourceType", "Patient"),
         "resourceType: unsupported 'Patient'"},
        {"a CodeSystem needs a url (only NamingSystem has none)", "NamingSystem-cpt.json",
         [](rapidjson::Document& d) { d["resourceType"].SetString("CodeSystem"); }, "url: missing"},
        {"missing url", "ValueSet-malignancy.json", remove("url"), "url: missing"},
        {"duplicate url", "ValueSet-vcf.json",
         set_string("url", "https://vcf-cds.example.org/fhir/ValueSet/malignancy"),
         "url: duplicate of ValueSet-malignancy.json"},
        {"missing identifier", "ValueSet-back-pain.json", remove("identifier"),
         "identifier: missing"},
        {"unknown fact kind", "ValueSet-back-pain.json",
         [](rapidjson::Document& d) { d["identifier"][0]["value"].SetString("backache"); },
         "identifier[0].value: unknown fact kind 'backache'"},
        {"unknown region tag", "ValueSet-region-lumbar.json",
         [](rapidjson::Document& d) { d["identifier"][0]["value"].SetString("sacral"); },
         "identifier[0].value: unknown region"},
        {"missing compose", "ValueSet-asymptomatic.json", remove("compose"), "compose: missing"},
        {"missing include", "ValueSet-asymptomatic.json",
         [](rapidjson::Document& d) { d["compose"].RemoveMember("include"); },
         "compose.include: missing"},
        {"empty exclude", "ValueSet-asymptomatic.json",
         [](rapidjson::Document& d) {
           d["compose"].AddMember("exclude", rapidjson::Value(rapidjson::kArrayType),
                                  d.GetAllocator());
         },
         "compose.exclude: expected a non-empty array"},
        {"exclude of a value set", "ValueSet-malignancy.json",
         [](rapidjson::Document& d) {
           d["compose"]["exclude"][0].AddMember("valueSet", "urn:x", d.GetAllocator());
         },
         "compose.exclude[0].valueSet: not supported"},
        {"exclude is-a on SNOMED", "ValueSet-malignancy.json",
         [](rapidjson::Document& d) {
           d["compose"]["exclude"][0]["system"].SetString("http://snomed.info/sct");
         },
         "compose.exclude[0].filter[0]: is-a filters are supported for ICD-10-CM only"},
        {"exclude without code", "ValueSet-malignancy.json",
         [](rapidjson::Document& d) {
           d["compose"]["exclude"][0]["concept"][0].RemoveMember("code");
         },
         "compose.exclude[0].concept[0].code: missing"},
        {"NamingSystem without uniqueId", "NamingSystem-cpt.json", remove("uniqueId"),
         "uniqueId: missing"},
        {"NamingSystem uniqueId unknown type", "NamingSystem-snomed-ct.json",
         [](rapidjson::Document& d) { d["uniqueId"][1]["type"].SetString("isbn"); },
         "uniqueId[1].type: unknown type 'isbn'"},
        {"NamingSystem uniqueId without value", "NamingSystem-loinc.json",
         [](rapidjson::Document& d) { d["uniqueId"][1].RemoveMember("value"); },
         "uniqueId[1].value: missing"},
        {"NamingSystem bad OID", "NamingSystem-icd-10-cm.json",
         [](rapidjson::Document& d) { d["uniqueId"][1]["value"].SetString("2.16.840..1"); },
         "uniqueId[1].value: not an OID"},
        {"NamingSystem without uri", "NamingSystem-loinc.json",
         [](rapidjson::Document& d) { d["uniqueId"][0]["type"].SetString("oid"); },
         "uniqueId: no entry of type uri"},
        {"NamingSystem unknown kind", "NamingSystem-cpt.json",
         [](rapidjson::Document& d) { d["kind"].SetString("codes"); },
         "kind: unknown kind 'codes'"},
        {"NamingSystem without kind", "NamingSystem-cpt.json", remove("kind"), "kind: missing"},
        {"read-as without valueUri", "NamingSystem-icd-10.json",
         [](rapidjson::Document& d) { d["extension"][0].RemoveMember("valueUri"); },
         "extension[0].valueUri: missing"},
        // Files load in name order: SNOMED CT's NamingSystem finds its OID taken by CPT's.
        {"one alias for two systems", "NamingSystem-cpt.json",
         [](rapidjson::Document& d) {
           d["uniqueId"][1]["value"].SetString("2.16.840.1.113883.6.96");
         },
         "NamingSystem-snomed-ct.json: uniqueId[1].value: 'urn:oid:2.16.840.1.113883.6.96' already "
         "names http://www.ama-assn.org/go/cpt"},
        {"an alias that is another system's URI", "NamingSystem-cpt.json",
         [](rapidjson::Document& d) {
           d["uniqueId"][1]["type"].SetString("uri");
           d["uniqueId"][1]["value"].SetString("http://loinc.org");
         },
         "NamingSystem-loinc.json: uniqueId: 'http://loinc.org' already names "
         "http://www.ama-assn.org/go/cpt"},
        {"missing system", "ValueSet-asymptomatic.json",
         [](rapidjson::Document& d) { d["compose"]["include"][0].RemoveMember("system"); },
         "compose.include[0].system: missing"},
        {"missing concept code", "ValueSet-back-pain.json",
         [](rapidjson::Document& d) {
           d["compose"]["include"][1]["concept"][2].RemoveMember("code");
         },
         "compose.include[1].concept[2].code: missing"},
        {"neither concept nor filter", "ValueSet-asymptomatic.json",
         [](rapidjson::Document& d) { d["compose"]["include"][0].RemoveMember("concept"); },
         "compose.include[0]: needs concept or filter"},
        {"filter op", "ValueSet-vcf.json",
         [](rapidjson::Document& d) {
           d["compose"]["include"][1]["filter"][0]["op"].SetString("regex");
         },
         "compose.include[1].filter[0].op: expected \"is-a\""},
        {"is-a on SNOMED", "ValueSet-vcf.json",
         [](rapidjson::Document& d) {
           d["compose"]["include"][1]["system"].SetString("http://snomed.info/sct");
         },
         "compose.include[1].filter[0]: is-a filters are supported for ICD-10-CM only"},
        {"project code not in CodeSystem", "ValueSet-worsening-pain.json",
         [](rapidjson::Document& d) {
           d["compose"]["include"][0]["concept"][0]["code"].SetString("worse-pain");
         },
         "compose.include[0].concept[0].code: 'worse-pain' is not in CodeSystem"},
        {"CodeSystem without concepts", "CodeSystem-vcf-cds.json", remove("concept"),
         "concept: missing"},
        {"CodeSystem duplicate code", "CodeSystem-vcf-cds.json",
         [](rapidjson::Document& d) { d["concept"][1]["code"].SetString("bone-marrow-edema"); },
         "concept[1].code: duplicate code"},
        {"ConceptMap without group", "ConceptMap-procedure-rows.json", remove("group"),
         "group: missing"},
        {"group without source", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) { d["group"][1].RemoveMember("source"); },
         "group[1].source: missing"},
        {"element without target", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) { d["group"][0]["element"][3].RemoveMember("target"); },
         "group[0].element[3].target: missing"},
        {"target without code", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           d["group"][0]["element"][0]["target"][0].RemoveMember("code");
         },
         "group[0].element[0].target[0].code: missing"},
        {"unknown region", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           d["group"][0]["element"][0]["target"][0]["product"][0]["value"].SetString("neck");
         },
         "group[0].element[0].target[0].product[0].value: unknown region 'neck'"},
        {"unknown contrast", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           d["group"][0]["element"][0]["target"][0]["product"][1]["value"].SetString("oral");
         },
         "group[0].element[0].target[0].product[1].value: unknown contrast 'oral'"},
        {"bad advanced-imaging", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           d["group"][0]["element"][0]["target"][0]["product"][2]["value"].SetString("yes");
         },
         "group[0].element[0].target[0].product[2].value: expected true|false"},
        {"unknown product", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           d["group"][0]["element"][0]["target"][0]["product"][0]["property"].SetString("site");
         },
         "group[0].element[0].target[0].product[0].property: expected region"},
        {"dependsOn property", "ConceptMap-procedure-rows.json",
         [](rapidjson::Document& d) {
           // element 12 is 72126, whose second target is CT myelography.
           d["group"][0]["element"][12]["target"][1]["dependsOn"][0]["property"].SetString("with");
         },
         "group[0].element[12].target[1].dependsOn[0].property: expected \"same-draft\""},
    };
    for (const auto& c : cases) {
      SUBCASE(c.name) {
        TempDir dir;
        copy_profiles(dir);
        edit(dir, c.file, c.mutate);
        const std::string message = load_error(dir);
        INFO("message: " << message);
        CHECK(message.find(c.file) != std::string::npos);
        CHECK(message.find(c.field) != std::string::npos);
      }
    }
  }

  TEST_CASE("load_terminology: bad JSON or missing coverage -> ProfileError naming the file") {
    SUBCASE("syntax error") {
      TempDir dir;
      copy_profiles(dir);
      dir.write("ValueSet-vcf.json", R"({"resourceType": "ValueSet", "url": )");
      const std::string message = load_error(dir);
      CHECK(message.find("ValueSet-vcf.json") != std::string::npos);
      CHECK(message.find("invalid JSON at offset") != std::string::npos);
    }
    SUBCASE("root not an object") {
      TempDir dir;
      copy_profiles(dir);
      dir.write("ValueSet-extra.json", "[1, 2]");
      const std::string message = load_error(dir);
      CHECK(message.find("ValueSet-extra.json: (root): expected a JSON object") !=
            std::string::npos);
    }
    SUBCASE("a fact kind without ValueSet") {
      TempDir dir;
      copy_profiles(dir);
      fs::remove(dir.path() / "ValueSet-worsening-pain.json");
      const std::string message = load_error(dir);
      CHECK(message.find(dir.path().string()) != std::string::npos);
      CHECK(message.find("urn:vcf-cds:fact-kind|worsening_pain") != std::string::npos);
    }
    SUBCASE("no ConceptMap") {
      TempDir dir;
      copy_profiles(dir);
      fs::remove(dir.path() / "ConceptMap-procedure-rows.json");
      CHECK(load_error(dir).find("no ConceptMap") != std::string::npos);
    }
    SUBCASE("folder missing") {
      CHECK_THROWS_WITH_AS((void)load_terminology("/nonexistent/fhir-profiles"),
                           doctest::Contains("/nonexistent/fhir-profiles: not a directory"),
                           ProfileError);
    }
    SUBCASE("other files are ignored") {
      TempDir dir;
      copy_profiles(dir);
      dir.write("notes.txt", "not json");
      CHECK(load_error(dir).empty());
    }
  }
}
