// A small FHIR server on loopback for the prefetch fallback through the real FHIR client: it
// serves a Patient, a paged Condition search (and one whose next page is on another origin), a
// 401 and a stalled reply, and records every request it saw.
#pragma once

// GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized inside Beast's response parser
// (boost::optional in basic_parser::content_length_unchecked); silence it for Beast only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vcf_cds::testing::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// The loopback FHIR server. Base URLs: /fhir (data), /locked (401), /stalled (no answer until
// release_stalled()).
class FhirTestServer {
  using tcp = asio::ip::tcp;

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
  // From now on /stalled answers 503, parked requests first: the test decides when a wait
  // ends instead of waiting for the FHIR client's timeout.
  void release_stalled() {
    asio::post(ioc_, [this] {
      released_ = true;
      for (auto& c : parked_) unavailable(c);
      parked_.clear();
    });
  }
  // Blocks until `count` requests have arrived in all (a call is then waiting on this server).
  void wait_seen(std::size_t count = 1) {
    std::unique_lock lock(mutex_);
    arrived_.wait(lock, [&] { return seen_.size() >= count; });
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
          arrived_.notify_all();
          const std::string_view target = c->request.target();
          if (target.starts_with("/stalled") && released_) return unavailable(c);
          if (target.starts_with("/stalled")) {
            parked_.push_back(c);  // open and silent until release_stalled() or the end
            return;
          }
          c->response = {bhttp::status::ok, 11};
          answer(target, *c);
          do_write(c);
        });
  }

  void unavailable(std::shared_ptr<Connection> c) {
    c->response = {bhttp::status::service_unavailable, 11};
    c->response.body() =
        R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]})";
    do_write(c);
  }

  void do_write(std::shared_ptr<Connection> c) {
    c->response.set(bhttp::field::content_type, "application/fhir+json");
    c->response.keep_alive(c->request.keep_alive());
    c->response.prepare_payload();
    bhttp::async_write(c->socket, c->response, [this, c](beast::error_code ec, std::size_t) {
      if (!ec && c->response.keep_alive()) do_read(c);
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
  std::condition_variable arrived_;
  std::vector<Seen> seen_;
  std::vector<std::shared_ptr<Connection>> parked_;  // these two: on the io thread only
  bool released_ = false;
};

}  // namespace vcf_cds::testing::fakes
