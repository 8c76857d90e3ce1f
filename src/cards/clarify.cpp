// Clarification suggestions: labels from card text, the order as sent plus one reasonCode.
#include "cards/clarify.hpp"

#include "cards/pama.hpp"

#include <array>
#include <utility>

namespace vcf_cds::cards {
namespace {

using criteria::Clarification;
using criteria::Decision;

std::string key_of(std::string_view fact, bool present) {
  std::string key(fact);
  key += present ? ":true" : ":false";
  return key;
}

const ClarificationText* text_for(const CardText& text, std::string_view fact, bool present) {
  const auto it = text.clarifications.find(key_of(fact, present));
  return it == text.clarifications.end() ? nullptr : &it->second;
}

// "the fracture is painful and MRI shows marrow edema or cleft": what the answer's rating still
// assumes about the other unknown facts.
std::string conditions_text(const CardText& text, const Clarification& question) {
  std::string out;
  for (const auto& condition : question.conditions) {
    const ClarificationText* wording = text_for(text, condition.fact, condition.assumed_present);
    if (!out.empty()) out += " and ";
    out += wording != nullptr ? std::string_view(wording->condition)
                              : std::string_view(condition.fact);
  }
  return out;
}

void write_reason(CardWriter& w, const ClarificationText& answer) {
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  key_str(w, "system", answer.reason.system);
  key_str(w, "code", answer.reason.code);
  key_str(w, "display", answer.reason.display);
  w.EndObject();
  w.EndArray();
  key_str(w, "text", answer.answer);
  w.EndObject();
}

// The draft order exactly as sent, with the answer appended to reasonCode (created when the
// order has none; a reasonCode that is not an array was unreadable and is replaced).
void write_answered_order(CardWriter& w, const rapidjson::Value& order,
                          const ClarificationText& answer) {
  w.StartObject();
  bool wrote_reason = false;
  for (const auto& m : order.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (name != "reasonCode") {
      m.value.Accept(w);
      continue;
    }
    w.StartArray();
    if (m.value.IsArray()) {
      for (const auto& reason : m.value.GetArray()) reason.Accept(w);
    }
    write_reason(w, answer);
    w.EndArray();
    wrote_reason = true;
  }
  if (!wrote_reason) {
    w.Key("reasonCode");
    w.StartArray();
    write_reason(w, answer);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void write_clarifications(CardWriter& w, const RenderInput& in, const rapidjson::Value& order,
                          const Decision& decision, ConsultIds& ids) {
  const CardText& text = *in.text;
  for (const Clarification& question : decision.clarifications) {
    const ClarificationText* answer = text_for(text, question.fact, question.present);
    if (answer == nullptr) continue;  // the loader requires every answer: never taken
    const std::string uuid = in.new_uuid();
    ids.suggestion_uuids.push_back(uuid);
    TemplateData label;
    label.set_ref("answer", answer->answer);
    if (question.result.variant != nullptr) {
      label.set_ref("category", criteria::to_string(question.result.row->category))
          .set("rating", question.result.row->rating)
          .set("variant", question.result.variant->number)
          .set("conditions", conditions_text(text, question));
    }
    TemplateData action;
    action.set_ref("reason", answer->reason.display).set_ref("order", decision.procedure.order_ref);

    w.StartObject();
    key_rendered(w, "label", text.clarification_label, label);
    key_str(w, "uuid", uuid);
    w.Key("actions");
    w.StartArray();
    w.StartObject();
    key_str(w, "type", "update");
    key_rendered(w, "description", text.clarification_description, action);
    w.Key("resource");
    if (decision.procedure.advanced_imaging) {
      // With the order's current rating, as its system action writes it: the Sandbox's PAMA
      // screen applies an update only when it carries one, and then calls again.
      write_rated_order(w, in, order, decision, ids.consult_id,
                        [answer](CardWriter& out) { write_reason(out, *answer); });
    } else {
      write_answered_order(w, order, *answer);
    }
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
}

void check_clarifications(const CardText& text, const facts::Terminology& terminology) {
  // The fact each answer documents: what the next call must read its reason as.
  constexpr std::array<std::pair<const char*, facts::FactKind>, 6> kReads = {{
      {"symptomatic:true", facts::FactKind::back_pain},
      {"symptomatic:false", facts::FactKind::asymptomatic},
      {"edema_or_cleft:true", facts::FactKind::edema_or_cleft},
      {"edema_or_cleft:false", facts::FactKind::edema_or_cleft_absent},
      {"worsening_pain:true", facts::FactKind::worsening_pain},
      {"worsening_pain:false", facts::FactKind::worsening_pain_absent},
  }};
  for (const auto& [key, kind] : kReads) {
    const auto it = text.clarifications.find(std::string_view(key));
    if (it == text.clarifications.end()) {
      throw TemplateError(std::string("card-text.json: field \"clarifications.") + key +
                          "\": missing");
    }
    const facts::Coding& reason = it->second.reason;
    if (!facts::codes_fact(terminology, kind, reason.system, reason.code)) {
      throw TemplateError(std::string("card-text.json: field \"clarifications.") + key +
                          ".reason\": " + reason.system + "|" + reason.code +
                          " is in no fhir-profiles ValueSet of fact kind " +
                          std::string(facts::to_string(kind)) +
                          ", so the next call would not read the answer");
    }
  }
}

}  // namespace vcf_cds::cards
