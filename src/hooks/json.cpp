// Parsing untrusted JSON once, in situ, with bounded depth and size (STYLE §6.7, CONTRACT §6).
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// than RapidJSON's per-string check and rejects the same input.
constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag;

// Passes the parser's events on to the Document, enforcing the limits as values arrive. A body
// nested too deeply stops the parse at max_depth, so the recursive parser (faster than the
// iterative one) never recurses further, and no second walk over the DOM is needed.
class LimitedHandler {
 public:
  LimitedHandler(rapidjson::Document& doc, const JsonLimits& limits) : doc_(doc), limits_(limits) {
    keys_.reserve(64);
    levels_.reserve(16);
  }

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
    // In situ, the name stays in the body: a view of it lives as long as the parse.
    keys_.emplace_back(text, length);
    return doc_.Key(text, length, copy);  // a member name is not a value
  }
  bool StartObject() {
    if (!open()) return false;
    levels_.push_back(keys_.size());
    return doc_.StartObject();
  }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    if (!unique_keys()) return false;
    keys_.resize(levels_.back());
    levels_.pop_back();
    return doc_.EndObject(members);
  }
  bool StartArray() {
    if (!open()) return false;
    levels_.push_back(kArray);
    return doc_.StartArray();
  }
  bool EndArray(rapidjson::SizeType items) {
    --depth_;
    levels_.pop_back();
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

  // A member name given twice is refused, as the JWT parser refuses it: RapidJSON would keep
  // both and FindMember return the first, so two readers of one body could see different values.
  // Checked when the object closes: pairwise for the small objects FHIR is made of, sorted
  // views for large ones, so a hostile object of many keys costs n log n, not n squared.
  bool unique_keys() {
    const std::size_t begin = levels_.back();
    const std::size_t count = keys_.size() - begin;
    if (count < 2) return true;
    std::optional<std::string_view> duplicate;
    if (count <= 16) {
      for (std::size_t i = begin; i < keys_.size() && !duplicate; ++i) {
        for (std::size_t j = i + 1; j < keys_.size(); ++j) {
          if (keys_[i] == keys_[j]) {
            duplicate = keys_[i];
            break;
          }
        }
      }
    } else {
      sorted_.assign(keys_.begin() + static_cast<std::ptrdiff_t>(begin), keys_.end());
      std::sort(sorted_.begin(), sorted_.end());
      const auto it = std::adjacent_find(sorted_.begin(), sorted_.end());
      if (it != sorted_.end()) duplicate = *it;
    }
    if (!duplicate) return true;
    const std::string path = clipped(path_to(*duplicate));
    error =
        make_error(ErrorCode::bad_request, path,
                   "JSON object has the member '" + clipped(std::string(*duplicate)) + "' twice");
    return false;
  }

  // Names come from the body: an answer echoes at most the first 200 bytes of one (cut on a
  // UTF-8 character boundary; the body was validated), not a megabyte-long key.
  static std::string clipped(std::string text) {
    constexpr std::size_t kMax = 200;
    if (text.size() <= kMax) return text;
    std::size_t end = kMax;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    return text + "…";
  }

  // "context.draftOrders.entry[].resource.id": the member names leading to `key` (the last
  // name seen in each enclosing object); an array adds "[]".
  std::string path_to(std::string_view key) const {
    std::string path;
    for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
      if (levels_[level] == kArray) {
        path += "[]";
        continue;
      }
      // The object's members above the next open object are its own; the last one holds the
      // container that is open inside it.
      const std::size_t end = next_object_begin(level);
      if (end == levels_[level]) continue;
      if (!path.empty()) path += '.';
      path += keys_[end - 1];
    }
    if (!path.empty()) path += '.';
    path += key;
    return path;
  }

  // Where the keys of the first object level above `level` start (keys_.size() when none).
  std::size_t next_object_begin(std::size_t level) const {
    for (std::size_t above = level + 1; above < levels_.size(); ++above) {
      if (levels_[above] != kArray) return levels_[above];
    }
    return keys_.size();
  }

  static constexpr std::size_t kArray = static_cast<std::size_t>(-1);

  rapidjson::Document& doc_;
  const JsonLimits& limits_;
  std::size_t depth_ = 0;  // containers open around the next value
  std::size_t elements_ = 0;
  std::vector<std::string_view> keys_;    // member names of the open objects, outermost first
  std::vector<std::size_t> levels_;       // per open container: its first key in keys_, or kArray
  std::vector<std::string_view> sorted_;  // scratch for large objects
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
