// Static console files, bearer-token check and the one entry point the router calls.
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "common/sha256.hpp"
#include "console/json.hpp"
#include "vcf_cds/console.hpp"

namespace vcf_cds::console {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "/console";
constexpr std::string_view kApiPrefix = "/console/api/";
constexpr std::uintmax_t kMaxFileBytes = 4 * 1024 * 1024;

// No inline script or style anywhere in deploy/console, so 'self' is the whole policy.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct ContentType {
  std::string_view extension;
  const char* type;
};
constexpr std::array<ContentType, 6> kContentTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
}};

// Libraries the pages load that Debian packages: served from where the package installs them
// (under --console-js-dir) instead of a copy kept in deploy/console.
struct ConsoleLibrary {
  std::string_view url;   // under /console/
  std::string_view file;  // under the js dir
  std::string_view package;
};
constexpr std::array<ConsoleLibrary, 1> kLibraries = {{
    {"lib/markdown-it.js", "markdown-it/markdown-it.js", "libjs-markdown-it"},
}};

ConsoleResponse not_found() {
  return console::error_response(ErrorCode::not_found, "", "no such console file");
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

// Plain names only: [A-Za-z0-9._-] segments, none empty or starting with '.'.
bool safe_relative(std::string_view rel) {
  if (rel.empty() || rel.front() == '/' || rel.back() == '/') return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const std::size_t slash = std::min(rel.find('/', start), rel.size());
    const std::string_view segment = rel.substr(start, slash - start);
    if (segment.empty() || segment.front() == '.') return false;
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    start = slash + 1;
  }
  return true;
}

const char* content_type_of(std::string_view rel) {
  for (const auto& entry : kContentTypes) {
    if (rel.size() > entry.extension.size() && rel.ends_with(entry.extension)) return entry.type;
  }
  return nullptr;
}

bool inside(const fs::path& root, const fs::path& file) {
  const auto [root_end, file_it] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return root_end == root.end() && file_it != file.end();
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

ConsoleResponse unauthorized() {
  ConsoleResponse response{401, "", "", {}};
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vcf-cds console\"");
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

ConsoleResponse not_allowed(const char* allow) {
  ConsoleResponse response = console::error_response(
      ErrorCode::method_not_allowed, "", std::string("use ") + allow + " on this console path");
  response.headers.emplace_back("Allow", allow);
  return response;
}

// The file's bytes with the headers every console file carries (and the page headers for HTML).
ConsoleResponse file_response(const fs::path& file, const char* type) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec || size > kMaxFileBytes) return not_found();
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found();
  std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  ConsoleResponse response{200, type, std::move(body), {}};
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Cache-Control", "no-cache");
  if (std::string_view(type).starts_with("text/html")) {
    response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    response.headers.emplace_back("X-Frame-Options", "DENY");
  }
  return response;
}

}  // namespace

void check_console_libraries(const fs::path& js_dir) {
  for (const auto& library : kLibraries) {
    const fs::path file = js_dir / library.file;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw std::runtime_error(file.string() + ": missing (Debian package " +
                               std::string(library.package) + ")");
    }
  }
}

ConsoleResponse console_static(const fs::path& root, std::string_view target,
                               const fs::path& js_dir) {
  const std::string_view path = path_of(target);
  if (path == kPrefix) {
    ConsoleResponse response{308, "", "", {}};
    response.headers.emplace_back("Location", "/console/");
    return response;
  }
  if (!path.starts_with("/console/")) return not_found();
  std::string_view rel = path.substr(kPrefix.size() + 1);
  if (rel.empty()) rel = "index.html";
  const char* type = content_type_of(rel);
  if (!safe_relative(rel) || type == nullptr) return not_found();
  for (const auto& library : kLibraries) {
    if (rel == library.url) return file_response(js_dir / library.file, type);
  }

  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return not_found();
  const fs::path real_file = fs::canonical(real_root / fs::path(std::string(rel)), ec);
  if (ec || !inside(real_root, real_file) || !fs::is_regular_file(real_file, ec)) {
    return not_found();
  }
  return file_response(real_file, type);
}

bool console_authorized(std::string_view header, std::string_view expected_token) {
  if (expected_token.empty()) return false;
  constexpr std::string_view kScheme = "Bearer";
  if (header.size() <= kScheme.size() || !ascii_iequal(header.substr(0, kScheme.size()), kScheme) ||
      header[kScheme.size()] != ' ') {
    return false;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return false;
  // Equal-length digests compared in constant time: neither content nor length leaks by timing.
  const std::string given = common::sha256_hex(token);
  const std::string expected = common::sha256_hex(expected_token);
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

ConsoleResponse console_handle(const ConsoleContext& context, std::string_view method,
                               std::string_view target, std::string_view authorization,
                               std::string_view body, std::chrono::system_clock::time_point now) {
  const std::string_view path = path_of(target);
  if (!path.starts_with(kApiPrefix)) {
    if (method != "GET" && method != "HEAD") return not_allowed("GET, HEAD");
    return console_static(context.root, target, context.js_dir);
  }
  if (!console_authorized(authorization, context.token)) return unauthorized();

  const std::string_view api = path.substr(kApiPrefix.size());
  if (api == "criteria") {
    if (method != "GET") return not_allowed("GET");
    if (context.knowledge == nullptr) {
      return console::error_response(ErrorCode::unavailable, "", "knowledge not loaded");
    }
    return console_criteria(*context.knowledge);
  }
  if (api == "try") {
    if (method != "POST") return not_allowed("POST");
    if (context.knowledge == nullptr || context.examples == nullptr) {
      return console::error_response(ErrorCode::unavailable, "", "knowledge not loaded");
    }
    return console_try(*context.knowledge, *context.examples, body, now, context.fact_options);
  }
  if (api.starts_with("audit/")) {
    if (method != "GET") return not_allowed("GET");
    if (context.store == nullptr) {
      return console::error_response(ErrorCode::unavailable, "", "no audit store is open");
    }
    return console_audit(*context.store, target);
  }
  return console::error_response(ErrorCode::not_found, "", "no such console API");
}

}  // namespace vcf_cds::console
