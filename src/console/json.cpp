#include "console/json.hpp"

#include <rapidjson/document.h>

#include "vcf_cds/http.hpp"

namespace vcf_cds::console {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void add_api_headers(ConsoleResponse& response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

}  // namespace

void write_json_text(JsonWriter& w, std::string_view text) {
  rapidjson::Document doc;
  if (!text.empty()) {
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (!doc.HasParseError() && (doc.IsObject() || doc.IsArray())) {
      doc.Accept(w);
      return;
    }
  }
  write_string(w, text);
}

ConsoleResponse json_ok(std::string body) {
  ConsoleResponse response{200, "application/json", std::move(body), {}};
  add_api_headers(response);
  return response;
}

ConsoleResponse error_response(const Error& error) {
  const http::Response mapped = http::error_response(error);
  ConsoleResponse response{static_cast<int>(mapped.status), mapped.content_type, mapped.body, {}};
  add_api_headers(response);
  return response;
}

std::optional<std::string> percent_decode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && query) {
      out += ' ';
    } else if (c == '\0') {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query) {
  std::map<std::string, std::string, std::less<>> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) {
      return make_error(ErrorCode::bad_request, name ? *name : std::string(pair.substr(0, eq)),
                        "bad percent-encoding in the query string");
    }
    if (!params.emplace(*name, std::move(*value)).second) {
      return make_error(ErrorCode::bad_request, *name, "query parameter given more than once");
    }
  }
  return params;
}

}  // namespace vcf_cds::console
