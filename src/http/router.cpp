// Pure routing: (method, target) -> what to do. No sockets, so it is tested directly.
#include "vcf_cds/http.hpp"

namespace vcf_cds::http {
namespace {

constexpr std::string_view kPrefix = "/cds-services";

Route make(RouteKind kind, std::string_view allow, std::string_view id = {}) {
  return Route{kind, std::string(id), std::string(allow)};
}

// Picks the route for a method on a path that accepts `method_ok` (GET or POST) plus OPTIONS.
Route by_method(std::string_view method, std::string_view method_ok, RouteKind kind,
                std::string_view id = {}) {
  const std::string allow = std::string(method_ok) + ", OPTIONS";
  if (method == method_ok) return make(kind, allow, id);
  if (method == "OPTIONS") return make(RouteKind::preflight, allow, id);
  return make(RouteKind::method_not_allowed, allow, id);
}

bool valid_id(std::string_view id) {
  if (id.empty()) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Route route(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);

  if (path == "/healthz") return by_method(method, "GET", RouteKind::health);
  if (path == "/readyz") return by_method(method, "GET", RouteKind::ready);
  if (path == "/metrics") return by_method(method, "GET", RouteKind::metrics);
  if (path == kPrefix) return by_method(method, "GET", RouteKind::discovery);
  if (path == "/criteria" || path.starts_with("/criteria/")) {
    return by_method(method, "GET", RouteKind::evidence);
  }
  if (path == "/console" || path.starts_with("/console/")) {
    if (method == "GET" || method == "POST") return make(RouteKind::console, "GET, POST, OPTIONS");
    if (method == "OPTIONS") return make(RouteKind::preflight, "GET, POST, OPTIONS");
    return make(RouteKind::method_not_allowed, "GET, POST, OPTIONS");
  }
  if (!path.starts_with(kPrefix) || path[kPrefix.size()] != '/')
    return make(RouteKind::not_found, "");

  std::string_view rest = path.substr(kPrefix.size() + 1);
  const std::size_t slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  if (!valid_id(id)) return make(RouteKind::not_found, "");
  if (slash == std::string_view::npos) return by_method(method, "POST", RouteKind::call, id);
  if (rest.substr(slash + 1) == "feedback")
    return by_method(method, "POST", RouteKind::feedback, id);
  return make(RouteKind::not_found, "");
}

}  // namespace vcf_cds::http
