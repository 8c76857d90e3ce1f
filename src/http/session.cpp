// One connection, in execution order (STYLE §1): wait for a request (idle timeout), read its
// header (header timeout), answer `Expect: 100-continue`, read the body (read timeout, body
// limit), handle it, write the response (after a large exchange, let go of its bodies and hand
// Handlers::after_large_exchange to a worker), and loop while keep-alive holds.
#include "http/session.hpp"

#include <atomic>
#include <functional>

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace vcf_cds::http::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr std::uint64_t kBodyReadRoom = 64 * 1024;  // most read-buffer room set aside for a body

using Reply = std::function<void(Response)>;

Response to_response(Result<std::string> result) {
  if (!result) return error_response(result.error());
  return Response{200, "application/json", std::move(*result), {}, {}};
}

// Runs `work`; whatever it throws is logged and answered 500 (an `answer` that already went
// out stays the only one: answers are once-only).
template <class Work>
void answer_on_throw(std::string_view service_id, const Reply& answer, Work&& work) {
  try {
    work();
    return;
  } catch (const std::exception& e) {
    spdlog::error("handler for {} threw: {}", service_id, e.what());
  } catch (...) {
    spdlog::error("handler for {} threw a non-standard exception", service_id);
  }
  answer(error_response(make_error(ErrorCode::internal, "", "internal error")));
}

// Runs a pool-side handler and answers through `reply` exactly once; `call` may do so
// later from another thread, and from work it hands to `to_workers`. The catch-all maps
// surprises to 500, in the handler and in that work alike.
void run_handler(const Handlers& handlers, const Route& route, std::string&& body,
                 std::string_view authorization, std::string_view method, std::string_view target,
                 const Offload& to_workers, const Reply& reply) {
  // Shared with the call handler's callback: if the handler throws after handing it on, the 500
  // below and a late answer cannot both be sent.
  auto once = std::make_shared<std::atomic<bool>>(false);
  const Reply answer = [once, reply](Response response) {
    if (!once->exchange(true)) reply(std::move(response));
  };
  const Offload offload = [to_workers, answer, service = route.service_id](
                              WaitOn wait, std::function<void()> work) {
    to_workers(wait, [work = std::move(work), answer, service] {
      answer_on_throw(service, answer, work);
    });
  };
  answer_on_throw(route.service_id, answer, [&] {
    if (route.kind == RouteKind::console) {
      if (!handlers.console) {
        return answer(error_response(make_error(ErrorCode::not_found, "", "the console is off")));
      }
      return answer(handlers.console(method, target, authorization, std::move(body)));
    }
    if (route.kind == RouteKind::call && handlers.call) {
      return handlers.call(
          route.service_id, std::move(body), authorization, offload,
          [answer](Result<std::string> result) { answer(to_response(std::move(result))); });
    }
    if (route.kind == RouteKind::feedback && handlers.feedback) {
      Status status = handlers.feedback(route.service_id, std::move(body), authorization);
      if (!status) return answer(error_response(status.error()));
      return answer(Response{200, {}, {}, {}, {}});  // Sandbox ignores the body; 2.0 defines none
    }
    answer(error_response(make_error(ErrorCode::not_found, "", "endpoint not configured")));
  });
}

bool is_disconnect(beast::error_code ec) {
  return ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
         ec == asio::error::eof || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

Session::Session(asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state)
    : stream_(std::move(socket), state->tls.get()), state_(std::move(state)) {}

Session::~Session() {
  state_->connections.fetch_sub(1, std::memory_order_relaxed);
}

void Session::run() {
  // The socket's executor is this session's strand; start there.
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->stream_.is_tls()) return self->do_handshake();
    self->do_wait();
  });
}

void Session::do_handshake() {
  // The handshake counts as the start of the first request: a client that connects and stalls
  // (or speaks plain HTTP) is dropped after the header timeout, like a slow header.
  stream_.expires_after(state_->options.header_timeout);
  stream_.tls().async_handshake(
      asio::ssl::stream_base::server,
      beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
}

void Session::on_handshake(beast::error_code ec) {
  if (ec) {
    // Old protocol versions, plain HTTP, scanners: nothing to answer in TLS; just close.
    spdlog::debug("TLS handshake failed: {}", ec.message());
    return stream_.close();
  }
  do_wait();
}

void Session::shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_) self->stream_.cancel();  // on_wait sees operation_aborted and closes
  });
}

void Session::do_wait() {
  if (state_->draining) return do_close();
  // Pipelined bytes already buffered: that request has begun.
  if (buffer_.size() > 0) return do_read_header();
  idle_ = true;
  stream_.expires_after(state_->options.idle_timeout);
  // As much as the buffer holds: after one large request, the next arrives in one read.
  const std::size_t room = std::max<std::size_t>(4096, buffer_.capacity() - buffer_.size());
  stream_.async_read_some(buffer_.prepare(room),
                          beast::bind_front_handler(&Session::on_wait, shared_from_this()));
}

void Session::on_wait(beast::error_code ec, std::size_t bytes) {
  idle_ = false;
  if (ec) return do_close();  // idle timeout, client closed, or shutdown
  buffer_.commit(bytes);
  do_read_header();
}

