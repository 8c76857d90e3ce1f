// State shared by the listener and every session of one Server (private to src/http).
// Held by shared_ptr; Server::Impl keeps the last reference until its threads are joined, so the
// worker pool is never destroyed from one of its own threads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "vcf_cds/http.hpp"

namespace vcf_cds::http::detail {

class Session;

// TLS 1.2+ server context from `options.tls_cert_file`/`tls_key_file`; null when both are empty.
// Throws std::runtime_error naming the file that cannot be used (start-up).
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const ServerOptions& options);

// Work posted through this queue holds at most `limit` threads of `pool` at once; more waits
// here, in order, and starts as earlier work finishes. Other work posted to the pool directly is
// not counted, so it always has the pool's remaining threads.
class BoundedQueue {
 public:
  BoundedQueue(boost::asio::thread_pool& pool, unsigned limit) : pool_(pool), limit_(limit) {}
  void post(std::function<void()> work);
  unsigned limit() const { return limit_; }

 private:
  void run(std::function<void()> work);

  boost::asio::thread_pool& pool_;
  const unsigned limit_;
  std::mutex mutex_;
  unsigned running_ = 0;                       // guarded by mutex_
  std::deque<std::function<void()>> waiting_;  // guarded by mutex_
};

// Worker threads WaitOn::fhir_server work may hold (ServerOptions::fallback_threads): the
// requested number, or three quarters of the workers, leaving at least one for other work.
unsigned fallback_share(unsigned requested, unsigned workers);

struct ServerState {
  ServerState(ServerOptions opts, Handlers hs, unsigned workers, unsigned compute)
      : options(std::move(opts)),
        handlers(std::move(hs)),
        worker_pool(workers),
        compute_pool(compute),
        fallback_queue(worker_pool, fallback_share(options.fallback_threads, workers)) {}

  const ServerOptions options;
  const Handlers handlers;
  boost::asio::thread_pool worker_pool;  // blocking handlers run here, never on I/O threads
  // Handlers::call runs here. A pool as large as the core count: in the (b) benchmark, 2 threads
  // instead of 4 gave a p99 of ~5 ms instead of 7-8 ms (bench/RESULTS.md).
  boost::asio::thread_pool compute_pool;
  // Work waiting on a FHIR server: a bounded share of worker_pool, so however many calls wait on
  // a slow server, feedback, the console and trail reads still find a free worker.
  BoundedQueue fallback_queue;
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
