// The connection's byte stream: plain TCP, or TLS over TCP when the server has a certificate
// (private to src/http). One type for both, so Session keeps a single code path and Beast's HTTP
// algorithms (async_read, async_write) run unchanged over either.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <utility>
#include <variant>

namespace vcf_cds::http::detail {

class Stream {
 public:
  using plain_stream = boost::beast::tcp_stream;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = plain_stream::executor_type;

  // `tls` null: plain HTTP (e.g. behind a TLS-terminating proxy).
  Stream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context* tls)
      : stream_(make(std::move(socket), tls)) {}

  bool is_tls() const { return std::holds_alternative<tls_stream>(stream_); }
  tls_stream& tls() { return std::get<tls_stream>(stream_); }

  // The TCP layer: timeouts, cancel, half-close.
  plain_stream& tcp() {
    return std::visit([](auto& s) -> plain_stream& { return boost::beast::get_lowest_layer(s); },
                      stream_);
  }
  executor_type get_executor() { return tcp().get_executor(); }
  void expires_after(std::chrono::steady_clock::duration d) { tcp().expires_after(d); }
  void cancel() { tcp().cancel(); }
  void close() { tcp().close(); }
  boost::asio::ip::tcp::socket& socket() { return tcp().socket(); }

  // AsyncReadStream / AsyncWriteStream: decrypts or encrypts when TLS, else passes through.
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    std::visit([&](auto& s) { s.async_read_some(buffers, std::forward<Handler>(handler)); },
               stream_);
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    std::visit([&](auto& s) { s.async_write_some(buffers, std::forward<Handler>(handler)); },
               stream_);
  }

 private:
  using variant = std::variant<plain_stream, tls_stream>;
  static variant make(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context* tls) {
    if (tls != nullptr) return variant(std::in_place_type<tls_stream>, std::move(socket), *tls);
    return variant(std::in_place_type<plain_stream>, std::move(socket));
  }

  variant stream_;
};

}  // namespace vcf_cds::http::detail