void Session::do_read_header() {
  started_ = std::chrono::steady_clock::now();
  observed_kind_ = RouteKind::not_found;  // an unreadable request counts as "other"
  observed_service_.clear();
  request_bytes_ = 0;
  parser_.emplace();
  parser_->body_limit(state_->options.body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
  // From the first byte, the whole header must arrive within the header timeout (slowloris).
  stream_.expires_after(state_->options.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
}

void Session::on_read_header(beast::error_code ec, std::size_t) {
  if (ec) return reply_to_read_error(ec);
  const auto& header = parser_->get();
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  if (parser_->is_done()) return handle_request();
  if (version_ >= 11 && beast::iequals(header[bhttp::field::expect], "100-continue")) {
    return do_continue();
  }
  do_read_body();
}

void Session::do_continue() {
  // The body fits the limit (the parser checked Content-Length); ask the client to send it.
  continue_ = {bhttp::status::continue_, version_};
  stream_.expires_after(state_->options.read_timeout);
  bhttp::async_write(stream_, continue_,
                     beast::bind_front_handler(&Session::on_continue, shared_from_this()));
}

void Session::on_continue(beast::error_code ec, std::size_t) {
  if (ec) return do_close();
  do_read_body();
}

void Session::do_read_body() {
  // Beast reads as much as the buffer has room for, and the parser moves body bytes out of it as
  // they come: with the 4 KB a connection starts with, a 25 KB body took seven reads.
  // Room for the body (Content-Length, already checked against the limit), up to 64 KB: a client
  // announcing a large body and sending it slowly holds no more than that here.
  if (const auto length = parser_->content_length()) {
    const std::size_t wanted =
        buffer_.size() + static_cast<std::size_t>(std::min<std::uint64_t>(*length, kBodyReadRoom));
    if (wanted > buffer_.capacity()) buffer_.reserve(wanted);
  }
  stream_.expires_after(state_->options.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_read_body, shared_from_this()));
}

void Session::on_read_body(beast::error_code ec, std::size_t) {
  if (ec) return reply_to_read_error(ec);
  handle_request();
}

void Session::reply_to_read_error(beast::error_code ec) {
  if (is_disconnect(ec)) return do_close();
  linger_ = true;  // the rest of the request is unread; drain it so the client sees our reply
  const auto& options = state_->options;
  if (ec == bhttp::error::body_limit) {
    return do_write(error_response(make_error(ErrorCode::payload_too_large, "",
                                              "request body exceeds the limit of " +
                                                  std::to_string(options.body_limit) + " bytes")),
                    true);
  }
  if (ec == bhttp::error::header_limit) {
    return do_write(error_response(make_error(ErrorCode::payload_too_large, "",
                                              "request header exceeds the limit of " +
                                                  std::to_string(options.header_limit) + " bytes")),
                    true);
  }
  do_write(error_response(
               make_error(ErrorCode::bad_request, "", "malformed HTTP request: " + ec.message())),
           true);
}

void Session::handle_request() {
  const auto& request = parser_->get();
  request_bytes_ = request.body().size();
  Route matched;
  Response response;
  try {
    matched = route(request.method_string(), request.target());
    observed_kind_ = matched.kind;
    observed_service_ = matched.service_id;
    switch (matched.kind) {
      case RouteKind::call:
      case RouteKind::feedback:
      case RouteKind::console:
        return dispatch_to_pool(std::move(matched));
      case RouteKind::preflight:
        response.status = 204;
        response.allow = matched.allow;
        break;
      case RouteKind::health:
        response = Response{200, "text/plain", "ok", {}, {}};
        break;
      case RouteKind::ready:
        if (auto status = state_->handlers.ready ? state_->handlers.ready() : Status(Ok{});
            status) {
          response = Response{200, "text/plain", "ready", {}, {}};
        } else {
          response = Response{503, "text/plain", "not ready: " + status.error().message, {}, {}};
        }
        break;
      case RouteKind::metrics:
        if (state_->handlers.metrics) {
          response = Response{
              200, "text/plain; version=0.0.4; charset=utf-8", state_->handlers.metrics(), {}, {}};
        } else {
          response = error_response(make_error(ErrorCode::not_found, "", "metrics are off"));
        }
        break;
      case RouteKind::evidence:
        if (state_->handlers.evidence) {
          response = state_->handlers.evidence(request.target(), request[bhttp::field::accept]);
        } else {
          response = error_response(make_error(ErrorCode::not_found, "", "no evidence pages"));
        }
        break;
      case RouteKind::discovery:
        if (state_->handlers.discovery) {
          response = to_response(state_->handlers.discovery(request[bhttp::field::authorization]));
        } else {
          response = error_response(make_error(ErrorCode::not_found, "", "no discovery"));
        }
        break;
      case RouteKind::method_not_allowed:
        response = error_response(make_error(
            ErrorCode::method_not_allowed, "",
            std::string(request.method_string()) + " is not allowed here; use " + matched.allow));
        response.allow = matched.allow;
        break;
      case RouteKind::not_found:
        response = error_response(make_error(ErrorCode::not_found, "",
                                             "no endpoint at " + std::string(request.target())));
        break;
    }
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", std::string(request.method_string()), std::string(request.target()),
                  e.what());
    response = error_response(make_error(ErrorCode::internal, "", "internal error"));
  }
  do_write(std::move(response), false);
}

