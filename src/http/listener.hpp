// Accepts connections and gives each a Session on its own strand (private to src/http).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>

#include "common/log_limiter.hpp"
#include "http/server_state.hpp"

namespace vcf_cds::http::detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Opens, binds and listens; throws boost::system::system_error (start-up).
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           std::shared_ptr<ServerState> state);
  void run();
  // Thread-safe: stops accepting (the first step of a graceful shutdown).
  void stop();
  unsigned short port() const { return port_; }

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;  // on its own strand
  boost::asio::steady_timer retry_;          // back-off after accept errors such as EMFILE
  std::shared_ptr<ServerState> state_;
  unsigned short port_ = 0;
  common::LogLimiter refused_log_;  // one line per window while connections are refused
};

}  // namespace vcf_cds::http::detail
