// NDJSON export and import: one record per line, in chain order, field names as in the schema.
// Import re-chains the records in the target store (new seq and hashes), so the export of an
// SQLite trail can be moved into PostgreSQL; the source chain should be verified first.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <variant>

#include "vcf_cds/audit_review.hpp"

namespace vcf_cds::audit_review {

using namespace audit;  // the records and queries this stage reads
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value);
}

// JSON-text columns are embedded as JSON when they are JSON, so jq can reach into them.
void json_text(Writer& w, const char* key, const std::string& text) {
  w.Key(key);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (!text.empty() && !doc.HasParseError() && (doc.IsObject() || doc.IsArray())) {
    doc.Accept(w);
  } else {
    w.String(text);
  }
}

void strings(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

void write(const ConsultRecord& c, Writer& w) {
  w.StartObject();
  str(w, "kind", "consult");
  w.Key("seq");
  w.Int64(c.seq);
  str(w, "consult_id", c.consult_id);
  str(w, "time", c.time);
  str(w, "service_id", c.service_id);
  str(w, "hook", c.hook);
  str(w, "hook_instance", c.hook_instance);
  str(w, "client_iss", c.client.iss);
  str(w, "client_sub", c.client.sub);
  str(w, "client_tenant", c.client.tenant);
  str(w, "identifier_mode", c.identifier_mode);
  str(w, "user_id", c.user_id);
  str(w, "patient_id", c.patient_id);
  str(w, "encounter_id", c.encounter_id);
  str(w, "order_ref", c.order_ref);
  json_text(w, "order_codes", c.order_codes);
  str(w, "procedure_row", c.procedure_row);
  w.Key("variant");
  w.Int(c.variant);
  str(w, "category", c.category);
  w.Key("rating");
  w.Int(c.rating);
  w.Key("median");
  w.Int(c.median);
  str(w, "pama_rating", c.pama_rating);
  json_text(w, "facts", c.facts);
  json_text(w, "candidates", c.candidates);
  json_text(w, "assumptions", c.assumptions);
  str(w, "card_uuid", c.card_uuid);
  strings(w, "suggestion_uuids", c.suggestion_uuids);
  json_text(w, "card", c.card);
  str(w, "knowledge_version", c.knowledge_version);
  str(w, "service_version", c.service_version);
  w.Key("latency_ms");
  w.Double(c.latency_ms);
  if (!c.repeat_of.empty()) str(w, "repeat_of", c.repeat_of);
  w.EndObject();
}

void write(const FeedbackRecord& f, Writer& w) {
  w.StartObject();
  str(w, "kind", "feedback");
  w.Key("seq");
  w.Int64(f.seq);
  str(w, "service_id", f.service_id);
  str(w, "card_uuid", f.card_uuid);
  str(w, "outcome", f.outcome);
  strings(w, "accepted_suggestions", f.accepted_suggestions);
  str(w, "override_reason_system", f.override_reason_system);
  str(w, "override_reason_code", f.override_reason_code);
  str(w, "override_reason_display", f.override_reason_display);
  str(w, "user_comment", f.user_comment);
  str(w, "outcome_timestamp", f.outcome_timestamp);
  str(w, "received_time", f.received_time);
  str(w, "client_iss", f.client.iss);
  str(w, "client_sub", f.client.sub);
  str(w, "client_tenant", f.client.tenant);
  w.Key("known_card");
  w.Bool(f.known_card);
  w.EndObject();
}

// Reads one line's fields; missing fields stay empty, wrong types are errors.
class Fields {
 public:
  explicit Fields(const rapidjson::Value& object) : object_(object) {}
  std::string text(const char* key) {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd() || it->value.IsNull()) return {};
    if (it->value.IsString()) return {it->value.GetString(), it->value.GetStringLength()};
    if (it->value.IsObject() || it->value.IsArray()) {  // an embedded JSON-text column
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      it->value.Accept(w);
      return {buffer.GetString(), buffer.GetSize()};
    }
    return bad(key, "a string");
  }
  int integer(const char* key) {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd()) return 0;
    if (!it->value.IsInt()) return bad(key, "an integer"), 0;
    return it->value.GetInt();
  }
  double number(const char* key) {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd()) return 0;
    if (!it->value.IsNumber()) return bad(key, "a number"), 0;
    return it->value.GetDouble();
  }
  std::vector<std::string> list(const char* key) {
    std::vector<std::string> out;
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd()) return out;
    if (!it->value.IsArray()) return bad(key, "an array"), out;
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) return bad(key, "an array of strings"), out;
      out.emplace_back(v.GetString(), v.GetStringLength());
    }
    return out;
  }
  const std::string& error() const { return error_; }

 private:
  std::string bad(const char* key, const char* expected) {
    if (error_.empty()) error_ = std::string("\"") + key + "\" must be " + expected;
    return {};
  }
  const rapidjson::Value& object_;
  std::string error_;
};

