// GET /console/api/audit/consults/{id}: one consult's full record, its card's feedback and the
// hash-chain status; plus the helpers the list and summary share.
#include <rapidjson/document.h>

#include <algorithm>

#include "console/audit.hpp"

namespace vcf_cds::console {
namespace {

void write_feedback(JsonWriter& w, const audit::FeedbackRecord& f) {
  w.StartObject();
  key_int(w, "seq", f.seq);
  key_str(w, "outcome", f.outcome);
  w.Key("acceptedSuggestions");
  w.StartArray();
  for (const auto& s : f.accepted_suggestions) write_string(w, s);
  w.EndArray();
  key_str(w, "overrideReasonSystem", f.override_reason_system);
  key_str(w, "overrideReasonCode", f.override_reason_code);
  key_str(w, "overrideReasonDisplay", f.override_reason_display);
  key_str(w, "userComment", f.user_comment);
  key_str(w, "outcomeTimestamp", f.outcome_timestamp);
  key_str(w, "receivedTime", f.received_time);
  key_bool(w, "knownCard", f.known_card);
  w.EndObject();
}

}  // namespace

ConsoleResponse consult_record(audit::Store& store, const std::string& consult_id) {
  audit::Query query;
  query.consult_id = consult_id;  // indexed: one row, not the whole trail
  auto consults = store.find_consults(query);
  if (!consults) return error_response(consults.error());
  const auto it = consults->begin();
  if (consult_id.empty() || it == consults->end()) {
    return error_response(ErrorCode::not_found, "consultId", "no consult " + consult_id);
  }
  const audit::ConsultRecord& c = *it;
  std::vector<audit::FeedbackRecord> feedback;
  if (!c.card_uuid.empty()) {
    audit::FeedbackQuery fq;
    fq.card_uuid = c.card_uuid;
    auto found = store.find_feedback(fq);
    if (!found) return error_response(found.error());
    feedback = std::move(*found);
  }
  auto chain = store.verify_chain();
  if (!chain) return error_response(chain.error());

  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("consult");
  w.StartObject();
  key_int(w, "seq", c.seq);
  for (const auto& [key, value] : std::initializer_list<std::pair<const char*, const std::string*>>{
           {"consultId", &c.consult_id},
           {"time", &c.time},
           {"serviceId", &c.service_id},
           {"hook", &c.hook},
           {"hookInstance", &c.hook_instance},
           {"clientIss", &c.client.iss},
           {"clientSub", &c.client.sub},
           {"clientTenant", &c.client.tenant},
           {"identifierMode", &c.identifier_mode},
           {"user", &c.user_id},
           {"patient", &c.patient_id},
           {"encounter", &c.encounter_id},
           {"order", &c.order_ref},
           {"procedure", &c.procedure_row},
           {"category", &c.category},
           {"pamaRating", &c.pama_rating},
           {"cardUuid", &c.card_uuid},
           {"knowledgeVersion", &c.knowledge_version},
           {"serviceVersion", &c.service_version}}) {
    key_str(w, key, *value);
  }
  key_int(w, "variant", c.variant);
  key_int(w, "rating", c.rating);
  key_int(w, "median", c.median);
  w.Key("latencyMs");
  w.Double(c.latency_ms);
  w.Key("suggestionUuids");
  w.StartArray();
  for (const auto& s : c.suggestion_uuids) write_string(w, s);
  w.EndArray();
  for (const auto& [key, text] : std::initializer_list<std::pair<const char*, const std::string*>>{
           {"orderCodes", &c.order_codes},
           {"facts", &c.facts},
           {"candidates", &c.candidates},
           {"assumptions", &c.assumptions},
           {"card", &c.card}}) {
    w.Key(key);
    write_json_text(w, *text);
  }
  w.EndObject();
  w.Key("feedback");
  w.StartArray();
  for (const auto& f : feedback) {
    write_feedback(w, f);
  }
  w.EndArray();
  w.Key("acceptedSuggestion");
  const auto* latest = feedback.empty() ? nullptr : &feedback.back();
  write_string(w, latest != nullptr && latest->outcome == "accepted"
                      ? accepted_suggestion_label(c, *latest)
                      : std::string());
  w.Key("chain");
  write_chain(w, *chain);
  // Verified: the chain checks out up to and including this record.
  key_bool(w, "recordVerified", chain->ok || c.seq < chain->broken_seq);
  w.EndObject();
  return json_ok({buffer.GetString(), buffer.GetSize()});
}

std::string accepted_suggestion_label(const audit::ConsultRecord& consult,
                                      const audit::FeedbackRecord& feedback) {
  if (feedback.accepted_suggestions.empty() || consult.card.empty()) return "";
  rapidjson::Document card;
  card.Parse(consult.card.data(), consult.card.size());
  if (card.HasParseError() || !card.IsObject() || !card.HasMember("suggestions") ||
      !card["suggestions"].IsArray()) {
    return "";
  }
  for (const auto& s : card["suggestions"].GetArray()) {
    if (!s.IsObject() || !s.HasMember("uuid") || !s["uuid"].IsString()) continue;
    if (s["uuid"].GetString() != feedback.accepted_suggestions.front()) continue;
    return s.HasMember("label") && s["label"].IsString() ? s["label"].GetString() : "";
  }
  return "";
}

void write_chain(JsonWriter& w, const audit::VerifyResult& chain) {
  w.StartObject();
  key_bool(w, "ok", chain.ok);
  key_int(w, "records", chain.records);
  key_int(w, "brokenSeq", chain.broken_seq);
  key_str(w, "brokenKind", chain.broken_kind);
  key_str(w, "brokenId", chain.broken_id);
  key_str(w, "reason", chain.reason);
  w.EndObject();
}

}  // namespace vcf_cds::console
