// State shared by the listener and every session of one Server (private to src/http).
// Held by shared_ptr; Server::Impl keeps the last reference until its threads are joined, so the
// worker pool is never destroyed from one of its own threads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "vcf_cds/http.hpp"

namespace vcf_cds::http::detail {

class Session;

// TLS 1.2+ server context from `options.tls_cert_file`/`tls_key_file`; null when both are empty.
// Throws std::runtime_error naming the file that cannot be used (start-up).
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const ServerOptions& options);

struct ServerState {
  ServerState(ServerOptions opts, Handlers hs, unsigned workers, unsigned compute)
      : options(std::move(opts)),
        handlers(std::move(hs)),
        worker_pool(workers),
        compute_pool(compute) {}

  const ServerOptions options;
  const Handlers handlers;
  boost::asio::thread_pool worker_pool;  // blocking handlers run here, never on I/O threads
  // Handlers::call runs here. A pool as large as the core count: in the (b) benchmark, 2 threads
  // instead of 4 gave a p99 of ~5 ms instead of 7-8 ms (bench/RESULTS.md).
  boost::asio::thread_pool compute_pool;
  std::atomic<bool> draining{false};  // set once by shutdown; sessions stop keeping alive
  // Sessions alive: raised by the listener (one strand) before a Session exists, lowered when
  // it is destroyed, so the listener's check against max_connections never overshoots.
  std::atomic<std::size_t> connections{0};
  std::unique_ptr<boost::asio::ssl::context> tls;  // set by Server::start; null: plain HTTP

  // Live sessions, so shutdown can close the idle ones (weak: a session dies with its socket).
  void add(const std::shared_ptr<Session>& session);
  void close_idle_sessions();

 private:
  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

}  // namespace vcf_cds::http::detail
