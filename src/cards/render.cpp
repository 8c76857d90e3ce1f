// The CDS Hooks response: cards, suggestions and PAMA system actions (CONTRACT §5).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cards/card_text.hpp"
#include "cards/detail.hpp"
#include "cards/json_writer.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {
namespace {

using criteria::Category;
using criteria::Decision;
using criteria::Outcome;
using Writer = CardWriter;  // fast string writing (cards/json_writer.hpp)

// Argonaut "CDS Hooks for PAMA" extension URLs (protocol constants, not criteria).
constexpr const char* kPamaRating = "http://fhir.org/argonaut/Extension/pama-rating";
constexpr const char* kPamaRatingSystem = "http://fhir.org/argonaut/CodeSystem/pama-rating";
constexpr const char* kPamaConsultId = "http://fhir.org/argonaut/Extension/pama-rating-consult-id";
constexpr const char* kPamaQcdsm = "http://fhir.org/argonaut/Extension/pama-rating-qcdsm-consulted";
constexpr const char* kPamaAucApplied =
    "http://fhir.org/argonaut/Extension/pama-rating-auc-applied";

const char* pama_code(const Decision& d) {
  if (d.outcome != Outcome::rated) return "no-criteria-apply";
  return d.headline.row->category == Category::usually_not_appropriate ? "not-appropriate"
                                                                       : "appropriate";
}

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

// The order as sent, with our PAMA extensions replacing any earlier ones: no other change.
void write_rated_order(Writer& w, const RenderInput& in, const rapidjson::Value& order,
                       const Decision& d, const std::string& consult_id) {
  w.StartObject();
  bool wrote_extensions = false;
  for (const auto& m : order.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (std::string_view(m.name.GetString()) == "extension" && m.value.IsArray()) {
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
  w.EndObject();
}

void write_system_action(Writer& w, const RenderInput& in, const rapidjson::Value& order,
                         const Decision& d, const std::string& consult_id) {
  TemplateData data;
  data.set_ref("order", d.procedure.order_ref).set_ref("pamaRating", pama_code(d));
  w.StartObject();
  key_str(w, "type", "update");
  key_rendered(w, "description", in.text->update_description, data);
  w.Key("resource");
  write_rated_order(w, in, order, d, consult_id);
  w.EndObject();
}

}  // namespace

std::string write_card(const RenderInput& in, const rapidjson::Value& order, const Decision& d,
                       ConsultIds& ids);

Rendered render(const RenderInput& in) {
  Rendered out;
  const auto& decisions = *in.decisions;
  std::vector<std::size_t> acted;  // decisions that get a system action
  std::size_t cards_size = 0;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const Decision& d = decisions[i];
    if (d.outcome == Outcome::not_applicable) continue;
    ConsultIds ids;
    ids.order_ref = d.procedure.order_ref;
    ids.consult_id = "urn:uuid:" + in.new_uuid();
    ids.pama_rating = pama_code(d);
    if (i < in.repeat_of.size()) ids.repeat_of = in.repeat_of[i];
    if (d.outcome == Outcome::rated && ids.repeat_of.empty()) {
      ids.card_json = write_card(in, *in.orders[i], d, ids);
      cards_size += ids.card_json.size() + 1;
    }
    acted.push_back(i);
    out.consults.push_back(std::move(ids));
  }

  // Actions once, then reused: top-level (CDS Hooks 2.0) and extension (Argonaut, Sandbox).
  rapidjson::StringBuffer actions_buffer(nullptr, 4096);
  if (!acted.empty()) {
    Writer aw(actions_buffer);
    aw.StartArray();
    for (std::size_t k = 0; k < acted.size(); ++k) {
      write_system_action(aw, in, *in.orders[acted[k]], decisions[acted[k]],
                          out.consults[k].consult_id);
    }
    aw.EndArray();
  }
  const std::string_view actions(actions_buffer.GetString(), actions_buffer.GetSize());

  // The envelope is fixed, so it is written as text around the finished cards and actions (what
  // a Writer with RawValue produced, without copying every byte through it again).
  std::string& body = out.body;
  body.reserve(cards_size + 2 * actions.size() + 80);
  body += R"({"cards":[)";
  bool first = true;
  for (const auto& consult : out.consults) {
    if (consult.card_json.empty()) continue;  // no-criteria-apply: PAMA rating only
    if (!first) body += ',';
    body += consult.card_json;
    first = false;
  }
  body += ']';
  if (!acted.empty()) {
    body += R"(,"systemActions":)";
    body += actions;
    body += R"(,"extension":{"systemActions":)";
    body += actions;
    body += '}';
  }
  body += '}';
  return out;
}

}  // namespace vcf_cds::cards
