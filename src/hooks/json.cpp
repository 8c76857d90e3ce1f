// Parsing untrusted JSON once, in situ, with bounded depth and size (STYLE §6.7, CONTRACT §6).
#include <rapidjson/error/en.h>

#include <string>
#include <vector>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

constexpr std::size_t kUtf8Padding = 3;  // the longest UTF-8 tail after a lead byte
constexpr unsigned kParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

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
  // In-situ parsing treats NUL as the end of input; a NUL inside the body would hide the rest.
  if (doc.text.find('\0') != std::string::npos) {
    return make_error(ErrorCode::bad_request, "", "body contains a NUL byte");
  }
  // RapidJSON's UTF-8 validation takes a multi-byte sequence's continuation bytes without
  // stopping at the terminator: a body ending in a lead byte (0xF0) made it read and write up to
  // 3 bytes past the buffer (found by tests/fuzz; regressions/utf8-lead-byte-at-end.json).
  // The padding is never parsed: parsing ends at the first NUL.
  doc.text.append(kUtf8Padding, '\0');
  if (doc.dom.ParseInsitu<kParseFlags>(doc.text.data()).HasParseError()) {
    return make_error(ErrorCode::bad_request, "",
                      std::string("malformed JSON at offset ") +
                          std::to_string(doc.dom.GetErrorOffset()) + ": " +
                          rapidjson::GetParseError_En(doc.dom.GetParseError()));
  }
  return check_limits(doc.dom, limits);
}

}  // namespace vcf_cds::hooks
