// Code-system aliases (NamingSystem) and ValueSet exclusions: a code under an OID matches exactly
// as under the canonical URI, and compose.exclude removes what it names and nothing else.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <vector>

#include "common/json_file.hpp"
#include "facts/terminology.hpp"
#include "unit/facts/facts_support.hpp"
#include "vcf_cds/facts.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::copy_profiles;
using vcf_cds::facts::testing::edit;
using vcf_cds::facts::testing::profiles;
using vcf_cds::facts::testing::profiles_dir;
using vcf_cds::testing::TempDir;
namespace fs = std::filesystem;

constexpr const char* kIcd = "http://hl7.org/fhir/sid/icd-10-cm";
constexpr const char* kIcdOid = "urn:oid:2.16.840.1.113883.6.90";
constexpr const char* kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr const char* kIcd10Oid = "urn:oid:2.16.840.1.113883.6.3";
constexpr const char* kSct = "http://snomed.info/sct";
constexpr const char* kSctOid = "urn:oid:2.16.840.1.113883.6.96";
constexpr const char* kCpt = "http://www.ama-assn.org/go/cpt";
constexpr const char* kCptOid = "urn:oid:2.16.840.1.113883.6.12";
constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kLoincOid = "urn:oid:2.16.840.1.113883.6.1";

KindMask kinds_of(const Terminology& t, std::string_view system, std::string_view code) {
  std::string key;
  return t.make_key(system, code, key) ? t.kinds(key) & ~kAdvancedImagingBit : 0;
}

Region region_of(const Terminology& t, std::string_view system, std::string_view code) {
  std::string key;
  return t.make_key(system, code, key) ? t.region(key) : Region::none;
}

KindMask bits(std::initializer_list<FactKind> kinds) {
  KindMask mask = 0;
  for (FactKind kind : kinds) mask |= kind_bit(kind);
  return mask;
}

