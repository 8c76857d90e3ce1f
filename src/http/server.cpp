// Server: one io_context run by N I/O threads, a compute pool for calls, a worker pool for
// blocking handlers (work waiting on a FHIR server holds a bounded share of it), and a graceful
// shutdown on SIGINT/SIGTERM or shutdown(): stop accepting, close idle connections, let
// in-flight requests finish (their tracked work keeps run() alive), then drain ("flush audit")
// once every thread has returned.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "http/listener.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::http {

namespace asio = boost::asio;

namespace detail {

unsigned fallback_share(unsigned requested, unsigned workers) {
  if (workers <= 1) return 1;  // nothing to keep back
  const unsigned share = requested > 0 ? requested : workers * 3 / 4;
  return std::clamp(share, 1u, workers - 1);
}

void BoundedQueue::post(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (running_ >= limit_) {
      waiting_.push_back(std::move(work));
      return;
    }
    ++running_;
  }
  asio::post(pool_, [this, work = std::move(work)]() mutable { run(std::move(work)); });
}

void BoundedQueue::run(std::function<void()> work) {
  try {
    work();
  } catch (const std::exception& e) {
    spdlog::error("worker: unhandled exception: {}", e.what());
  } catch (...) {
    spdlog::error("worker: unhandled non-standard exception");
  }
  std::function<void()> next;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      --running_;
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  // The place passes to the next in line; posted, not run here, so work queued on the pool
  // meanwhile is not overtaken.
  asio::post(pool_, [this, next = std::move(next)]() mutable { run(std::move(next)); });
}

}  // namespace detail

struct Server::Impl {
  Impl(ServerOptions options, Handlers handlers) {
    const unsigned threads = std::max(1u, options.threads);
    const unsigned workers = options.worker_threads > 0 ? options.worker_threads : 2 * threads;
    const unsigned compute = options.compute_threads > 0 ? options.compute_threads : threads;
    options.threads = threads;
    state = std::make_shared<detail::ServerState>(std::move(options), std::move(handlers), workers,
                                                  compute);
  }

  void begin_shutdown() {
    // Runs on the control strand, once.
    if (state->draining.exchange(true)) return;
    spdlog::info("shutting down: no new connections; finishing requests in flight");
    if (listener) listener->stop();
    if (signals) {
      boost::system::error_code ec;
      signals->cancel(ec);
    }
    state->close_idle_sessions();
  }

  std::shared_ptr<detail::ServerState> state;  // declared first: destroyed after the io_context
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> control{ioc.get_executor()};
  std::shared_ptr<detail::Listener> listener;
  std::optional<asio::signal_set> signals;
  std::vector<std::thread> threads;
  std::mutex wait_mutex;
  bool started = false;
  bool joined = false;
};

Server::Server(ServerOptions options, Handlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

Server::~Server() {
  if (impl_->started && !impl_->joined) {
    shutdown();
    wait();
  }
}

void Server::start() {
  Impl& impl = *impl_;
  const ServerOptions& options = impl.state->options;
  impl.state->tls = detail::make_tls_context(options);  // before any session can exist
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
  impl.listener = std::make_shared<detail::Listener>(impl.ioc, endpoint, impl.state);
  impl.listener->run();
  if (options.handle_signals) {
    impl.signals.emplace(impl.control, SIGINT, SIGTERM);
    impl.signals->async_wait([&impl](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("received signal {}", signal);
      impl.begin_shutdown();
    });
  }
  impl.started = true;
  for (unsigned i = 0; i < options.threads; ++i) {
    impl.threads.emplace_back([&impl] {
      // A handler that throws must not take the I/O thread (and the service) with it.
      for (;;) {
        try {
          impl.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("I/O thread: unhandled exception: {}", e.what());
        }
      }
    });
  }
}

unsigned short Server::port() const {
  return impl_->listener ? impl_->listener->port() : 0;
}

void Server::shutdown() {
  asio::post(impl_->control, [impl = impl_.get()] { impl->begin_shutdown(); });
}

void Server::wait() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.wait_mutex);
  if (impl.joined || !impl.started) return;
  for (std::thread& thread : impl.threads) thread.join();
  impl.state->compute_pool.join();  // first: its calls may still offload to the worker pool
  impl.state->worker_pool.join();
  impl.joined = true;
  if (impl.state->handlers.drain) impl.state->handlers.drain();
  spdlog::info("stopped");
}

}  // namespace vcf_cds::http
