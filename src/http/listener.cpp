// The accept loop (STYLE §1): one pending accept; each new socket on a fresh strand.
#include "http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "http/session.hpp"

namespace vcf_cds::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// Over the connection cap: a plain-HTTP client gets a 503 it can read (a fresh socket's send
// buffer takes these few bytes at once, so no write is left pending), then the socket closes.
// A TLS client is only closed: a 503 would need a handshake first.
void refuse(tcp::socket socket, bool tls) {
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n"
      "Connection: close\r\n\r\n";
  beast::error_code ec;
  if (!tls) {
    socket.non_blocking(true, ec);
    if (!ec) socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

void ServerState::add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex_);
  std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
  sessions_.push_back(session);
}

void ServerState::close_idle_sessions() {
  std::lock_guard lock(sessions_mutex_);
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->shutdown();
  }
}

Listener::Listener(asio::io_context& ioc, const tcp::endpoint& endpoint,
                   std::shared_ptr<ServerState> state)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      retry_(acceptor_.get_executor()),
      state_(std::move(state)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Listener::run() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->retry_.cancel();
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(asio::make_strand(ioc_),
                         beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
  if (ec) {
    // Usually fd exhaustion: back off instead of spinning, then accept again.
    spdlog::warn("accept failed: {}", ec.message());
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  const std::size_t cap = state_->options.max_connections;
  if (cap != 0 && state_->connections.load(std::memory_order_relaxed) >= cap) {
    refuse(std::move(socket), state_->tls != nullptr);
    if (state_->handlers.connection_refused) state_->handlers.connection_refused();
    if (const auto left_out = refused_log_.admit()) {
      spdlog::warn("connection refused: {} connections open (--max-connections){}", cap,
                   common::LogLimiter::left_out(*left_out));
    }
    do_accept();
    return;
  }
  state_->connections.fetch_add(1, std::memory_order_relaxed);
  auto session = std::make_shared<Session>(std::move(socket), state_);
  state_->add(session);
  session->run();
  do_accept();
}

}  // namespace vcf_cds::http::detail
