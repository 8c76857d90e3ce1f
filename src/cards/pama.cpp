// The Argonaut PAMA extensions on a rated order: the system action's resource, and the resource
// of a clarification on an advanced imaging order (the CDS Hooks Sandbox applies an update only
// when it carries the rating).
#include "cards/pama.hpp"

#include "cards/card_text.hpp"

namespace vcf_cds::cards {

using criteria::Category;
using criteria::Decision;
using criteria::Outcome;
using Writer = CardWriter;

namespace {

// Argonaut "CDS Hooks for PAMA" extension URLs (protocol constants, not criteria).
constexpr const char* kPamaRating = "http://fhir.org/argonaut/Extension/pama-rating";
constexpr const char* kPamaRatingSystem = "http://fhir.org/argonaut/CodeSystem/pama-rating";
constexpr const char* kPamaConsultId = "http://fhir.org/argonaut/Extension/pama-rating-consult-id";
constexpr const char* kPamaQcdsm = "http://fhir.org/argonaut/Extension/pama-rating-qcdsm-consulted";
constexpr const char* kPamaAucApplied =
    "http://fhir.org/argonaut/Extension/pama-rating-auc-applied";

}  // namespace

const char* pama_code(const Decision& d) {
  if (d.outcome != Outcome::rated) return "no-criteria-apply";
  return d.headline.row->category == Category::usually_not_appropriate ? "not-appropriate"
                                                                       : "appropriate";
}

namespace {

std::string_view member_string(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool is_pama_extension(const rapidjson::Value& extension) {
  const auto url = member_string(extension, "url");
  return url.rfind("http://fhir.org/argonaut/Extension/pama-rating", 0) == 0;
}

void write_pama_extensions(Writer& w, const RenderInput& in, const Decision& d,
                           const std::string& consult_id) {
  w.StartObject();
  key_str(w, "url", kPamaRating);
  w.Key("valueCodeableConcept");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  key_str(w, "system", kPamaRatingSystem);
  key_str(w, "code", pama_code(d));
  w.EndObject();
  if (d.outcome == Outcome::rated) {
    w.StartObject();
    key_str(w, "system", in.text->score_system);
    key_str(w, "code", in.text->score_codes[static_cast<std::size_t>(d.headline.row->rating - 1)]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();

  w.StartObject();
  key_str(w, "url", kPamaConsultId);
  key_str(w, "valueUri", consult_id);
  w.EndObject();
  w.StartObject();
  key_str(w, "url", kPamaQcdsm);
  key_str(w, "valueString", in.settings.qcdsm_id);
  w.EndObject();
  if (d.outcome == Outcome::rated) {
    w.StartObject();
    key_str(w, "url", kPamaAucApplied);
    key_str(w, "valueUri",
            in.settings.evidence_base +
                criteria::evidence_path(d.headline.variant->number, d.headline.row->name));
    w.EndObject();
  }
}

}  // namespace

void write_rated_order(Writer& w, const RenderInput& in, const rapidjson::Value& order,
                       const Decision& d, const std::string& consult_id,
                       const std::function<void(CardWriter&)>& add_reason) {
  w.StartObject();
  bool wrote_extensions = false;
  bool wrote_reason = false;
  for (const auto& m : order.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (add_reason && std::string_view(m.name.GetString()) == "reasonCode") {
      // A reasonCode that is not an array was unreadable: replaced by the answer alone.
      w.StartArray();
      if (m.value.IsArray()) {
        for (const auto& reason : m.value.GetArray()) reason.Accept(w);
      }
      add_reason(w);
      w.EndArray();
      wrote_reason = true;
    } else if (std::string_view(m.name.GetString()) == "extension" && m.value.IsArray()) {
      w.StartArray();
      for (const auto& extension : m.value.GetArray()) {
        if (!is_pama_extension(extension)) extension.Accept(w);
      }
      write_pama_extensions(w, in, d, consult_id);
      w.EndArray();
      wrote_extensions = true;
    } else {
      m.value.Accept(w);
    }
  }
  if (!wrote_extensions) {
    w.Key("extension");
    w.StartArray();
    write_pama_extensions(w, in, d, consult_id);
    w.EndArray();
  }
  if (add_reason && !wrote_reason) {
    w.Key("reasonCode");
    w.StartArray();
    add_reason(w);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace vcf_cds::cards
