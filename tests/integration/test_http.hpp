// Integration-test helpers: a raw HTTP/1.1 client over a real socket (so tests control every
// byte: partial headers, Expect: 100-continue, two requests per connection), and a small FHIR
// server on loopback that serves a Patient, a paged Condition search (and one whose next page is on
// another origin), a 401 and a stalled reply.
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

// The loopback FHIR server. Base URLs: /fhir (data), /locked (401), /stalled (never answers).
class FhirTestServer {
 public:
  struct Seen {
    std::string target;
    std::string authorization;
  };

  FhirTestServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    do_accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~FhirTestServer() {
    ioc_.stop();
    thread_.join();
  }

  std::string base(std::string_view path = "/fhir") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(path);
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::response<bhttp::string_body> response;
  };

  void do_accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto connection = std::make_shared<Connection>(std::move(socket));
      do_read(connection);
      do_accept();
    });
  }

  void do_read(std::shared_ptr<Connection> c) {
    c->request = {};
    bhttp::async_read(
        c->socket, c->buffer, c->request, [this, c](beast::error_code ec, std::size_t) {
          if (ec) return;
          {
            std::lock_guard lock(mutex_);
            seen_.push_back({std::string(c->request.target()),
                             std::string(c->request[bhttp::field::authorization])});
          }
          const std::string_view target = c->request.target();
          if (target.starts_with("/stalled")) {
            parked_.push_back(c);  // keep the socket open and silent until the test ends
            return;
          }
          c->response = {bhttp::status::ok, 11};
          c->response.set(bhttp::field::content_type, "application/fhir+json");
          answer(target, *c);
          c->response.keep_alive(c->request.keep_alive());
          c->response.prepare_payload();
          bhttp::async_write(c->socket, c->response, [this, c](beast::error_code wec, std::size_t) {
            if (!wec && c->response.keep_alive()) do_read(c);
          });
        });
  }

  void answer(std::string_view target, Connection& c) {
    if (target.starts_with("/locked")) {
      c.response.result(bhttp::status::unauthorized);
      c.response.body() =
          R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]})";
      return;
    }
    const std::string page2 = base() + "/Condition?patient=p1&page=2";
    if (target == "/fhir/Patient/p1") {
      c.response.body() = R"({"resourceType":"Patient","id":"p1","birthDate":"1950-05-01"})";
    } else if (target == "/fhir/Condition?patient=p1") {
      c.response.body() =
          R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"self","url":"x"},)"
          R"({"relation":"next","url":")" +
          page2 +
          R"("}],"entry":[{"resource":)"
          R"({"resourceType":"Condition","id":"c-pain","clinicalStatus":{"coding":[{"system":)"
          R"("http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},)"
          R"("code":{"coding":[{"system":"http://snomed.info/sct","code":"279039007"}]},)"
          R"("subject":{"reference":"Patient/p1"}}}]})";
    } else if (target == "/fhir/Condition?patient=p1&page=2") {
      c.response.body() =
          R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":)"
          R"({"resourceType":"Condition","id":"c-cancer","clinicalStatus":{"coding":[{"system":)"
          R"("http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]},)"
          R"("code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"Z85.3"}]},)"
          R"("subject":{"reference":"Patient/p1"}}}]})";
    } else if (target == "/fhir/Condition?patient=p-cross") {
      // Back pain on the first page; the next page is on another origin, never followed.
      c.response.body() =
          R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":)"
          R"("http://elsewhere.invalid/fhir/Condition?patient=p-cross&page=2"}],"entry":[)"
          R"({"resource":{"resourceType":"Condition","id":"c-pain","clinicalStatus":{"coding":)"
          R"([{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":)"
          R"("active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":)"
          R"("279039007"}]},"subject":{"reference":"Patient/p-cross"}}}]})";
    } else if (target.starts_with("/fhir/Procedure?") || target.starts_with("/fhir/Observation?")) {
      c.response.body() = R"({"resourceType":"Bundle","type":"searchset","total":0})";
    } else {
      c.response.result(bhttp::status::not_found);
      c.response.body() =
          R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]})";
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<std::shared_ptr<Connection>> parked_;
};

}  // namespace vcf_cds::testing
