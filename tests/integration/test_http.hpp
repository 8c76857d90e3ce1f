// Integration-test helpers: a raw HTTP/1.1 client over a real socket (so tests control every
// byte: partial headers, Expect: 100-continue, two requests per connection). The loopback FHIR
// server the fallback tests call is in fakes/fhir_server.hpp.
#pragma once

// GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized inside Beast's response parser
// (boost::optional in basic_parser::content_length_unchecked); silence it for Beast only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vcf_cds::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using HttpResponse = bhttp::response<bhttp::string_body>;

// One client connection; every operation has a deadline so a broken server fails, not hangs.
class TestClient {
 public:
  explicit TestClient(unsigned short port) : stream_(ioc_) {
    stream_.expires_after(2s);
    beast::error_code ec;
    run(
        [&](auto handler) {
          stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), handler);
        },
        ec);
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  beast::error_code send(const std::string& bytes, std::chrono::milliseconds timeout = 2000ms) {
    stream_.expires_after(timeout);
    beast::error_code ec;
    run([&](auto handler) { asio::async_write(stream_, asio::buffer(bytes), handler); }, ec);
    return ec;
  }

  // The next response (a 100 Continue counts as one); nullopt on timeout or close.
  std::optional<HttpResponse> read(std::chrono::milliseconds timeout = 5000ms) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    stream_.expires_after(timeout);
    beast::error_code ec;
    run([&](auto handler) { bhttp::async_read(stream_, buffer_, parser, handler); }, ec);
    if (ec) return std::nullopt;
    return parser.release();
  }

  // True when the server closes the connection within `timeout` (EOF or reset).
  bool closed_within(std::chrono::milliseconds timeout) {
    stream_.expires_after(timeout);
    std::array<char, 512> scratch{};
    for (;;) {
      beast::error_code ec;
      run([&](auto handler) { stream_.async_read_some(asio::buffer(scratch), handler); }, ec);
      if (ec == beast::error::timeout) return false;
      if (ec) return true;
    }
  }

 private:
  template <class Start>
  void run(Start&& start, beast::error_code& result) {
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// "POST /x HTTP/1.1" with Host, Content-Type and Content-Length, plus `extra` header lines.
inline std::string raw_request(std::string_view method, std::string_view target,
                               std::string_view body = {}, std::string_view extra = {}) {
  std::string text =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n" + "Host: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") {
    text +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  text += std::string(extra);
  text += "\r\n";
  text += std::string(body);
  return text;
}

// One request on a fresh connection.
inline std::optional<HttpResponse> exchange(unsigned short port, std::string_view method,
                                            std::string_view target, std::string_view body = {},
                                            std::string_view extra = {}) {
  TestClient client(port);
  if (client.send(raw_request(method, target, body, extra))) return std::nullopt;
  return client.read();
}

}  // namespace vcf_cds::testing