ConsultRecord read_consult(Fields& f) {
  ConsultRecord c;
  c.consult_id = f.text("consult_id");
  c.time = f.text("time");
  c.service_id = f.text("service_id");
  c.hook = f.text("hook");
  c.hook_instance = f.text("hook_instance");
  c.client.iss = f.text("client_iss");
  c.client.sub = f.text("client_sub");
  c.client.tenant = f.text("client_tenant");
  c.identifier_mode = f.text("identifier_mode");
  c.user_id = f.text("user_id");
  c.patient_id = f.text("patient_id");
  c.encounter_id = f.text("encounter_id");
  c.order_ref = f.text("order_ref");
  c.order_codes = f.text("order_codes");
  c.procedure_row = f.text("procedure_row");
  c.variant = f.integer("variant");
  c.category = f.text("category");
  c.rating = f.integer("rating");
  c.median = f.integer("median");
  c.pama_rating = f.text("pama_rating");
  c.facts = f.text("facts");
  c.candidates = f.text("candidates");
  c.assumptions = f.text("assumptions");
  c.card_uuid = f.text("card_uuid");
  c.suggestion_uuids = f.list("suggestion_uuids");
  c.card = f.text("card");
  c.knowledge_version = f.text("knowledge_version");
  c.service_version = f.text("service_version");
  c.latency_ms = f.number("latency_ms");
  c.repeat_of = f.text("repeat_of");
  return c;
}

FeedbackRecord read_feedback(Fields& f) {
  FeedbackRecord r;
  r.service_id = f.text("service_id");
  r.card_uuid = f.text("card_uuid");
  r.outcome = f.text("outcome");
  r.accepted_suggestions = f.list("accepted_suggestions");
  r.override_reason_system = f.text("override_reason_system");
  r.override_reason_code = f.text("override_reason_code");
  r.override_reason_display = f.text("override_reason_display");
  r.user_comment = f.text("user_comment");
  r.outcome_timestamp = f.text("outcome_timestamp");
  r.received_time = f.text("received_time");
  r.client.iss = f.text("client_iss");
  r.client.sub = f.text("client_sub");
  r.client.tenant = f.text("client_tenant");
  return r;
}

}  // namespace

void write_ndjson(const AuditExtract& extract, std::ostream& out) {
  std::vector<std::variant<ConsultRecord, FeedbackRecord>> records;
  for (const auto& item : extract.consults) {
    records.emplace_back(item.consult);
    for (const auto& f : item.feedback) records.emplace_back(f);
  }
  for (const auto& f : extract.unknown_card_feedback) records.emplace_back(f);
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    const auto seq = [](const auto& r) { return r.seq; };
    return std::visit(seq, a) < std::visit(seq, b);
  });
  for (const auto& record : records) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    std::visit([&](const auto& r) { write(r, w); }, record);
    out << buffer.GetString() << "\n";
  }
}

Result<ImportResult> import_ndjson(std::istream& in, Store& store) {
  ImportResult result;
  std::vector<ConsultRecord> consults;
  std::vector<FeedbackRecord> feedback;
  // Runs of one kind go in one call; a change of kind flushes, so file order is chain order.
  auto flush = [&]() -> Status {
    if (!consults.empty()) {
      if (Status s = store.record_consults(std::move(consults)); !s) return s;
      consults.clear();
    }
    if (!feedback.empty()) {
      if (Status s = store.record_feedback(std::move(feedback)); !s) return s;
      feedback.clear();
    }
    return Ok{};
  };
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const std::string& why) {
      return make_error(ErrorCode::bad_request, "line " + std::to_string(number), why);
    };
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) return fail("not a JSON object");
    Fields fields(doc);
    const std::string kind = fields.text("kind");
    if (kind == "consult") {
      if (!feedback.empty()) {
        if (Status s = flush(); !s) return std::move(s).error();
      }
      consults.push_back(read_consult(fields));
      ++result.consults;
    } else if (kind == "feedback") {
      if (!consults.empty()) {
        if (Status s = flush(); !s) return std::move(s).error();
      }
      feedback.push_back(read_feedback(fields));
      ++result.feedback;
    } else {
      return fail("\"kind\" must be \"consult\" or \"feedback\"");
    }
    if (!fields.error().empty()) return fail(fields.error());
    if (consults.size() + feedback.size() >= 500) {
      if (Status s = flush(); !s) return std::move(s).error();
    }
  }
  if (Status s = flush(); !s) return std::move(s).error();
  return result;
}

}  // namespace vcf_cds::audit_review
