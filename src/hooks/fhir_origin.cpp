// Which FHIR servers the prefetch fallback may reach. The request names its fhirServer, so
// without this list the bearer token would go wherever a caller points it, and the service
// would probe any host and port on its network for them.
//
// Parsing is deliberately narrower than URL syntax: a URL this file cannot read plainly (user
// info, percent-encoded or unusual host characters, a bad port) is simply not allowed, so the
// check and the HTTP client can never disagree about which host a URL names.
#include <algorithm>
#include <string>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lower(text.substr(0, prefix.size())) == prefix;
}

// "0080" and "80" are the same port; an empty or out-of-range port is no port.
std::optional<std::string> normalise_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const unsigned long value = std::stoul(std::string(digits));
  if (value == 0 || value > 65535) return std::nullopt;
  return std::to_string(value);
}

}  // namespace

std::optional<FhirServerAllowList::Origin> parse_origin(std::string_view url, bool any_port) {
  FhirServerAllowList::Origin origin;
  if (starts_with_nocase(url, "https://")) {
    origin.tls = true;
    url.remove_prefix(8);
  } else if (starts_with_nocase(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const std::string_view authority = url.substr(0, url.find_first_of("/?#"));
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    const std::string_view host = authority.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), is_ipv6_char)) return std::nullopt;
    origin.host = lower(host);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const std::size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
    origin.host = lower(host);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (port.empty()) {
    origin.port = origin.tls ? "443" : "80";
  } else if (any_port && port == "*") {
    origin.port = "*";
  } else if (auto normal = normalise_port(port)) {
    origin.port = std::move(*normal);
  } else {
    return std::nullopt;
  }
  return origin;
}

Result<FhirServerAllowList> FhirServerAllowList::parse(const std::vector<std::string>& entries) {
  FhirServerAllowList list;
  for (const auto& entry : entries) {
    std::string_view text = entry;
    while (text.ends_with('/')) text.remove_suffix(1);
    auto origin = parse_origin(text, /*any_port=*/true);
    // An origin only: a path would suggest a finer check than the one made.
    if (!origin || text.find_first_of("/?#", text.find("://") + 3) != std::string_view::npos) {
      return make_error(ErrorCode::bad_request, entry,
                        "'" + entry +
                            "' is not an origin: give http[s]://host[:port] or "
                            "http[s]://host:* (no path, no user info)");
    }
    list.origins_.push_back(std::move(*origin));
  }
  return list;
}

bool FhirServerAllowList::allows(std::string_view url) const {
  if (origins_.empty()) return false;
  const auto origin = parse_origin(url);
  if (!origin) return false;
  return std::any_of(origins_.begin(), origins_.end(), [&](const Origin& allowed) {
    return allowed.tls == origin->tls && allowed.host == origin->host &&
           (allowed.port == "*" || allowed.port == origin->port);
  });
}

std::string_view to_string(PartialReason reason) {
  switch (reason) {
    case PartialReason::page_limit:
      return "page-limit";
    case PartialReason::other_origin:
      return "next-link-to-other-origin";
    case PartialReason::budget:
      return "budget";
    case PartialReason::unavailable:
      return "unavailable";
  }
  return "unknown";
}

}  // namespace vcf_cds::hooks
