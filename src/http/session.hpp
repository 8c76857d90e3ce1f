// One HTTP/1.1 connection, over TLS when configured: (handshake) -> read -> route -> handle
// (inline, or on the compute or worker pool) -> write, with keep-alive, `Expect: 100-continue`,
// body/header limits and per-phase timeouts.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http/server_state.hpp"
#include "http/stream.hpp"

namespace vcf_cds::http::detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state);
  ~Session();  // gives back its place under ServerOptions::max_connections
  // Starts the read loop on the session's strand.
  void run();
  // Thread-safe: closes the connection now if it is waiting for a request; otherwise it closes
  // after the response to the request in progress.
  void shutdown();

 private:
  using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void do_handshake();
  void on_handshake(boost::beast::error_code ec);
  void do_wait();
  void on_wait(boost::beast::error_code ec, std::size_t bytes);
  void do_read_header();
  void on_read_header(boost::beast::error_code ec, std::size_t bytes);
  void do_continue();
  void on_continue(boost::beast::error_code ec, std::size_t bytes);
  void do_read_body();
  void on_read_body(boost::beast::error_code ec, std::size_t bytes);
  void handle_request();
  void dispatch_to_pool(Route route);
  void reply_to_read_error(boost::beast::error_code ec);
  void do_write(Response response, bool close);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void after_large_exchange();
  void do_linger();
  void on_linger(boost::beast::error_code ec, std::size_t bytes);
  void do_close();

  Stream stream_;  // TLS when the server has a certificate
  boost::beast::flat_buffer buffer_;
  std::optional<request_parser> parser_;  // fresh per message: parsers are single-use
  boost::beast::http::response<boost::beast::http::empty_body> continue_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  std::shared_ptr<ServerState> state_;
  bool idle_ = false;      // waiting for the first byte of a request: safe to close on shutdown
  bool linger_ = false;    // request body left unread: drain it before closing
  unsigned version_ = 11;  // of the request being answered
  bool keep_alive_ = false;
  std::size_t drained_ = 0;
  // For Handlers::observe: the request's route and when its first byte arrived.
  RouteKind observed_kind_ = RouteKind::not_found;
  std::string observed_service_;
  std::chrono::steady_clock::time_point started_;
  std::size_t request_bytes_ = 0;  // the body of the request being answered
  std::array<char, 4096> drain_buffer_{};
};

}  // namespace vcf_cds::http::detail
