// Parsing untrusted JSON once, in situ, with bounded depth and size (STYLE §6.7, CONTRACT §6).
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cstring>
#include <optional>
#include <string>

#include "common/json_text.hpp"
#include "common/utf8.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

// The body as RapidJSON's in-situ stream, plus where it ends. A type of this file only, so the
// faster string scan below (a specialisation for this type) changes no other RapidJSON user.
struct BodyStream : rapidjson::InsituStringStream {
  BodyStream(char* begin, const char* end_of_text)
      : rapidjson::InsituStringStream(begin), end(end_of_text) {}
  const char* end;
};

// RapidJSON copies string content one byte at a time (its SIMD scan needs a build-wide switch
// and reads past the buffer); strings are most of a body, so this moves over plain content 8
// bytes at a time (common/json_text.hpp), never past the body's end, up to the next special
// byte, which it leaves to RapidJSON. Once an escape has been decoded the in-situ output lags
// the input, so the bytes are copied down.
void skip_plain_content(BodyStream& s) {
  const std::size_t plain =
      common::json_plain_prefix({s.src_, static_cast<std::size_t>(s.end - s.src_)});
  if (s.dst_ != s.src_) std::memmove(s.dst_, s.src_, plain);
  s.src_ += plain;
  s.dst_ += plain;
}

}  // namespace
}  // namespace vcf_cds::hooks

namespace rapidjson {
// Keep the stream in registers during a string, as RapidJSON does for its own in-situ stream.
template <>
struct StreamTraits<vcf_cds::hooks::BodyStream> {
  enum { copyOptimization = 1 };
};

// ParseString calls this before looking at each special byte; the generic version does nothing.
template <>
template <>
inline void GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString<
    vcf_cds::hooks::BodyStream, vcf_cds::hooks::BodyStream>(vcf_cds::hooks::BodyStream& is,
                                                            vcf_cds::hooks::BodyStream&) {
  vcf_cds::hooks::skip_plain_content(is);
}
}  // namespace rapidjson

namespace vcf_cds::hooks {
namespace {

// In situ, recursive (LimitedHandler bounds the depth), and without kParseValidateEncodingFlag:
// parse_json validates the whole body first (common/utf8.hpp), which is several times cheaper
// than RapidJSON's per-string check and rejects the same input (issue #8).
constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag;

// Passes the parser's events on to the Document, enforcing the limits as values arrive. A body
// nested too deeply stops the parse at max_depth, so the recursive parser (faster than the
// iterative one) never recurses further, and no second walk over the DOM is needed.
class LimitedHandler {
 public:
  LimitedHandler(rapidjson::Document& doc, const JsonLimits& limits) : doc_(doc), limits_(limits) {}

  bool Null() { return value() && doc_.Null(); }
  bool Bool(bool b) { return value() && doc_.Bool(b); }
  bool Int(int i) { return value() && doc_.Int(i); }
  bool Uint(unsigned u) { return value() && doc_.Uint(u); }
  bool Int64(std::int64_t i) { return value() && doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return value() && doc_.Uint64(u); }
  bool Double(double d) { return value() && doc_.Double(d); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool copy) {
    return value() && doc_.RawNumber(text, length, copy);
  }
  bool String(const char* text, rapidjson::SizeType length, bool copy) {
    return value() && doc_.String(text, length, copy);
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    return doc_.Key(text, length, copy);  // a member name is not a value
  }
  bool StartObject() { return open() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return open() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType items) {
    --depth_;
    return doc_.EndArray(items);
  }

  // Set when a limit stopped the parse.
  std::optional<Error> error;

 private:
  // Counts a value at depth depth_ + 1 (the root is at depth 1).
  bool value() {
    return ++elements_ <= limits_.max_elements && depth_ < limits_.max_depth ? true : stop();
  }
  // Out of line: keeps value(), called for every value, small enough to inline.
  [[gnu::noinline, gnu::cold]] bool stop() {
    if (elements_ > limits_.max_elements) {
      error = make_error(ErrorCode::payload_too_large, "",
                         "JSON has more than " + std::to_string(limits_.max_elements) + " values");
    } else {
      error = make_error(ErrorCode::bad_request, "",
                         "JSON nests deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    return false;
  }
  bool open() {
    if (!value()) return false;
    ++depth_;
    return true;
  }

  rapidjson::Document& doc_;
  const JsonLimits& limits_;
  std::size_t depth_ = 0;  // containers open around the next value
  std::size_t elements_ = 0;
};

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
  BodyStream stream(doc.text.data(), doc.text.data() + doc.text.size());
  rapidjson::Reader reader;
  LimitedHandler handler(doc.dom, limits);
  rapidjson::ParseResult result;
  // Populate builds the DOM from the handler's events and keeps it only if the parse succeeded.
  auto parse = [&](rapidjson::Document&) {
    result = reader.Parse<kParseFlags>(stream, handler);
    return !result.IsError();
  };
  doc.dom.Populate(parse);
  if (handler.error) return std::move(*handler.error);
  if (result.IsError()) {
    return make_error(ErrorCode::bad_request, "",
                      std::string("malformed JSON at offset ") + std::to_string(result.Offset()) +
                          ": " + rapidjson::GetParseError_En(result.Code()));
  }
  return Ok{};
}

}  // namespace vcf_cds::hooks
