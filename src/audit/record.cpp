#include "audit/record.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

#include "common/sha256.hpp"

namespace vcf_cds::audit::detail {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid (PostgreSQL agrees).
    static constexpr std::uint32_t min_code[] = {0, 0x80, 0x800, 0x10000};
    if (code < min_code[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// Collects the first bad field; later checks are skipped once one failed.
class Checker {
 public:
  void text(std::string_view field, std::string_view value) {
    if (ok() && !valid_utf8(value)) {
      error_ = make_error(ErrorCode::bad_request, "audit." + std::string(field),
                          "audit record field holds a NUL byte or invalid UTF-8");
    }
  }
  void texts(std::string_view field, const std::vector<std::string>& values) {
    for (const auto& v : values) text(field, v);
  }
  void client(const ClientIdentity& c) {
    text("client.iss", c.iss);
    text("client.sub", c.sub);
    text("client.tenant", c.tenant);
  }
  bool ok() const { return error_.message.empty(); }
  Status status() && {
    if (ok()) return Ok{};
    return std::move(error_);
  }

 private:
  Error error_;
};

void key(Writer& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void str(Writer& w, std::string_view name, std::string_view value) {
  key(w, name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void strings(Writer& w, std::string_view name, const std::vector<std::string>& values) {
  key(w, name);
  w.StartArray();
  for (const auto& v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}
void integer(Writer& w, std::string_view name, std::int64_t value) {
  key(w, name);
  w.Int64(value);
}

std::string finish(rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

Status validate(const ConsultRecord& r) {
  Checker c;
  for (const auto& [field, value] : {
           std::pair<std::string_view, const std::string*>{"consult_id", &r.consult_id},
           {"time", &r.time},
           {"service_id", &r.service_id},
           {"hook", &r.hook},
           {"hook_instance", &r.hook_instance},
           {"user_id", &r.user_id},
           {"patient_id", &r.patient_id},
           {"encounter_id", &r.encounter_id},
           {"order_ref", &r.order_ref},
           {"order_codes", &r.order_codes},
           {"procedure_row", &r.procedure_row},
           {"category", &r.category},
           {"pama_rating", &r.pama_rating},
           {"facts", &r.facts},
           {"candidates", &r.candidates},
           {"assumptions", &r.assumptions},
           {"card_uuid", &r.card_uuid},
           {"card", &r.card},
           {"knowledge_version", &r.knowledge_version},
           {"service_version", &r.service_version},
           {"identifier_mode", &r.identifier_mode},
       }) {
    c.text(field, *value);
  }
  c.client(r.client);
  c.texts("suggestion_uuids", r.suggestion_uuids);
  if (c.ok() && !std::isfinite(r.latency_ms)) {
    return make_error(ErrorCode::bad_request, "audit.latency_ms", "latency must be finite");
  }
  return std::move(c).status();
}

Status validate(const FeedbackRecord& r) {
  Checker c;
  for (const auto& [field, value] : {
           std::pair<std::string_view, const std::string*>{"service_id", &r.service_id},
           {"card_uuid", &r.card_uuid},
           {"outcome", &r.outcome},
           {"override_reason_system", &r.override_reason_system},
           {"override_reason_code", &r.override_reason_code},
           {"override_reason_display", &r.override_reason_display},
           {"user_comment", &r.user_comment},
           {"outcome_timestamp", &r.outcome_timestamp},
           {"received_time", &r.received_time},
       }) {
    c.text(field, *value);
  }
  c.client(r.client);
  c.texts("accepted_suggestions", r.accepted_suggestions);
  return std::move(c).status();
}

std::string hash_identifier(std::string_view secret, std::string_view id) {
  if (id.empty()) return {};
  return std::string(identifier_mode_hmac) + ":" + common::hmac_sha256_hex(secret, id);
}

void apply_identifier_mode(ConsultRecord& record, const StoreConfig& config) {
  if (record.identifier_mode == identifier_mode_hmac) return;
  if (!config.hash_identifiers) {
    record.identifier_mode = identifier_mode_plain;
    return;
  }
  record.identifier_mode = identifier_mode_hmac;
  record.patient_id = hash_identifier(config.identifier_secret, record.patient_id);
  record.user_id = hash_identifier(config.identifier_secret, record.user_id);
}

std::string canonical_json(const ConsultRecord& r) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  // Keys in byte order; adding a field means a new schema version and a documented rule.
  w.StartObject();
  str(w, "assumptions", r.assumptions);
  str(w, "candidates", r.candidates);
  str(w, "card", r.card);
  str(w, "card_uuid", r.card_uuid);
  str(w, "category", r.category);
  str(w, "client_iss", r.client.iss);
  str(w, "client_sub", r.client.sub);
  str(w, "client_tenant", r.client.tenant);
  str(w, "consult_id", r.consult_id);
  str(w, "encounter_id", r.encounter_id);
  str(w, "facts", r.facts);
  str(w, "hook", r.hook);
  str(w, "hook_instance", r.hook_instance);
  str(w, "identifier_mode", r.identifier_mode);
  str(w, "kind", "consult");
  str(w, "knowledge_version", r.knowledge_version);
  key(w, "latency_ms");
  w.Double(r.latency_ms);
  integer(w, "median", r.median);
  str(w, "order_codes", r.order_codes);
  str(w, "order_ref", r.order_ref);
  str(w, "pama_rating", r.pama_rating);
  str(w, "patient_id", r.patient_id);
  str(w, "procedure_row", r.procedure_row);
  integer(w, "rating", r.rating);
  integer(w, "seq", r.seq);
  str(w, "service_id", r.service_id);
  str(w, "service_version", r.service_version);
  strings(w, "suggestion_uuids", r.suggestion_uuids);
  str(w, "time", r.time);
  str(w, "user_id", r.user_id);
  integer(w, "variant", r.variant);
  w.EndObject();
  return finish(buffer);
}

std::string canonical_json(const FeedbackRecord& r) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  strings(w, "accepted_suggestions", r.accepted_suggestions);
  str(w, "card_uuid", r.card_uuid);
  str(w, "client_iss", r.client.iss);
  str(w, "client_sub", r.client.sub);
  str(w, "client_tenant", r.client.tenant);
  str(w, "kind", "feedback");
  key(w, "known_card");
  w.Bool(r.known_card);
  str(w, "outcome", r.outcome);
  str(w, "outcome_timestamp", r.outcome_timestamp);
  str(w, "override_reason_code", r.override_reason_code);
  str(w, "override_reason_display", r.override_reason_display);
  str(w, "override_reason_system", r.override_reason_system);
  str(w, "received_time", r.received_time);
  integer(w, "seq", r.seq);
  str(w, "service_id", r.service_id);
  str(w, "user_comment", r.user_comment);
  w.EndObject();
  return finish(buffer);
}

std::string canonical_json(const Record& record) {
  return std::visit([](const auto& r) { return canonical_json(r); }, record);
}

std::string chain_hash(std::string_view prev_hash, std::string_view canonical) {
  std::string input;
  input.reserve(prev_hash.size() + canonical.size());
  input.append(prev_hash).append(canonical);
  return common::sha256_hex(input);
}

std::string to_json_array(const std::vector<std::string>& items) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const auto& v : items) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
  return finish(buffer);
}

std::vector<std::string> parse_json_array(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  std::vector<std::string> out;
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsString()) return {};
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::int64_t seq_of(const Record& record) {
  return std::visit([](const auto& r) { return r.seq; }, record);
}

std::string_view kind_of(const Record& record) {
  return std::holds_alternative<ConsultRecord>(record) ? "consult" : "feedback";
}

std::string_view id_of(const Record& record) {
  if (const auto* c = std::get_if<ConsultRecord>(&record)) return c->consult_id;
  return std::get<FeedbackRecord>(record).card_uuid;
}

}  // namespace vcf_cds::audit::detail
