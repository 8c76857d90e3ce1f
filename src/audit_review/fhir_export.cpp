// FHIR R4 export: a Bundle (type "collection") of AuditEvent, one per consult and one per feedback.
// Required R4 elements are always present: type, recorded, agent[].requestor, source.observer,
// and every entity.detail has a type and exactly one value[x]. Codes used:
//   type     http://terminology.hl7.org/CodeSystem/audit-event-type#rest
//   subtype  {canonical-base}/CodeSystem/audit-event#cds-consult | cds-feedback
//            (project codes; the standard sets have nothing for a CDS Hooks call)
//   action   "E" (execute); outcome "0" (success: only answered consults are recorded)
//   source.type http://terminology.hl7.org/CodeSystem/security-source-type#4 (application server)
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "vcf_cds/audit_review.hpp"

namespace vcf_cds::audit_review {

using namespace audit;  // the records and queries this stage reads
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void coding(Writer& w, const char* system, const char* code, const char* display) {
  w.StartObject();
  w.Key("system");
  w.String(system);
  w.Key("code");
  w.String(code);
  w.Key("display");
  w.String(display);
  w.EndObject();
}

void header(Writer& w, const std::string& subtype_system, const std::string& id,
            const char* subtype, const char* subtype_display, const std::string& recorded) {
  w.Key("resourceType");
  w.String("AuditEvent");
  w.Key("id");
  w.String(id);
  w.Key("type");
  coding(w, "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation");
  w.Key("subtype");
  w.StartArray();
  coding(w, subtype_system.c_str(), subtype, subtype_display);
  w.EndArray();
  w.Key("action");
  w.String("E");
  w.Key("recorded");
  w.String(recorded);
  w.Key("outcome");
  w.String("0");
}

// who.identifier: value always; system only when it is a URI (the JWT issuer).
void agent(Writer& w, const std::string& system, const std::string& value, const char* name,
           bool requestor) {
  w.StartObject();
  w.Key("who");
  w.StartObject();
  w.Key("identifier");
  w.StartObject();
  if (!system.empty()) {
    w.Key("system");
    w.String(system);
  }
  w.Key("value");
  w.String(value.empty() ? std::string("unknown") : value);
  w.EndObject();
  w.EndObject();
  w.Key("name");
  w.String(name);
  w.Key("requestor");
  w.Bool(requestor);
  w.EndObject();
}

void source(Writer& w) {
  w.Key("source");
  w.StartObject();
  w.Key("observer");
  w.StartObject();
  w.Key("display");
  w.String("vcf-cds");
  w.EndObject();
  w.Key("type");
  w.StartArray();
  coding(w, "http://terminology.hl7.org/CodeSystem/security-source-type", "4",
         "Application Server");
  w.EndArray();
  w.EndObject();
}

void detail(Writer& w, const char* type, const std::string& value, bool binary) {
  w.StartObject();
  w.Key("type");
  w.String(type);
  w.Key(binary ? "valueBase64Binary" : "valueString");
  w.String(binary ? base64(value) : value);
  w.EndObject();
}

std::string decision_json(const ConsultRecord& c) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("consultId");
  w.String(c.consult_id);
  w.Key("variant");
  w.Int(c.variant);
  w.Key("procedure");
  w.String(c.procedure_row);
  w.Key("category");
  w.String(c.category);
  w.Key("rating");
  w.Int(c.rating);
  w.Key("median");
  w.Int(c.median);
  w.Key("pamaRating");
  w.String(c.pama_rating);
  for (const auto& [key, text] : {std::pair{"facts", &c.facts},
                                  {"candidates", &c.candidates},
                                  {"assumptions", &c.assumptions}}) {
    w.Key(key);
    rapidjson::Document doc;
    doc.Parse(text->data(), text->size());
    if (!doc.HasParseError() && !text->empty()) {
      doc.Accept(w);
    } else {
      w.String(*text);
    }
  }
  w.Key("knowledgeVersion");
  w.String(c.knowledge_version);
  w.Key("serviceVersion");
  w.String(c.service_version);
  w.Key("latencyMs");
  w.Double(c.latency_ms);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// A consult's patient: a reference when stored plain, an identifier when hashed.
void patient_entity(Writer& w, const ConsultRecord& c) {
  w.StartObject();
  w.Key("what");
  w.StartObject();
  if (c.identifier_mode == identifier_mode_hmac) {
    w.Key("identifier");
    w.StartObject();
    w.Key("system");
    w.String("urn:vcf-cds:hmac-sha256");
    w.Key("value");
    w.String(c.patient_id);
    w.EndObject();
  } else {
    w.Key("reference");
    w.String(c.patient_id.find('/') == std::string::npos ? "Patient/" + c.patient_id
                                                         : c.patient_id);
  }
  w.EndObject();
  w.Key("role");
  coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
  w.EndObject();
}

void order_entity_start(Writer& w, const std::string& order_ref) {
  w.StartObject();
  w.Key("what");
  w.StartObject();
  if (order_ref.empty()) {  // FHIR strings must not be empty
    w.Key("display");
    w.String("order not recorded");
  } else {
    w.Key("reference");
    w.String(order_ref);
  }
  w.EndObject();
  w.Key("type");
  coding(w, "http://hl7.org/fhir/resource-types", "ServiceRequest", "ServiceRequest");
  w.Key("role");
  coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource");
}

void consult_event(Writer& w, const std::string& subtype_system, const ConsultRecord& c) {
  const std::string id = c.consult_id.starts_with("urn:uuid:") ? c.consult_id.substr(9)
                                                               : "consult-" + std::to_string(c.seq);
  w.StartObject();
  w.Key("fullUrl");
  w.String(c.consult_id.starts_with("urn:uuid:") ? c.consult_id : "urn:vcf-cds:" + id);
  w.Key("resource");
  w.StartObject();
  header(w, subtype_system, id, "cds-consult", "CDS Hooks consult", c.time);
  w.Key("agent");
  w.StartArray();
  agent(w, "", c.user_id, "ordering user", true);
  if (!c.client.sub.empty()) agent(w, c.client.iss, c.client.sub, "CDS client (EHR)", false);
  w.EndArray();
  source(w);
  w.Key("entity");
  w.StartArray();
  order_entity_start(w, c.order_ref);
  w.Key("detail");
  w.StartArray();
  detail(w, "decision", decision_json(c), false);
  if (!c.card.empty()) detail(w, "card", c.card, true);
  w.EndArray();
  w.EndObject();
  if (!c.patient_id.empty()) patient_entity(w, c);
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

void feedback_event(Writer& w, const std::string& subtype_system, const FeedbackRecord& f,
                    const ConsultRecord* consult) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> d(buffer);
  d.StartObject();
  for (const auto& [key, value] : {std::pair{"card", &f.card_uuid},
                                   {"outcome", &f.outcome},
                                   {"overrideReasonSystem", &f.override_reason_system},
                                   {"overrideReasonCode", &f.override_reason_code},
                                   {"overrideReasonDisplay", &f.override_reason_display},
                                   {"userComment", &f.user_comment},
                                   {"outcomeTimestamp", &f.outcome_timestamp}}) {
    d.Key(key);
    d.String(*value);
  }
  d.Key("acceptedSuggestions");
  d.StartArray();
  for (const auto& s : f.accepted_suggestions) d.String(s);
  d.EndArray();
  d.Key("knownCard");
  d.Bool(f.known_card);
  d.EndObject();

  w.StartObject();
  w.Key("resource");
  w.StartObject();
  header(w, subtype_system, "feedback-" + std::to_string(f.seq), "cds-feedback",
         "CDS Hooks feedback", f.received_time);
  w.Key("agent");
  w.StartArray();
  agent(w, f.client.iss, f.client.sub, "CDS client (EHR)", true);
  w.EndArray();
  source(w);
  w.Key("entity");
  w.StartArray();
  if (consult != nullptr) {
    order_entity_start(w, consult->order_ref);
  } else {
    w.StartObject();  // unknown card: no order to point at, only the card uuid
    w.Key("what");
    w.StartObject();
    w.Key("identifier");
    w.StartObject();
    w.Key("value");
    w.String(f.card_uuid.empty() ? std::string("unknown") : f.card_uuid);
    w.EndObject();
    w.EndObject();
  }
  w.Key("detail");
  w.StartArray();
  detail(w, "feedback", {buffer.GetString(), buffer.GetSize()}, false);
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

}  // namespace

void write_fhir_bundle(const AuditExtract& extract, std::ostream& out,
                       std::string_view canonical_base) {
  const std::string subtype_system = std::string(canonical_base) + "/CodeSystem/audit-event";
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("resourceType");
  w.String("Bundle");
  w.Key("type");
  w.String("collection");
  // FHIR JSON forbids empty arrays: no records, no "entry".
  if (!extract.consults.empty() || !extract.unknown_card_feedback.empty()) {
    w.Key("entry");
    w.StartArray();
    for (const auto& item : extract.consults) {
      consult_event(w, subtype_system, item.consult);
      for (const auto& f : item.feedback) feedback_event(w, subtype_system, f, &item.consult);
    }
    for (const auto& f : extract.unknown_card_feedback) {
      feedback_event(w, subtype_system, f, nullptr);
    }
    w.EndArray();
  }
  w.EndObject();
  out << buffer.GetString() << "\n";
}

}  // namespace vcf_cds::audit_review
