// Blocking HTTP(S) GET for prefetch fallback (CDS Hooks 2.0 "FHIR Resource Access").
//
// Each call runs Beast's async operations on a private io_context on the calling (worker)
// thread: the code stays sequential while tcp_stream's deadline bounds every step (resolve,
// connect, TLS handshake, write, read) by one overall timeout. TLS is verified against the system
// roots, with SNI and host-name verification. Responses are size-limited; redirects are not
// followed (the bearer token must stay with the server the client named).
#include <openssl/ssl.h>

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "vcf_cds/http_client.hpp"

namespace vcf_cds::http_client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Error unavailable(std::string message) {
  return make_error(ErrorCode::unavailable, "fhirServer", std::move(message));
}

// Starts one async operation and runs the private io_context until it completes; the stream's
// deadline (set by the caller) turns a stalled operation into beast::error::timeout.
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start&& start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

std::string describe(std::string_view step, beast::error_code ec,
                     std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return std::string(step) + " timed out (limit " + std::to_string(timeout.count()) + " ms)";
  }
  return std::string(step) + " failed: " + ec.message();
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  Url url;
  if (text.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    return make_error(ErrorCode::bad_request, "fhirServer",
                      "URL must start with http:// or https://");
  }
  const std::size_t end = text.find_first_of("/?#");
  std::string_view authority = text.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view{} : text.substr(end);
  rest = rest.substr(0, rest.find('#'));
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorCode::bad_request, "fhirServer", "URL must not carry credentials");
  }
  std::string_view port;
  if (authority.starts_with('[')) {  // IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::bad_request, "fhirServer", "unterminated IPv6 address");
    }
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return make_error(ErrorCode::bad_request, "fhirServer", "malformed host");
      }
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return make_error(ErrorCode::bad_request, "fhirServer", "URL has no host");
  if (port.empty()) port = url.tls ? "443" : "80";
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(port)) > 65535) {
    return make_error(ErrorCode::bad_request, "fhirServer", "malformed port");
  }
  url.port = std::string(port);
  url.target =
      rest.empty() ? "/" : (rest.starts_with('?') ? "/" + std::string(rest) : std::string(rest));
  return url;
}

struct FhirClient::Impl {
  explicit Impl(FhirClientOptions opts) : options(std::move(opts)) {
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::no_compression);
    tls.set_default_verify_paths();
    tls.set_verify_mode(ssl::verify_peer);
  }

  template <class Stream>
  Result<hooks::FhirResponse> exchange(asio::io_context& ioc, Stream& stream, const Url& url,
                                       std::string_view bearer, const GetLimits& limits) {
    const auto timeout = limits.timeout;
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.target, 11};
    const bool default_port = url.port == (url.tls ? "443" : "80");
    const std::string host =
        url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    request.set(bhttp::field::host, default_port ? host : host + ":" + url.port);
    request.set(bhttp::field::user_agent, options.user_agent);
    request.set(bhttp::field::accept, "application/fhir+json, application/json");
    if (!bearer.empty()) request.set(bhttp::field::authorization, "Bearer " + std::string(bearer));
    request.keep_alive(false);
    auto ec = run_op(ioc, [&](auto handler) { bhttp::async_write(stream, request, handler); });
    if (ec) return unavailable(describe("sending the request", ec, timeout));

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(limits.max_bytes);
    parser.header_limit(64 * 1024);
    ec = run_op(ioc, [&](auto handler) { bhttp::async_read(stream, buffer, parser, handler); });
    if (ec == bhttp::error::body_limit) {
      // The call's budget, not this client's own limit, is what a caller can act on.
      return make_error(limits.budget_bytes ? ErrorCode::payload_too_large : ErrorCode::unavailable,
                        "fhirServer",
                        "response larger than " + std::to_string(limits.max_bytes) + " bytes");
    }
    if (ec) return unavailable(describe("reading the response", ec, timeout));
    auto response = parser.release();
    return hooks::FhirResponse{response.result_int(), std::move(response.body())};
  }

  FhirClientOptions options;
  ssl::context tls{ssl::context::tls_client};
};

FhirClient::FhirClient(FhirClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FhirClient::~FhirClient() = default;

Result<hooks::FhirResponse> FhirClient::get(std::string_view text, std::string_view bearer) {
  return fetch(text, bearer, {impl_->options.timeout, impl_->options.max_response_bytes, false});
}

Result<hooks::FhirResponse> FhirClient::get_within(std::string_view text, std::string_view bearer,
                                                   const hooks::FetchLimits& limits) {
  GetLimits tighter{impl_->options.timeout, impl_->options.max_response_bytes, false};
  tighter.timeout = std::min(tighter.timeout, limits.time);
  if (limits.bytes < tighter.max_bytes) {
    tighter.max_bytes = limits.bytes;
    tighter.budget_bytes = true;
  }
  return fetch(text, bearer, tighter);
}

Result<hooks::FhirResponse> FhirClient::fetch(std::string_view text, std::string_view bearer,
                                              const GetLimits& limits) {
  auto url = parse_url(text);
  if (!url) return unavailable(url.error().message);
  const auto timeout = limits.timeout;
  const auto deadline = Clock::now() + timeout;
  asio::io_context ioc;

  // The resolver has no deadline of its own: bound it with run_until and cancel.
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = asio::error::timed_out;
  bool resolved = false;
  resolver.async_resolve(url->host, url->port,
                         [&](beast::error_code e, tcp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                           resolved = true;
                         });
  ioc.run_until(deadline);
  if (!resolved) {
    resolver.cancel();
    ioc.restart();
    ioc.run();
    return unavailable(describe("resolving " + url->host, beast::error::timeout, timeout));
  }
  if (ec) return unavailable(describe("resolving " + url->host, ec, timeout));

  auto connect = [&](beast::tcp_stream& tcp_stream) {
    tcp_stream.expires_at(deadline);
    return run_op(ioc, [&](auto handler) { tcp_stream.async_connect(endpoints, handler); });
  };
  if (!url->tls) {
    beast::tcp_stream stream(ioc);
    if (auto e = connect(stream)) return unavailable(describe("connecting", e, timeout));
    return impl_->exchange(ioc, stream, *url, bearer, limits);
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, impl_->tls);
  // SNI (virtual hosting) and certificate host-name check against the URL's host.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
    return unavailable("cannot set TLS server name");
  }
  stream.set_verify_callback(ssl::host_name_verification(url->host));
  if (auto e = connect(beast::get_lowest_layer(stream))) {
    return unavailable(describe("connecting", e, timeout));
  }
  if (auto e = run_op(
          ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); })) {
    return unavailable(describe("TLS handshake", e, timeout));
  }
  return impl_->exchange(ioc, stream, *url, bearer, limits);
}

}  // namespace vcf_cds::http_client
