// POST /cds-services/{id}/feedback (CDS Hooks 2.0 "Feedback"): validate, then hand to the sink
// (the audit store). Unknown card uuids are accepted here; the store flags them.
#include <string>

#include "hooks/json_util.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

Error invalid(std::string field, std::string message) {
  return make_error(ErrorCode::bad_request, std::move(field), std::move(message));
}

Result<std::string> required_string(const rapidjson::Value& object, std::string_view name,
                                    const std::string& path) {
  const rapidjson::Value* value = json::find(object, name);
  if (value == nullptr || value->IsNull()) return invalid(path, path + " is required");
  if (!value->IsString() || value->GetStringLength() == 0) {
    return invalid(path, path + " must be a non-empty string");
  }
  return std::string(json::view(*value));
}

bool digits(std::string_view text, std::size_t from, std::size_t count) {
  if (text.size() < from + count) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

Result<OverrideReason> parse_override(const rapidjson::Value& value, const std::string& path) {
  if (!value.IsObject()) return invalid(path, path + " must be an object");
  OverrideReason reason;
  if (const rapidjson::Value* coding = json::find(value, "reason"); coding && !coding->IsNull()) {
    const std::string at = path + ".reason";
    if (!coding->IsObject()) return invalid(at, at + " must be a Coding");
    auto code = required_string(*coding, "code", at + ".code");
    if (!code) return std::move(code).error();
    auto system = required_string(*coding, "system", at + ".system");
    if (!system) return std::move(system).error();
    reason.reason = FeedbackCoding{std::move(*system), std::move(*code),
                                   std::string(json::string_member(*coding, "display"))};
  }
  if (const rapidjson::Value* comment = json::find(value, "userComment");
      comment && !comment->IsNull()) {
    if (!comment->IsString()) return invalid(path + ".userComment", "userComment must be a string");
    reason.user_comment = std::string(json::view(*comment));
  }
  return reason;
}

Result<FeedbackItem> parse_item(const rapidjson::Value& value, const std::string& path) {
  if (!value.IsObject()) return invalid(path, path + " must be an object");
  FeedbackItem item;
  auto card = required_string(value, "card", path + ".card");
  if (!card) return std::move(card).error();
  item.card = std::move(*card);
  auto outcome = required_string(value, "outcome", path + ".outcome");
  if (!outcome) return std::move(outcome).error();
  if (*outcome == "accepted") {
    item.outcome = Outcome::accepted;
  } else if (*outcome == "overridden") {
    item.outcome = Outcome::overridden;
  } else {
    return invalid(path + ".outcome", path + ".outcome must be accepted or overridden");
  }
  const std::string suggestions_path = path + ".acceptedSuggestions";
  const rapidjson::Value* suggestions = json::find(value, "acceptedSuggestions");
  if (suggestions != nullptr && !suggestions->IsNull()) {
    if (!suggestions->IsArray())
      return invalid(suggestions_path, suggestions_path + " must be an array");
    for (rapidjson::SizeType i = 0; i < suggestions->Size(); ++i) {
      const std::string at = suggestions_path + "[" + std::to_string(i) + "]";
      if (!(*suggestions)[i].IsObject()) return invalid(at, at + " must be an object");
      auto id = required_string((*suggestions)[i], "id", at + ".id");
      if (!id) return std::move(id).error();
      item.accepted_suggestions.push_back(std::move(*id));
    }
  }
  // Spec: acceptedSuggestions is required when the outcome is accepted.
  if (item.outcome == Outcome::accepted && item.accepted_suggestions.empty()) {
    return invalid(suggestions_path, suggestions_path + " is required when outcome is accepted");
  }
  if (const rapidjson::Value* reason = json::find(value, "overrideReason");
      reason && !reason->IsNull()) {
    auto parsed = parse_override(*reason, path + ".overrideReason");
    if (!parsed) return std::move(parsed).error();
    item.override_reason = std::move(*parsed);
  }
  auto timestamp = required_string(value, "outcomeTimestamp", path + ".outcomeTimestamp");
  if (!timestamp) return std::move(timestamp).error();
  if (!is_rfc3339_timestamp(*timestamp)) {
    return invalid(
        path + ".outcomeTimestamp",
        path + ".outcomeTimestamp must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z");
  }
  item.outcome_timestamp = std::move(*timestamp);
  return item;
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  return outcome == Outcome::accepted ? "accepted" : "overridden";
}

// RFC 3339 §5.6 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 'T'/'Z' any case.
bool is_rfc3339_timestamp(std::string_view t) {
  if (!digits(t, 0, 4) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2) || t[7] != '-' ||
      !digits(t, 8, 2) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t, 11, 2) ||
      t[13] != ':' || !digits(t, 14, 2) || t[16] != ':' || !digits(t, 17, 2)) {
    return false;
  }
  const int month = (t[5] - '0') * 10 + (t[6] - '0');
  const int day = (t[8] - '0') * 10 + (t[9] - '0');
  const int hour = (t[11] - '0') * 10 + (t[12] - '0');
  const int minute = (t[14] - '0') * 10 + (t[15] - '0');
  const int second = (t[17] - '0') * 10 + (t[18] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t i = 19;
  if (t[i] == '.') {
    const std::size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i == t.size()) return false;
  if (t[i] == 'Z' || t[i] == 'z') return i + 1 == t.size();
  if (t[i] != '+' && t[i] != '-') return false;
  return t.size() == i + 6 && digits(t, i + 1, 2) && t[i + 3] == ':' && digits(t, i + 4, 2);
}

Result<Feedback> parse_feedback(std::string&& body, std::string_view service_id,
                                const JsonLimits& limits) {
  JsonDocument doc;
  doc.text = std::move(body);
  if (Status parsed = parse_json(doc, limits); !parsed) return std::move(parsed).error();
  if (!doc.dom.IsObject()) return invalid("", "the feedback body must be a JSON object");
  const rapidjson::Value* list = json::find(doc.dom, "feedback");
  if (list == nullptr || list->IsNull()) return invalid("feedback", "feedback is required");
  if (!list->IsArray() || list->Empty()) {
    return invalid("feedback", "feedback must be a non-empty array");
  }
  Feedback feedback;
  feedback.service_id = std::string(service_id);
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    auto item = parse_item((*list)[i], "feedback[" + std::to_string(i) + "]");
    if (!item) return std::move(item).error();
    feedback.items.push_back(std::move(*item));
  }
  return feedback;
}

Status receive_feedback(std::string_view service_id, std::string&& body, const JsonLimits& limits,
                        const FeedbackSink& sink) {
  if (find_service(service_id) == nullptr) {
    return make_error(ErrorCode::not_found, "",
                      "no CDS service with id '" + std::string(service_id) + "'");
  }
  auto feedback = parse_feedback(std::move(body), service_id, limits);
  if (!feedback) return std::move(feedback).error();
  return sink ? sink(*feedback) : Status(Ok{});
}

}  // namespace vcf_cds::hooks