void add_json(rapidjson::Document& doc, rapidjson::Value& target, const char* name,
              const char* json) {
  rapidjson::Document parsed;
  parsed.Parse(json);
  REQUIRE_FALSE(parsed.HasParseError());
  target.AddMember(rapidjson::StringRef(name), rapidjson::Value(parsed, doc.GetAllocator()),
                   doc.GetAllocator());
}

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("aliases: a code under its OID gives the same facts as under the canonical URI") {
    struct Case {
      const char* system;
      const char* alias;
      const char* code;
      KindMask kinds;
    };
    const std::vector<Case> cases = {
        {kIcd, kIcdOid, "M48.56XA", bits({FactKind::vcf})},
        {kIcd, kIcdOid, "m4856xa", bits({FactKind::vcf})},
        {kIcd, kIcdOid, "M80.08XA", bits({FactKind::vcf, FactKind::osteoporotic})},
        {kIcd, kIcdOid, "C79.51", bits({FactKind::malignancy, FactKind::bone_malignancy})},
        {kIcd, kIcdOid, "C44.91", 0},
        {kIcd, kIcdOid, "M54.31", bits({FactKind::back_pain})},
        {kIcd10, kIcd10Oid, "C50.9", bits({FactKind::malignancy})},
        {kIcd10, kIcd10Oid, "M80.08", bits({FactKind::vcf, FactKind::osteoporotic})},
        {kSct, kSctOid, "42942008", bits({FactKind::vcf})},
        {kSct, kSctOid, "254837009", bits({FactKind::malignancy})},
        {kSct, kSctOid, "23056005", bits({FactKind::back_pain})},
        {kSct, kSctOid, "84387000", bits({FactKind::asymptomatic})},
        {kCpt, kCptOid, "22513", bits({FactKind::prior_augmentation})},
    };
    for (const auto& c : cases) {
      CAPTURE(c.alias);
      CAPTURE(c.code);
      CHECK(kinds_of(profiles(), c.system, c.code) == c.kinds);
      CHECK(kinds_of(profiles(), c.alias, c.code) == c.kinds);
    }
    // WHO ICD-10 is read as ICD-10-CM: dots ignored, prefixes match, under both of its names.
    for (const char* system : {kIcd, kIcdOid, kIcd10, kIcd10Oid}) {
      CAPTURE(system);
      CHECK(profiles().is_icd_system(system));
      CHECK(region_of(profiles(), system, "M4854XA") == Region::thoracic);
    }
    CHECK_FALSE(profiles().is_icd_system(kSctOid));
    // Unknown OIDs still match nothing.
    CHECK(kinds_of(profiles(), "urn:oid:2.16.840.1.113883.6.999", "M48.56XA") == 0);
  }

  TEST_CASE("aliases: VCFs coded under the ICD-10-CM OID are told apart like dotted URI codes") {
    const vcf_cds::facts::testing::Scenario scenario("symptoms", "neither");
    rapidjson::Document thoracic;
    thoracic.Parse(R"({"resourceType":"Condition","id":"c2","code":{"coding":[
        {"system":"urn:oid:2.16.840.1.113883.6.90","code":"M4854XA"}]}})");
    rapidjson::Document lumbar_again;
    lumbar_again.Parse(R"({"resourceType":"Condition","id":"c3","code":{"coding":[
        {"system":"urn:oid:2.16.840.1.113883.6.90","code":"m48.56xd"}]}})");
    auto request = scenario.request();  // c1: M48.56XA under the URI
    request.data.conditions.push_back(&thoracic);
    request.data.conditions.push_back(&lumbar_again);
    const ClinicalFacts facts =
        extract(profiles(), request, scenario.rated(), vcf_cds::facts::testing::kToday);
    REQUIRE(facts.of(FactKind::vcf).size() == 3);
    CHECK(facts.of(FactKind::vcf)[1].distinct_key == "M4854X@");
    CHECK(facts.of(FactKind::vcf)[2].distinct_key == facts.of(FactKind::vcf)[0].distinct_key);
    CHECK(facts.distinct_vcfs == 2);
    CHECK(facts.of(FactKind::vcf)[1].source.system == "urn:oid:2.16.840.1.113883.6.90");
  }

  TEST_CASE("aliases: order codes under the CPT and LOINC OIDs map to the same procedure row") {
    for (const char* system : {kCpt, kCptOid}) {
      CAPTURE(system);
      const CodeInfo info = describe_code(profiles(), system, "72148");
      CHECK(info.row_name == "MRI spine area of interest without IV contrast");
      CHECK(info.region == Region::lumbar);
      CHECK(info.advanced_imaging);
    }
    const CodeInfo uri = describe_code(profiles(), kLoinc, "30667-0");
    const CodeInfo oid = describe_code(profiles(), kLoincOid, "30667-0");
    CHECK_FALSE(uri.row_name.empty());
    CHECK(oid.row_name == uri.row_name);
    CHECK(oid.region == uri.region);
    // The suggestion code keeps the ConceptMap's canonical system.
    CHECK(
        orderable_code(profiles(), "MRI spine area of interest without IV contrast", Region::lumbar)
            ->system == kCpt);
  }

  TEST_CASE("aliases: a ConceptMap group named by the CPT OID still suggests CPT codes") {
    TempDir dir;
    copy_profiles(dir);
    edit(dir, "ConceptMap-procedure-rows.json", [](rapidjson::Document& doc) {
      REQUIRE(std::string_view(doc["group"][0]["source"].GetString()) == kCpt);
      doc["group"][0]["source"].SetString(rapidjson::StringRef(kCptOid));
    });
    const auto loaded = load_terminology(dir.path());
    const auto coding =
        orderable_code(*loaded, "MRI spine area of interest without IV contrast", Region::lumbar);
    REQUIRE(coding.has_value());
    CHECK(coding->system == kCpt);  // canonical, and ranked as CPT (before LOINC)
    CHECK(coding->code == "72148");
    CHECK(describe_code(*loaded, kCpt, "72148").region == Region::lumbar);
  }

  TEST_CASE("aliases: a bodySite under the SNOMED CT OID gives its region") {
    CHECK(region_of(profiles(), kSct, "66794005") == Region::lumbar);
    CHECK(region_of(profiles(), kSctOid, "66794005") == Region::lumbar);
  }

  TEST_CASE("descendants: specific SNOMED CT codes from problem lists feed their facts") {
    using K = FactKind;
    struct Case {
      const char* code;
      KindMask kinds;
      Region region;
    };
    const std::vector<Case> cases = {
        {"254837009", bits({K::malignancy}), Region::none},  // breast
        {"399068003", bits({K::malignancy}), Region::none},  // prostate
        {"254637007", bits({K::malignancy}), Region::none},  // NSCLC
        {"363406005", bits({K::malignancy}), Region::none},  // colon
        {"92818009", bits({K::malignancy}), Region::none},   // CML
        {"372244006", bits({K::malignancy}), Region::none},  // melanoma
        {"372130007", 0, Region::none},                      // skin, includes BCC/SCC
        {"94602001", bits({K::malignancy, K::bone_malignancy}), Region::none},
        {"866087009", bits({K::vcf, K::pathological_vcf, K::malignancy, K::bone_malignancy}),
         Region::none},
        {"203450003", bits({K::vcf, K::osteoporotic}), Region::lumbar},
        {"311891006", bits({K::vcf, K::osteoporotic}), Region::thoracic},
        {"11311521000119104", bits({K::vcf, K::osteoporotic}), Region::cervical},
        {"11311641000119106", bits({K::vcf, K::osteoporotic}), Region::lumbar},  // sacral
        {"11311601000119109", bits({K::vcf, K::osteoporotic}), Region::none},
        {"18040001", bits({K::osteoporotic}), Region::none},   // senile osteoporosis
        {"443165006", bits({K::osteoporotic}), Region::none},  // osteoporotic fracture
        {"81680005", bits({K::back_pain}), Region::none},      // neck pain
        {"23056005", bits({K::back_pain}), Region::none},      // sciatica
        {"128196005", bits({K::back_pain}), Region::none},     // lumbar radiculopathy
    };
    for (const auto& c : cases) {
      CAPTURE(c.code);
      CHECK(kinds_of(profiles(), kSct, c.code) == c.kinds);
      CHECK(region_of(profiles(), kSctOid, c.code) == c.region);
    }
  }

  TEST_CASE("exclusions: malignancy is C00-C96 and Z85 except non-melanoma skin cancer") {
    struct Case {
      const char* code;
      bool malignancy;
    };
    const std::vector<Case> cases = {
        {"C44", false},     {"C44.91", false},  {"C4491", false}, {"C44.1121", false},
        {"Z85.828", false}, {"Z85828", false},  {"C43.9", true},  {"C43", true},
        {"C4A.9", true},    {"C45.0", true},    {"C40.02", true}, {"C50.911", true},
        {"C96.9", true},    {"Z85", true},      {"Z85.3", true},  {"Z85.82", true},
        {"Z85.820", true},  {"Z85.821", true},  {"Z85.83", true}, {"Z85.8", true},
        {"D03.9", false},   {"Z86.000", false},
    };
    for (const auto& c : cases) {
      CAPTURE(c.code);
      for (const char* system : {kIcd, kIcdOid}) {
        CAPTURE(system);
        CHECK(((kinds_of(profiles(), system, c.code) & kind_bit(FactKind::malignancy)) != 0) ==
              c.malignancy);
      }
    }
  }

  TEST_CASE("exclusions: exact, is-a and SNOMED CT exclusions in a ValueSet copy") {
    TempDir dir;
    copy_profiles(dir);
    edit(dir, "ValueSet-malignancy.json", [](rapidjson::Document& doc) {
      rapidjson::Value& compose = doc["compose"];
      compose.RemoveMember("exclude");
      // An exact ICD-10-CM header keeps its descendants; an is-a removes the branch; an OID
      // system in the exclude applies to codes included under the URI.
      add_json(doc, compose, "exclude", R"([
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "concept": [{"code": "C79"}],
         "filter": [{"property": "concept", "op": "is-a", "value": "C50.91"}]},
        {"system": "urn:oid:2.16.840.1.113883.6.96", "concept": [{"code": "254837009"}]}])");
    });
    const auto loaded = load_terminology(dir.path());
    const auto malignant = [&](const char* system, const char* code) {
      return (kinds_of(*loaded, system, code) & kind_bit(FactKind::malignancy)) != 0;
    };
    CHECK_FALSE(malignant(kIcd, "C79"));
    CHECK(malignant(kIcd, "C79.51"));
    CHECK(malignant(kIcd, "C79.9"));
    CHECK_FALSE(malignant(kIcd, "C50.911"));
    CHECK_FALSE(malignant(kIcdOid, "C50.919"));
    CHECK(malignant(kIcd, "C50.92"));
    CHECK(malignant(kIcd, "C50.9"));
    CHECK(malignant(kIcd, "C44.91"));  // the copy dropped the C44 exclusion
    CHECK_FALSE(malignant(kSct, "254837009"));
    CHECK(malignant(kSct, "372137005"));
    // Other ValueSets are untouched: C79.51 is still bone malignancy.
    CHECK((kinds_of(*loaded, kIcd, "C79.51") & kind_bit(FactKind::bone_malignancy)) != 0);
  }

  TEST_CASE("aliases: a site NamingSystem makes its own procedure codes match under every name") {
    TempDir dir;
    copy_profiles(dir);
    dir.write("NamingSystem-local-procedures.json", R"({
      "resourceType": "NamingSystem", "name": "LocalProcedures", "status": "active",
      "kind": "codesystem", "date": "2026-12-01",
      "uniqueId": [
        {"type": "oid", "value": "1.2.840.99999.1"},
        {"type": "uri", "value": "https://hospital.example.org/procedures", "preferred": true},
        {"type": "other", "value": "LOCALPROC"}]})");
    edit(dir, "ConceptMap-procedure-rows.json", [](rapidjson::Document& doc) {
      rapidjson::Document group;
      group.Parse(R"({"source": "urn:oid:1.2.840.99999.1", "element": [{"code": "MRLSP",
          "target": [{"code": "MRI spine area of interest without IV contrast",
          "equivalence": "equivalent", "product": [{"property": "region", "value": "lumbar"}]}]}]})");
      REQUIRE_FALSE(group.HasParseError());
      doc["group"].PushBack(rapidjson::Value(group, doc.GetAllocator()), doc.GetAllocator());
    });
    const auto loaded = load_terminology(dir.path());
    for (const char* system :
         {"https://hospital.example.org/procedures", "urn:oid:1.2.840.99999.1"}) {
      CAPTURE(system);
      const CodeInfo info = describe_code(*loaded, system, "MRLSP");
      CHECK(info.row_name == "MRI spine area of interest without IV contrast");
      CHECK(info.region == Region::lumbar);
    }
    CHECK(describe_code(*loaded, "LOCALPROC", "MRLSP").row_name.empty());
  }

  TEST_CASE("aliases: two NamingSystems for one system are merged") {
    TempDir dir;
    copy_profiles(dir);
    dir.write("NamingSystem-site-snomed.json", R"({
      "resourceType": "NamingSystem", "name": "SiteSnomed", "status": "active",
      "kind": "codesystem", "date": "2026-12-01",
      "uniqueId": [{"type": "uri", "value": "http://snomed.info/sct", "preferred": true},
                   {"type": "uri", "value": "http://snomed.info/sct/731000124108"}]})");
    const auto loaded = load_terminology(dir.path());
    CHECK(kinds_of(*loaded, "http://snomed.info/sct/731000124108", "42942008") ==
          kind_bit(FactKind::vcf));
    CHECK(kinds_of(*loaded, kSctOid, "42942008") == kind_bit(FactKind::vcf));
  }
}