void Session::dispatch_to_pool(Route matched) {
  std::string body = std::move(parser_->get().body());
  std::string authorization(parser_->get()[bhttp::field::authorization]);
  std::string method(parser_->get().method_string());
  std::string target(parser_->get().target());
  // A tracked executor keeps io_context::run() alive while the worker holds the request, so a
  // graceful shutdown still delivers its reply; the reply is posted back to this strand.
  auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  // Calls run on the compute pool and hand their waits to the worker pool (a FHIR server's to
  // its bounded share); feedback (it waits for its commit), the console (database reads) and a
  // plain `call` may block where they run.
  const bool compute = matched.kind == RouteKind::call && state_->handlers.call;
  auto& pool = compute ? state_->compute_pool : state_->worker_pool;
  asio::post(pool, [self = shared_from_this(), home, matched = std::move(matched),
                    body = std::move(body), authorization = std::move(authorization),
                    method = std::move(method), target = std::move(target)]() mutable {
    const Offload to_workers = [state = self->state_](WaitOn wait, std::function<void()> work) {
      if (wait == WaitOn::fhir_server) return state->fallback_queue.post(std::move(work));
      asio::post(state->worker_pool, std::move(work));
    };
    run_handler(self->state_->handlers, matched, std::move(body), authorization, method, target,
                to_workers, [self, home](Response response) {
                  asio::post(home, [self, response = std::move(response)]() mutable {
                    self->do_write(std::move(response), false);
                  });
                });
  });
}

void Session::do_write(Response response, bool close) {
  const ServerOptions& options = state_->options;
  if (state_->handlers.observe) {
    state_->handlers.observe(observed_kind_, observed_service_, response.status,
                             std::chrono::steady_clock::now() - started_);
  }
  response_ = {static_cast<bhttp::status>(response.status), version_};
  response_.set(bhttp::field::server, "vcf-cds/" VCF_CDS_VERSION);
  // CORS on every response, errors included, or browsers hide them (digest §7.3).
  response_.set(bhttp::field::access_control_allow_origin, options.cors_origin);
  if (options.cors_origin != "*") response_.set(bhttp::field::vary, "Origin");
  response_.set(bhttp::field::access_control_allow_headers, "Authorization, Content-Type, Accept");
  response_.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
  if (response.status == 204) response_.set(bhttp::field::access_control_max_age, "600");
  if (!response.allow.empty()) response_.set(bhttp::field::allow, response.allow);
  for (const auto& [name, value] : response.headers) response_.set(name, value);
  if (!response.content_type.empty()) {
    response_.set(bhttp::field::content_type, response.content_type);
  }
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive_ && !close && !state_->draining);
  response_.prepare_payload();
  stream_.expires_after(options.read_timeout);
  bhttp::async_write(
      stream_, response_,
      beast::bind_front_handler(&Session::on_write, shared_from_this(), !response_.keep_alive()));
}

void Session::on_write(bool close, beast::error_code ec, std::size_t) {
  after_large_exchange();
  if (ec) return do_close();
  if (close) return linger_ ? do_linger() : do_close();
  parser_.reset();
  do_wait();
}

void Session::after_large_exchange() {
  const std::size_t large = state_->options.large_exchange_bytes;
  const std::size_t response_bytes = response_.body().size();
  if (large == 0 || !state_->handlers.after_large_exchange ||
      (request_bytes_ < large && response_bytes < large)) {
    return;
  }
  // Let go of both bodies first (a kept-alive connection would hold the response until its next
  // one): their memory is what the hook may give back. The answer is already written.
  response_ = {};
  parser_.reset();
  asio::post(state_->worker_pool, [state = state_, request_bytes = request_bytes_, response_bytes] {
    try {
      state->handlers.after_large_exchange(request_bytes, response_bytes);
    } catch (const std::exception& e) {
      spdlog::error("after a large exchange: {}", e.what());
    }
  });
}

void Session::do_linger() {
  // Closing with unread input makes the kernel send RST, which can destroy our reply in
  // flight; half-close, then read and discard for a short while (a "lingering close").
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(kLingerTimeout);
  // Discarded bytes need no decryption: read the TCP layer directly, TLS or not.
  stream_.tcp().async_read_some(asio::buffer(drain_buffer_),
                                beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::on_linger(beast::error_code ec, std::size_t bytes) {
  drained_ += bytes;
  if (ec || drained_ > kMaxDrainBytes) return stream_.close();
  stream_.tcp().async_read_some(asio::buffer(drain_buffer_),
                                beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::do_close() {
  // Over TLS this is a TCP half-close without close_notify: responses are framed by
  // Content-Length, so a truncation cannot go unnoticed, and a slow peer cannot hold us here.
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  // The socket closes when the last handler holding this session returns.
}

}  // namespace vcf_cds::http::detail
