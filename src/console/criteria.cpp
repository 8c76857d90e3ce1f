// GET /console/api/criteria: the loaded model for the criteria explorer and the "try it" form.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "console/json.hpp"
#include "vcf_cds/console.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::console {
namespace {

using console::JsonWriter;
using console::key_bool;
using console::key_int;
using console::key_str;

constexpr std::array<facts::Region, 5> kRegions = {facts::Region::none, facts::Region::cervical,
                                                   facts::Region::thoracic, facts::Region::lumbar,
                                                   facts::Region::whole_body};

std::string_view system_label(std::string_view system) {
  if (system == "http://www.ama-assn.org/go/cpt") return "CPT";
  if (system == "http://loinc.org") return "LOINC";
  if (system == "http://snomed.info/sct") return "SNOMED CT";
  if (system == "http://hl7.org/fhir/sid/icd-10-cm") return "ICD-10-CM";
  return "vcf-cds";
}

void write_rrl(JsonWriter& w, const char* key, const std::string& value,
               const cards::CardText& text) {
  w.Key(key);
  w.StartObject();
  key_str(w, "value", value);
  key_str(w, "meaning", cards::rrl_meaning(text, value));
  w.EndObject();
}

void write_row(JsonWriter& w, int variant, const criteria::ProcedureRow& row,
               const cards::CardText& text) {
  w.StartObject();
  key_str(w, "name", row.name);
  // Same-origin path of the public evidence page the cards link to.
  key_str(w, "evidenceUrl", criteria::evidence_path(variant, row.name));
  key_str(w, "category", criteria::to_string(row.category));
  key_bool(w, "disagreement", row.disagreement);
  key_int(w, "rating", row.rating);
  key_int(w, "median", row.median);
  key_str(w, "soe", row.soe);
  write_rrl(w, "rrlAdult", row.rrl_adult, text);
  write_rrl(w, "rrlPediatric", row.rrl_pediatric, text);
  criteria::write_row_evidence(w, row, [&text](JsonWriter& out, const criteria::Reference& ref) {
    out.Key("url");
    if (const auto url = cards::pubmed_link(text, ref.pmid); !url.empty()) {
      console::write_string(out, url);
    } else {
      out.Null();
    }
  });
  w.EndObject();
}

void write_order_codes(JsonWriter& w, const consult::Knowledge& knowledge) {
  const auto& terminology = *knowledge.terminology;
  std::set<std::string> seen;
  w.StartArray();
  for (const std::string_view name : knowledge.criteria->procedure_names()) {
    for (const facts::Region region : kRegions) {
      const auto coding = facts::orderable_code(terminology, name, region);
      if (!coding || !seen.insert(coding->system + '|' + coding->code).second) continue;
      const facts::CodeInfo info = facts::describe_code(terminology, coding->system, coding->code);
      w.StartObject();
      key_str(w, "system", coding->system);
      key_str(w, "systemLabel", system_label(coding->system));
      key_str(w, "code", coding->code);
      key_str(w, "display", coding->display);
      key_str(w, "row", info.row_name);
      key_str(w, "region", facts::to_string(info.region));
      key_str(w, "contrast", facts::to_string(info.contrast));
      key_bool(w, "advancedImaging", info.advanced_imaging);
      w.EndObject();
    }
  }
  w.EndArray();
}

void write_systems(JsonWriter& w) {
  w.StartArray();
  for (const char* system :
       {"http://www.ama-assn.org/go/cpt", "http://loinc.org", "http://snomed.info/sct"}) {
    w.StartObject();
    key_str(w, "system", system);
    key_str(w, "label", system_label(system));
    w.EndObject();
  }
  w.EndArray();
}

void write_map(JsonWriter& w, const char* key,
               const std::map<std::string, std::string, std::less<>>& map) {
  w.Key(key);
  w.StartObject();
  for (const auto& [k, v] : map) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    console::write_string(w, v);
  }
  w.EndObject();
}

}  // namespace

ConsoleResponse console_criteria(const consult::Knowledge& knowledge) {
  const auto& kb = *knowledge.criteria;
  const auto& text = *knowledge.card_text;
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key_str(w, "title", kb.title);
  key_str(w, "publisher", kb.publisher);
  key_str(w, "url", kb.url);
  key_str(w, "source", kb.source);
  key_str(w, "knowledgeVersion", knowledge.version);
  key_str(w, "criteriaVersion", kb.version);
  key_str(w, "terminologyVersion", facts::version(*knowledge.terminology));
  key_str(w, "sourceLabel", cards::source_label(text));
  write_map(w, "rrlMeaning", cards::word_list(text, cards::WordList::rrl_meaning));
  write_map(w, "population", cards::word_list(text, cards::WordList::population));
  w.Key("categories");
  w.StartArray();
  for (const auto category :
       {criteria::Category::usually_appropriate, criteria::Category::may_be_appropriate,
        criteria::Category::usually_not_appropriate}) {
    console::write_string(w, criteria::to_string(category));
  }
  w.EndArray();
  w.Key("variants");
  w.StartArray();
  for (const auto& variant : kb.variants) {
    w.StartObject();
    key_int(w, "number", variant.number);
    key_str(w, "text", variant.text);
    key_str(w, "phase", criteria::to_string(variant.phase));
    w.Key("rows");
    w.StartArray();
    for (const auto& row : variant.rows) write_row(w, variant.number, row, text);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("orderCodes");
  write_order_codes(w, knowledge);
  w.Key("systems");
  write_systems(w);
  w.EndObject();
  return console::json_ok({buffer.GetString(), buffer.GetSize()});
}

}  // namespace vcf_cds::console
