// File: http.hpp — the inbound HTTP stage: routing, error mapping and the Beast server.
//
// Input: bytes on a socket. Output: calls into `Handlers` (wired by src/app) and their results
// written back with CORS headers. Beast and Asio types stay inside src/http (pimpl); this stage
// knows the shape of CDS Hooks URLs but nothing of what a request means.
//
// Threading: one io_context run by `threads` I/O threads; every connection has its own strand.
// `Handlers::feedback` may block (audit fsync), so it runs on a separate worker pool and its reply
// is posted back to the connection's strand. `Handlers::call` runs on a compute pool (one thread
// per core) and must not block there: it hands work that may wait to the worker pool (`Offload`)
// and may answer later from any thread. Work that waits on a FHIR server holds at most
// `ServerOptions::fallback_threads` worker threads, so the others stay free for feedback, the
// console and the audit trail's reads however slow a FHIR server is.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vcf_cds/result.hpp"

namespace vcf_cds::http {

// ---- errors (CONTRACT §6) -------------------------------------------------------------------

// The one mapping from ErrorCode to HTTP status: 400, 401, 404, 405, 412, 413, 503, 500.
unsigned to_http_status(ErrorCode code);
// FHIR issue-type code for the OperationOutcome: invalid, login, not-found, not-supported,
// incomplete, too-long, transient, exception.
std::string_view to_issue_type(ErrorCode code);
// `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":...,
//   "diagnostics":...,"expression":[field]}]}`; `expression` omitted when the field is empty.
std::string to_operation_outcome(const Error& error);

// A response before CORS and framing headers are added by the session.
struct Response {
  unsigned status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  std::string allow;                                         // `Allow` header for 405 and preflight
  std::vector<std::pair<std::string, std::string>> headers;  // extra (e.g. the console's CSP)
};

// Status + OperationOutcome body; 401 has an empty body (CONTRACT §6).
Response error_response(const Error& error);

// ---- routing (pure, no sockets) -------------------------------------------------------------

enum class RouteKind {
  discovery,  // GET /cds-services
  call,       // POST /cds-services/{id}
  feedback,   // POST /cds-services/{id}/feedback
  preflight,  // OPTIONS on any of the above
  health,     // GET /healthz: the process is alive
  ready,      // GET /readyz: knowledge loaded and audit store writable
  console,    // GET|POST /console/...: the review console (own bearer token, off by default)
  metrics,    // GET /metrics: Prometheus text exposition
  evidence,   // GET /criteria/...: evidence pages (knowledge only, no authentication)
  not_found,
  method_not_allowed,
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  std::string service_id;  // call and feedback; percent-decoding is not applied (ids are URL-safe)
  std::string allow;       // the methods the path accepts (405 and preflight)
};

// `target` is the request-target; a query string is ignored and one trailing slash tolerated.
Route route(std::string_view method, std::string_view target);

// ---- server ---------------------------------------------------------------------------------

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;   // 0: any free port, see Server::port()
  unsigned threads = 1;         // I/O threads
  unsigned worker_threads = 0;  // blocking handlers; 0: 2 x threads
  // Worker threads that work waiting on a FHIR server (WaitOn::fhir_server) may hold at once;
  // more such work queues, in order, until one of them is done. 0: three quarters of
  // worker_threads. Always at least 1 and, with two or more workers, at most worker_threads - 1.
  unsigned fallback_threads = 0;
  // Threads for `Handlers::call`, which must not block on them (it hands waits to Offload): as many
  // as cores, so consults do not preempt each other mid-call. 0: as many as `threads`.
  unsigned compute_threads = 0;
  std::size_t body_limit = 1024 * 1024;
  // A request body or response body of at least this many bytes makes an exchange large: once
  // its response is written, `Handlers::after_large_exchange` runs. 0: no exchange is large.
  std::size_t large_exchange_bytes = 0;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds header_timeout{10'000};  // first byte to end of headers
  std::chrono::milliseconds read_timeout{30'000};    // body, and each response write
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::string cors_origin = "*";
  // Open connections at most; one more is answered 503 (plain HTTP; TLS: closed) and closed at
  // once, so a flood of idle sockets cannot exhaust file descriptors. 0: no cap.
  std::size_t max_connections = 1000;
  // PEM files for native HTTPS (TLS 1.2+); both empty: plain HTTP, e.g. behind a TLS proxy.
  std::string tls_cert_file;  // certificate chain, leaf first
  std::string tls_key_file;
  bool handle_signals = true;  // SIGINT/SIGTERM start a graceful shutdown
};

// What offloaded work may wait on.
enum class WaitOn {
  store,        // this service's own storage (the audit trail): short waits
  fhir_server,  // a FHIR server the call names: as long as its budget; holds a bounded share
};

// Runs `work` on the worker pool, whose threads may block (a FHIR fetch, a trail read); the
// server's shutdown waits for it like for any handler, and answers the call 500 if it throws.
// Work of WaitOn::fhir_server holds at most ServerOptions::fallback_threads threads at once.
using Offload = std::function<void(WaitOn wait, std::function<void()> work)>;

struct Handlers {
  // Discovery, call and feedback get the request's `Authorization` header ("" when absent) and
  // check it themselves (the consult stage: one check for all three); a refused caller is an
  // Error{unauthorized}, answered 401 with an empty body.
  // GET /cds-services; cheap, runs on the I/O thread.
  std::function<Result<std::string>(std::string_view authorization)> discovery;
  // POST /cds-services/{id}: the CDS Hooks response body, answered through `done` (exactly
  // once, from any thread). Starts on a compute thread, which must not block: work that may
  // wait (a FHIR fetch, a trail read) goes through `offload`, saying on what; it may also leave
  // before the answer is ready (e.g. while the audit commit is on disk).
  std::function<void(std::string_view service_id, std::string&& body,
                     std::string_view authorization, const Offload& offload,
                     std::function<void(Result<std::string>)> done)>
      call;
  // POST /cds-services/{id}/feedback: 200 with an empty body on success. Worker thread.
  std::function<Status(std::string_view service_id, std::string&& body,
                       std::string_view authorization)>
      feedback;
  // /console/... (static pages and the console's JSON API). Worker thread; it checks its own
  // token, not the CDS Hooks JWT. Empty: 404, the console is off.
  std::function<Response(std::string_view method, std::string_view target,
                         std::string_view authorization, std::string&& body)>
      console;
  // GET /readyz: ok, or the reason the service is not ready (503). Empty: always ready.
  std::function<Status()> ready;
  // After the last in-flight request finished during shutdown ("flush audit").
  std::function<void()> drain;
  // GET /metrics: the exposition text (text/plain; version=0.0.4). Empty: 404. I/O thread.
  std::function<std::string()> metrics;
  // GET /criteria/...: an evidence page for the request target and its Accept header. Never
  // authenticated: it shows the published criteria only. Empty: 404. I/O thread (no I/O inside).
  std::function<Response(std::string_view target, std::string_view accept)> evidence;
  // Every response, as it is written: its route, the URL's service id (call and feedback),
  // status, and the time since the request's first byte. Runs on the I/O thread: keep it cheap.
  std::function<void(RouteKind kind, std::string_view service_id, unsigned status,
                     std::chrono::steady_clock::duration duration)>
      observe;
  // A connection refused at ServerOptions::max_connections. On the accepting thread: cheap.
  std::function<void()> connection_refused;
  // After a large exchange (ServerOptions::large_exchange_bytes): its response was written and
  // the session let go of the request and the response, so what the call allocated is freed.
  // On a worker thread, never before the answer left: it may take a while (`vcf-cds serve` gives
  // free heap memory back to the OS here). Gets the request and response body sizes.
  std::function<void(std::size_t request_bytes, std::size_t response_bytes)> after_large_exchange;
};

class Server {
 public:
  Server(ServerOptions options, Handlers handlers);
  ~Server();  // shuts down and joins if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Throws std::system_error on bind failure and
  // std::runtime_error naming the file when the TLS certificate or key cannot be used.
  void start();
  // The bound port (useful with port 0).
  unsigned short port() const;
  // Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish.
  // Thread-safe, idempotent, returns at once; `wait()` joins.
  void shutdown();
  // Blocks until the server stopped (signal or shutdown()), then calls `Handlers::drain`.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vcf_cds::http
