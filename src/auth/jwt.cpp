#include "auth/jwt.hpp"

#include <rapidjson/document.h>

#include "auth/base64url.hpp"

namespace vcf_cds::auth {
namespace {

constexpr std::size_t max_members = 64;
constexpr std::size_t max_string = 2048;  // bounds what a jti/iss may cost the replay cache

using Value = rapidjson::Value;

Error malformed(std::string message) {
  return auth_error(Reason::malformed, std::move(message));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Decodes one segment into a JSON object without duplicate names: two parsers that pick
// different duplicates would disagree about what was signed.
Result<rapidjson::Document> decode_object(std::string_view segment, const char* what) {
  const auto json = decode_base64url(segment);
  if (!json) return malformed(std::string(what) + " is not strict base64url");
  // RapidJSON takes a NUL byte for the end of input; JSON text never contains a raw one.
  if (json->find('\0') != std::string::npos) return malformed(std::string(what) + " has a NUL");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json->data(),
                                                                                    json->size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return malformed(std::string(what) + " is not a JSON object");
  }
  if (doc.MemberCount() > max_members)
    return malformed(std::string(what) + " has too many members");
  for (auto a = doc.MemberBegin(); a != doc.MemberEnd(); ++a) {
    for (auto b = doc.MemberBegin(); b != a; ++b) {
      if (a->name == b->name) return malformed(std::string(what) + " has a duplicate member");
    }
  }
  return doc;
}

// Absent -> nullopt; present -> the string, or an error when not a (short) string.
Result<std::optional<std::string>> optional_string(const Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return std::optional<std::string>();
  if (!it->value.IsString() || it->value.GetStringLength() > max_string) {
    return malformed(std::string(name) + " must be a string");
  }
  return std::optional<std::string>(
      std::string(it->value.GetString(), it->value.GetStringLength()));
}

// RFC 7519 NumericDate: integer or fractional seconds since the epoch. Kept within
// [0, 8e9] s (year 2223) so conversion to system_clock's nanoseconds cannot overflow.
Result<std::optional<std::int64_t>> optional_date(const Value& object, const char* name) {
  constexpr double max_date = 8e9;
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return std::optional<std::int64_t>();
  const Value& v = it->value;
  if (!v.IsNumber() || !(v.GetDouble() >= 0 && v.GetDouble() <= max_date)) {
    return malformed(std::string(name) + " must be a NumericDate");
  }
  const auto seconds = v.IsInt64() ? v.GetInt64() : static_cast<std::int64_t>(v.GetDouble());
  return std::optional<std::int64_t>(seconds);
}

Result<JoseHeader> read_header(const Value& h) {
  JoseHeader header;
  auto alg = optional_string(h, "alg");
  if (!alg) return std::move(alg).error();
  if (!alg.value()) return malformed("header has no alg");
  const auto parsed = parse_alg(*alg.value());
  if (!parsed) return auth_error(Reason::alg_not_allowed, "alg is not ES256/ES384/RS256/RS384");
  header.alg = *parsed;
  // RFC 7515 §4.1.9: typ is a media type, compared case-insensitively, "application/" optional.
  auto typ = optional_string(h, "typ");
  if (!typ) return std::move(typ).error();
  if (typ.value() && !iequals(*typ.value(), "JWT") && !iequals(*typ.value(), "application/jwt")) {
    return malformed("typ must be JWT");
  }
  // RFC 7515 §4.1.11: extensions we do not understand must be refused.
  if (h.HasMember("crit")) return malformed("crit header extensions are not supported");
  auto kid = optional_string(h, "kid");
  if (!kid) return std::move(kid).error();
  header.kid = kid.value().value_or("");
  auto jku = optional_string(h, "jku");
  if (!jku) return std::move(jku).error();
  header.jku = std::move(jku).value();
  return header;
}

Result<Claims> read_claims(const Value& p) {
  Claims claims;
  for (auto [name, target] : {std::pair{"iss", &claims.iss}, std::pair{"sub", &claims.sub},
                              std::pair{"tenant", &claims.tenant}, std::pair{"jti", &claims.jti}}) {
    auto value = optional_string(p, name);
    if (!value) return std::move(value).error();
    *target = std::move(value).value();
  }
  for (auto [name, target] : {std::pair{"exp", &claims.exp}, std::pair{"iat", &claims.iat},
                              std::pair{"nbf", &claims.nbf}}) {
    auto value = optional_date(p, name);
    if (!value) return std::move(value).error();
    *target = value.value();
  }
  // RFC 7519 §4.1.3: aud is a string or an array of strings.
  const auto aud = p.FindMember("aud");
  if (aud != p.MemberEnd()) {
    claims.has_aud = true;
    const auto add = [&claims](const Value& v) {
      if (!v.IsString()) return false;
      claims.aud.emplace_back(v.GetString(), v.GetStringLength());
      return true;
    };
    bool ok = aud->value.IsArray() ? aud->value.Size() <= max_members : add(aud->value);
    if (aud->value.IsArray()) {
      for (const auto& item : aud->value.GetArray()) ok = ok && add(item);
    }
    if (!ok) return malformed("aud must be a string or an array of strings");
  }
  return claims;
}

}  // namespace

Error auth_error(Reason reason, std::string message) {
  return make_error(ErrorCode::unauthorized, std::string(reason_label(reason)), std::move(message));
}

Result<ParsedToken> parse_compact(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return malformed("token is not three dot-separated segments");
  }
  ParsedToken parsed;
  parsed.signing_input = token.substr(0, second);
  auto header = decode_object(token.substr(0, first), "JOSE header");
  if (!header) return std::move(header).error();
  auto jose = read_header(header.value());
  if (!jose) return std::move(jose).error();
  parsed.header = std::move(jose).value();
  auto payload = decode_object(token.substr(first + 1, second - first - 1), "payload");
  if (!payload) return std::move(payload).error();
  auto claims = read_claims(payload.value());
  if (!claims) return std::move(claims).error();
  parsed.claims = std::move(claims).value();
  auto signature = decode_base64url(token.substr(second + 1));
  if (!signature) return malformed("signature is not strict base64url");
  parsed.signature = std::move(*signature);
  return parsed;
}

}  // namespace vcf_cds::auth
