// Parsing untrusted JSON once, in situ, with bounded depth and size (STYLE §6.7, CONTRACT §6).
#include <rapidjson/error/en.h>

#include <string>
#include <vector>

#include "common/utf8.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

// No kParseValidateEncodingFlag: parse_json validates the whole body first (common/utf8.hpp),
// which is several times cheaper than RapidJSON's per-string check and rejects the same input.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;

// Walks the DOM with an explicit stack (no recursion: depth is what we are checking).
Status check_limits(const rapidjson::Value& root, const JsonLimits& limits) {
  struct Frame {
    const rapidjson::Value* value;
    std::size_t depth;
  };
  std::vector<Frame> stack{{&root, 1}};
  std::size_t elements = 0;
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    if (++elements > limits.max_elements) {
      return make_error(ErrorCode::payload_too_large, "",
                        "JSON has more than " + std::to_string(limits.max_elements) + " values");
    }
    if (frame.depth > limits.max_depth) {
      return make_error(ErrorCode::bad_request, "",
                        "JSON nests deeper than " + std::to_string(limits.max_depth) + " levels");
    }
    if (frame.value->IsObject()) {
      for (const auto& member : frame.value->GetObject()) {
        stack.push_back({&member.value, frame.depth + 1});
      }
    } else if (frame.value->IsArray()) {
      for (const auto& item : frame.value->GetArray()) stack.push_back({&item, frame.depth + 1});
    }
  }
  return Ok{};
}

}  // namespace

Status parse_json(JsonDocument& doc, const JsonLimits& limits) {
  // One pass for both checks. In-situ parsing treats NUL as the end of input, so a NUL inside
  // the body would hide the rest. Validating before parsing also means the parser never meets a
  // lead byte without its continuation bytes: RapidJSON's own validation read and wrote up to 3
  // bytes past the buffer on such input (tests/fuzz regressions/utf8-lead-byte-at-end.json), and
  // without that flag it copies string bytes one at a time and stops at the terminator.
  if (const auto problem = common::find_text_problem(doc.text)) {
    if (problem->nul) return make_error(ErrorCode::bad_request, "", "body contains a NUL byte");
    return make_error(ErrorCode::bad_request, "",
                      "malformed JSON at offset " + std::to_string(problem->offset) +
                          ": invalid UTF-8 (" + std::string(problem->what) + ")");
  }
  if (doc.dom.ParseInsitu<kParseFlags>(doc.text.data()).HasParseError()) {
    return make_error(ErrorCode::bad_request, "",
                      std::string("malformed JSON at offset ") +
                          std::to_string(doc.dom.GetErrorOffset()) + ": " +
                          rapidjson::GetParseError_En(doc.dom.GetParseError()));
  }
  return check_limits(doc.dom, limits);
}

}  // namespace vcf_cds::hooks
