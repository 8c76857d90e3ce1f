#include "audit/record.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>

#include "common/json_text.hpp"
#include "common/sha256.hpp"
#include "common/utf8.hpp"

namespace vcf_cds::audit::detail {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Collects the first bad field; later checks are skipped once one failed.
class Checker {
 public:
  void text(std::string_view field, std::string_view value) {
    if (ok() && common::find_text_problem(value)) {
      error_ = make_error(ErrorCode::bad_request, "audit." + std::string(field),
                          "audit record field holds a NUL byte or invalid UTF-8");
    }
  }
  void texts(std::string_view field, const std::vector<std::string>& values) {
    for (const auto& v : values) text(field, v);
  }
  void client(const auth::ClientIdentity& c) {
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

// The canonical JSON is written by hand rather than through rapidjson::Writer: the writer thread
// hashes every record, and the card alone is ~6 KB of JSON text to escape. Separators and number
// formats are the Writer's, so chains written before this change still verify.
class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::size_t reserve) {
    out_.reserve(reserve);
    out_ += '{';
  }
  void str(std::string_view name, std::string_view value) {
    key(name);
    common::append_json_string(out_, value);
  }
  void strings(std::string_view name, const std::vector<std::string>& values) {
    key(name);
    out_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      common::append_json_string(out_, values[i]);
    }
    out_ += ']';
  }
  void integer(std::string_view name, std::int64_t value) {
    key(name);
    out_ += std::to_string(value);
  }
  // Writes the key of a value the caller inserts later; returns where the value goes.
  std::size_t value_left_out(std::string_view name) {
    key(name);
    return out_.size();
  }
  void boolean(std::string_view name, bool value) {
    key(name);
    out_ += value ? "true" : "false";
  }
  // client_iss, client_sub, client_tenant: adjacent in byte order in both record kinds.
  void client(const auth::ClientIdentity& c) {
    str("client_iss", c.iss);
    str("client_sub", c.sub);
    str("client_tenant", c.tenant);
  }
  void real(std::string_view name, double value) {
    key(name);
    rapidjson::StringBuffer buffer;  // RapidJSON's shortest round-trip form (Grisu2)
    Writer w(buffer);
    w.Double(value);
    out_.append(buffer.GetString(), buffer.GetSize());
  }
  std::string finish() && {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void key(std::string_view name) {
    if (out_.size() > 1) out_ += ',';
    common::append_json_string(out_, name);
    out_ += ':';
  }
  std::string out_;
};

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
           {"repeat_of", &r.repeat_of},
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

CanonicalDraft canonical_draft(const ConsultRecord& r) {
  CanonicalWriter w(r.card.size() + r.facts.size() + 1024);
  // Keys in byte order; adding a field means a new schema version and a documented rule.
  w.str("assumptions", r.assumptions);
  w.str("candidates", r.candidates);
  w.str("card", r.card);
  w.str("card_uuid", r.card_uuid);
  w.str("category", r.category);
  // Only in format 2, so records chained with their texts keep their hashes.
  if (r.chain_format == chain_format_blobs) w.integer("chain_format", r.chain_format);
  w.client(r.client);
  w.str("consult_id", r.consult_id);
  w.str("encounter_id", r.encounter_id);
  w.str("facts", r.facts);
  w.str("hook", r.hook);
  w.str("hook_instance", r.hook_instance);
  w.str("identifier_mode", r.identifier_mode);
  w.str("kind", "consult");
  w.str("knowledge_version", r.knowledge_version);
  w.real("latency_ms", r.latency_ms);
  w.integer("median", r.median);
  w.str("order_codes", r.order_codes);
  w.str("order_ref", r.order_ref);
  w.str("pama_rating", r.pama_rating);
  w.str("patient_id", r.patient_id);
  w.str("procedure_row", r.procedure_row);
  w.integer("rating", r.rating);
  // Only when set, so records written before the field existed keep their hashes.
  if (!r.repeat_of.empty()) w.str("repeat_of", r.repeat_of);
  const std::size_t seq_at = w.value_left_out("seq");
  w.str("service_id", r.service_id);
  w.str("service_version", r.service_version);
  w.strings("suggestion_uuids", r.suggestion_uuids);
  w.str("time", r.time);
  w.str("user_id", r.user_id);
  w.integer("variant", r.variant);
  return {std::move(w).finish(), seq_at};
}

std::string canonical_json(const ConsultRecord& r) {
  CanonicalDraft draft = canonical_draft(r);
  draft.text.insert(draft.seq_at, std::to_string(r.seq));
  return std::move(draft.text);
}

std::string canonical_json(const FeedbackRecord& r) {
  CanonicalWriter w(r.user_comment.size() + 1024);
  w.strings("accepted_suggestions", r.accepted_suggestions);
  w.str("card_uuid", r.card_uuid);
  w.client(r.client);
  w.str("kind", "feedback");
  w.boolean("known_card", r.known_card);
  w.str("outcome", r.outcome);
  w.str("outcome_timestamp", r.outcome_timestamp);
  w.str("override_reason_code", r.override_reason_code);
  w.str("override_reason_display", r.override_reason_display);
  w.str("override_reason_system", r.override_reason_system);
  w.str("received_time", r.received_time);
  w.integer("seq", r.seq);
  w.str("service_id", r.service_id);
  w.str("user_comment", r.user_comment);
  return std::move(w).finish();
}

std::string canonical_json(const Record& record) {
  return std::visit([](const auto& r) { return canonical_json(r); }, record);
}

std::string chain_hash(std::string_view prev_hash, std::string_view canonical) {
  return common::sha256_hex({prev_hash, canonical});
}

std::string chain_hash(std::string_view prev_hash, const CanonicalDraft& draft, std::int64_t seq) {
  const std::string digits = std::to_string(seq);
  const std::string_view text = draft.text;
  return common::sha256_hex(
      {prev_hash, text.substr(0, draft.seq_at), digits, text.substr(draft.seq_at)});
}

QueuedRecord queue_record(Record record) {
  QueuedRecord queued;
  queued.record = std::move(record);
  if (auto* consult = std::get_if<ConsultRecord>(&queued.record)) {
    store_texts(*consult, queued.blobs);
    queued.draft = canonical_draft(*consult);
  }
  return queued;
}

std::optional<JoinedRetry> retry_join(const ConsultRecord& retry, const ConsultRecord& earlier) {
  // An order without an id cannot be told from another order of the same call.
  const std::string& order = retry.order_ref;
  if (retry.hook_instance.empty() || order.empty() || order.back() == '/') return std::nullopt;
  // The same call: what the EHR sent that names it and the order.
  const bool same_call =
      retry.hook_instance == earlier.hook_instance && order == earlier.order_ref &&
      retry.service_id == earlier.service_id && retry.hook == earlier.hook &&
      retry.client.iss == earlier.client.iss && retry.client.sub == earlier.client.sub &&
      retry.client.tenant == earlier.client.tenant &&
      retry.identifier_mode == earlier.identifier_mode && retry.patient_id == earlier.patient_id &&
      retry.user_id == earlier.user_id && retry.encounter_id == earlier.encounter_id &&
      retry.order_codes == earlier.order_codes;
  // Decided the same way and showing the same card (which the ids are checked for below).
  const bool same_decision =
      retry.variant == earlier.variant && retry.procedure_row == earlier.procedure_row &&
      retry.category == earlier.category && retry.rating == earlier.rating &&
      retry.median == earlier.median && retry.pama_rating == earlier.pama_rating &&
      retry.repeat_of == earlier.repeat_of &&
      retry.card_uuid.empty() == earlier.card_uuid.empty() &&
      retry.suggestion_uuids.size() == earlier.suggestion_uuids.size();
  if (!same_call || !same_decision) return std::nullopt;

  JoinedRetry join;
  join.consult_id = retry.consult_id;
  join.recorded_consult_id = earlier.consult_id;
  auto pair = [&](const std::string& rendered, const std::string& recorded) {
    if (!rendered.empty() && rendered != recorded) join.ids.emplace_back(rendered, recorded);
  };
  pair(retry.consult_id, earlier.consult_id);
  pair(retry.card_uuid, earlier.card_uuid);
  for (std::size_t i = 0; i < retry.suggestion_uuids.size(); ++i) {
    pair(retry.suggestion_uuids[i], earlier.suggestion_uuids[i]);
  }
  if (with_recorded_ids(retry.card, join) != earlier.card) return std::nullopt;
  return join;
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

std::string replace_json_strings(std::string_view text,
                                 const std::vector<std::pair<std::string, std::string>>& pairs) {
  // Every pair at once, and only as a whole JSON string ("<id>"): an id that is a prefix of
  // another, or a replacement equal to another id, cannot be replaced twice. Each id is searched
  // for on its own (memchr and memcmp over a card are far cheaper than trying every pair at
  // every quote); matches are then taken left to right, never overlapping, a match whose
  // opening quote closed the one before it excluded, and at one position the first pair wins.
  struct Match {
    std::size_t quote;  // the opening quote
    std::size_t pair;
  };
  std::vector<Match> matches;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const std::string& from = pairs[p].first;
    if (from.empty()) continue;
    for (std::size_t at = text.find(from, 1); at != std::string_view::npos;
         at = text.find(from, at + 1)) {
      const std::size_t end = at + from.size();
      if (text[at - 1] == '"' && end < text.size() && text[end] == '"') {
        matches.push_back({at - 1, p});
      }
    }
  }
  if (matches.empty()) return std::string(text);
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.quote != b.quote ? a.quote < b.quote : a.pair < b.pair;
  });
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t copied = 0;  // text[copied, quote) is still to be copied
  for (const Match& m : matches) {
    if (m.quote < copied) continue;  // inside, or the closing quote of, the match before
    const auto& [from, to] = pairs[m.pair];
    out.append(text, copied, m.quote - copied).append(1, '"').append(to).append(1, '"');
    copied = m.quote + from.size() + 2;
  }
  out.append(text, copied);
  return out;
}

}  // namespace vcf_cds::audit::detail

namespace vcf_cds::audit {

std::string with_recorded_ids(std::string text, const JoinedRetry& join) {
  if (join.ids.empty()) return text;
  return detail::replace_json_strings(text, join.ids);
}

}  // namespace vcf_cds::audit
