// The one mapping from vcf_cds::Error to an HTTP status and a FHIR OperationOutcome
// (CONTRACT §6; STYLE §6.3). Nothing else in the code base picks statuses.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "vcf_cds/http.hpp"

namespace vcf_cds::http {

unsigned to_http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::precondition_failed:
      return 412;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

// FHIR R4 IssueType codes (http://hl7.org/fhir/issue-type).
std::string_view to_issue_type(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return "invalid";
    case ErrorCode::unauthorized:
      return "login";
    case ErrorCode::not_found:
      return "not-found";
    case ErrorCode::method_not_allowed:
      return "not-supported";
    case ErrorCode::precondition_failed:
      return "incomplete";  // "not all data sources ... could be reached"
    case ErrorCode::payload_too_large:
      return "too-long";
    case ErrorCode::unavailable:
      return "transient";
    case ErrorCode::internal:
      return "exception";
  }
  return "exception";
}

std::string to_operation_outcome(const Error& error) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("resourceType");
  writer.String("OperationOutcome");
  writer.Key("issue");
  writer.StartArray();
  writer.StartObject();
  writer.Key("severity");
  writer.String("error");
  writer.Key("code");
  const std::string_view type = to_issue_type(error.code);
  writer.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  // Empty strings are not allowed in CDS Hooks/FHIR JSON: omit what we do not have.
  if (!error.message.empty()) {
    writer.Key("diagnostics");
    writer.String(error.message);
  }
  if (!error.field.empty()) {
    writer.Key("expression");
    writer.StartArray();
    writer.String(error.field);
    writer.EndArray();
  }
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

Response error_response(const Error& error) {
  Response response;
  response.status = to_http_status(error.code);
  // A rejected JWT gets no detail (CDS Hooks best practices; CONTRACT §6).
  if (error.code == ErrorCode::unauthorized) return response;
  response.content_type = "application/json";
  response.body = to_operation_outcome(error);
  return response;
}

}  // namespace vcf_cds::http
