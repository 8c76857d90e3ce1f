// The HTTP handlers of `vcf-cds serve`: JWT check, discovery, calls through the pipeline with the
// audit record before the answer, feedback, the console, readiness, metrics and drain.
#include <spdlog/spdlog.h>

#include "app/audit_records.hpp"
#include "app/json_log.hpp"
#include "app/repeats.hpp"
#include "app/serve.hpp"
#include "vcf_cds/evidence.hpp"

namespace vcf_cds::app {

std::string audience(const ServiceWiring& wiring, http::RouteKind kind,
                     std::string_view service_id) {
  std::string url = wiring.public_base_url + "/cds-services";
  if (kind == http::RouteKind::call || kind == http::RouteKind::feedback) {
    url += '/';
    url += service_id;
  }
  if (kind == http::RouteKind::feedback) url += "/feedback";
  return url;
}

namespace {

using CallDone = std::function<void(Result<std::string>)>;

// What a call carries from the pipeline to the audit commit's answer.
struct PendingCall {
  std::string request_id;
  std::string service_id;
  std::chrono::steady_clock::time_point start;
  std::string consult_ids;                   // comma-separated, for the log line
  std::vector<std::string> decision_labels;  // metrics, counted once recorded
};

// Logs the call, counts its decisions when it succeeded and hands the answer on.
void finish_call(const ServiceWiring& wiring, const PendingCall& call, Result<std::string> result,
                 const CallDone& done) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - call.start)
                      .count();
  if (result) {
    // Counted once recorded: a decision whose card was never sent is not a decision made.
    for (const auto& labels : call.decision_labels) wiring.metrics->count_decision_labels(labels);
    // The log line names the recorded consults, so an operator can find them in the trail.
    spdlog::info("call {}: 200 in {} ms, consults [{}]", call.service_id, ms, call.consult_ids);
  } else if (result.error().code == ErrorCode::unavailable) {
    // An outage (the audit store) fails every call alike: one line per window, with the count.
    if (const auto left_out = wiring.unavailable_log->admit()) {
      spdlog::warn("call {}: 503 ({}) in {} ms, consults []{}", call.service_id,
                   result.error().message, ms, common::LogLimiter::left_out(*left_out));
    }
  } else {
    spdlog::info("call {}: {} ({}) in {} ms, consults []", call.service_id,
                 http::to_http_status(result.error().code), result.error().message, ms);
  }
  done(std::move(result));
}

// order-sign asks the audit trail whether order-select already rated the order: a read that may
// wait on the store, so such calls run on the worker pool.
bool checks_repeats(const ServiceWiring& wiring, const hooks::HookRequest& request) {
  return request.hook == hooks::Hook::order_sign && wiring.store &&
         wiring.repeat_window.count() > 0;
}

// Runs the pipeline on a parsed consult, then records its consults before answering: CONTRACT
// §6, the consult is durable before its response is sent.
void decide_and_record(const std::shared_ptr<const ServiceWiring>& shared,
                       const std::shared_ptr<PendingCall>& call, hooks::Consult& consult,
                       const http::Caller& caller, const CallDone& done) {
  // One snapshot for the whole call: a reload mid-call cannot mix two knowledge versions.
  const auto knowledge = shared->knowledge->load();
  std::vector<audit::ConsultRecord> records;  // handed to the store once the body is ready
  const hooks::Decide decide = [&](const hooks::HookRequest& request,
                                   const std::function<Status()>& ensure) {
    PipelineInput input;
    input.request = &request;
    input.now = shared->clock();
    input.ensure_clinical_data = ensure;
    input.fact_options = shared->fact_options;
    input.card_settings = shared->card_settings;
    std::optional<EarlierRatings> earlier;
    if (checks_repeats(*shared, request)) {
      earlier.emplace(*shared->store, request, input.now, shared->repeat_window);
      input.earlier_rating = [&earlier](const criteria::Decision& d) { return earlier->find(d); };
    }
    input.record = [&](const ConsultOutcome& outcome) -> Status {
      for (const auto& decision : *outcome.decisions) {
        call->decision_labels.push_back(Metrics::decision_labels(decision));
      }
      if (!shared->store) return Ok{};  // no store, no record to build (bench (b), tests)
      for (auto& record : consult_records(outcome, caller, shared->clock())) {
        call->consult_ids += (call->consult_ids.empty() ? "" : ",") + record.consult_id;
        records.push_back(std::move(record));
      }
      return Ok{};  // committed below, before the answer leaves
    };
    return run_pipeline(*knowledge, input);
  };
  auto result = hooks::decide_call(consult, *shared->fetcher, shared->call_options, decide);
  if (!result || records.empty() || !shared->store) {
    finish_call(*shared, *call, std::move(result), done);
    return;
  }
  // The commit answers on the audit writer's thread; this thread is free for the next call.
  shared->store->record_consults_async(
      std::move(records), [shared, call, body = std::move(*result), done](Status status) mutable {
        const ScopedLogContext log_context(call->request_id, call->service_id);
        if (!status) return finish_call(*shared, *call, std::move(status).error(), done);
        finish_call(*shared, *call, std::move(body), done);
      });
}

}  // namespace

http::Handlers make_handlers(ServiceWiring wiring) {
  if (!wiring.metrics) wiring.metrics = std::make_shared<Metrics>();
  wiring.refused_token_log =
      std::make_shared<common::LogLimiter>(std::chrono::seconds(10), wiring.log_clock);
  wiring.unavailable_log =
      std::make_shared<common::LogLimiter>(std::chrono::seconds(10), wiring.log_clock);
  if (wiring.fetcher) {
    wiring.fetcher = std::make_shared<CountingFetcher>(wiring.fetcher, wiring.metrics);
  }
  auto shared = std::make_shared<const ServiceWiring>(std::move(wiring));
  http::Handlers handlers;
  if (shared->verifier) {
    handlers.authenticate = [shared](http::RouteKind kind, std::string_view id,
                                     std::string_view authorization) -> Result<http::Caller> {
      // --allow-unauthenticated: no token is accepted as anonymous; a token is still verified.
      if (authorization.empty() && shared->allow_anonymous) return http::Caller{};
      const std::string aud = audience(*shared, kind, id);
      auto identity = shared->verifier->verify(authorization, aud);
      if (!identity) {
        // The reason, never the token (CDS Hooks best practice: 401 with no detail); a flood of
        // bad tokens gives one line per window, the metric counts every one. A 503 is the jti
        // ledger failing a valid token (full or unreachable).
        if (const auto left_out = shared->refused_token_log->admit()) {
          spdlog::warn("{} for {}: {} ({}){}",
                       identity.error().code == ErrorCode::unavailable ? "503" : "401", aud,
                       identity.error().field, identity.error().message,
                       common::LogLimiter::left_out(*left_out));
        }
        shared->metrics->count_jwt_failure(identity.error().field);
        return std::move(identity).error();
      }
      return http::Caller{identity->iss, identity->sub, identity->tenant};
    };
  }
  handlers.discovery = [document = hooks::discovery_json()] { return document; };
  handlers.call_async = [shared](std::string_view id, std::string&& body,
                                 const http::Caller& caller, const http::Offload& offload,
                                 CallDone done) {
    auto call = std::make_shared<PendingCall>();
    call->request_id = next_request_id();
    call->service_id = std::string(id);
    call->start = std::chrono::steady_clock::now();
    const ScopedLogContext log_context(call->request_id, call->service_id);
    auto consult = hooks::parse_call(id, std::move(body), shared->call_options);
    if (!consult) return finish_call(*shared, *call, std::move(consult).error(), done);
    if (!hooks::prefetch_may_fetch(**consult, shared->call_options.prefetch) &&
        !checks_repeats(*shared, (*consult)->request)) {
      return decide_and_record(shared, call, **consult, caller, done);
    }
    // The decision may wait for the FHIR server: not on a compute thread. (The server answers
    // 500 if it throws there, as it does here.)
    offload([shared, call, consult = std::shared_ptr<hooks::Consult>(std::move(*consult)), caller,
             done = std::move(done)] {
      const ScopedLogContext log_context(call->request_id, call->service_id);
      decide_and_record(shared, call, *consult, caller, done);
    });
  };
  handlers.feedback = [shared](std::string_view id, std::string&& body,
                               const http::Caller& caller) {
    const ScopedLogContext log_context(next_request_id(), std::string(id));
    const hooks::FeedbackSink sink = [&](const hooks::Feedback& feedback) -> Status {
      spdlog::info("feedback for {}: {} item(s)", feedback.service_id, feedback.items.size());
      if (!shared->store) return Ok{};
      return shared->store->record_feedback(
          feedback_records(feedback, caller, std::chrono::system_clock::now()));
    };
    return hooks::receive_feedback(id, std::move(body), shared->call_options.limits, sink);
  };
  if (!shared->console_token.empty()) {
    handlers.console = [shared](std::string_view method, std::string_view target,
                                std::string_view authorization, std::string&& body) {
      const auto knowledge = shared->knowledge->load();  // one version for the whole request
      ConsoleContext context;
      context.root = shared->console_dir;
      context.js_dir = shared->console_js_dir;
      context.token = shared->console_token;
      context.knowledge = knowledge.get();
      context.examples = shared->console_examples.get();
      context.store = shared->store.get();
      context.fact_options = shared->fact_options;
      auto answer = console_handle(context, method, target, authorization, body,
                                   std::chrono::system_clock::now());
      http::Response response{static_cast<unsigned>(answer.status),
                              std::move(answer.content_type),
                              std::move(answer.body),
                              {},
                              {}};
      for (auto& [name, value] : answer.headers) {
        if (name == "Allow") {
          response.allow = value;
        } else {
          response.headers.emplace_back(std::move(name), std::move(value));
        }
      }
      return response;
    };
  }
  handlers.evidence = [shared](std::string_view target, std::string_view accept) {
    const auto knowledge = shared->knowledge->load();
    auto page = evidence::render(*knowledge->criteria, *knowledge->card_text, target,
                                 evidence::negotiate(target, accept));
    http::Response response{
        page.status, std::move(page.content_type), std::move(page.body), {}, {}};
    // Knowledge only: any cache may keep it; Vary because one URL has two representations.
    response.headers.emplace_back("Vary", "Accept");
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
    return response;
  };
  handlers.ready = [shared]() -> Status {
    if (!shared->knowledge || !shared->knowledge->load())
      return make_error(ErrorCode::unavailable, "", "knowledge not loaded");
    if (shared->store) {
      const auto health = shared->store->health();
      if (!health.writable) {
        return make_error(ErrorCode::unavailable, "audit",
                          "audit store not writable: " + health.last_error);
      }
    }
    return Ok{};
  };
  handlers.metrics = [shared] {
    ScrapeSources sources;
    sources.knowledge_version = [&] {
      const auto knowledge = shared->knowledge ? shared->knowledge->load() : nullptr;
      return knowledge ? knowledge->version : std::string();
    };
    if (shared->store) sources.audit_health = [&] { return shared->store->health(); };
    if (shared->verifier) sources.replay_ledger = [&] { return shared->verifier->stats().replay; };
    return shared->metrics->render(sources);
  };
  handlers.observe = [metrics = shared->metrics](http::RouteKind kind, std::string_view id,
                                                 unsigned status,
                                                 std::chrono::steady_clock::duration duration) {
    metrics->observe_request(kind, id, status, duration);
  };
  handlers.connection_refused = [metrics = shared->metrics] {
    metrics->count_connection_refused();
  };
  // "Flush audit": runs after the last in-flight request finished.
  handlers.drain = [shared] {
    if (shared->store) shared->store->flush();
    if (shared->drain) shared->drain();
    spdlog::default_logger()->flush();
  };
  return handlers;
}

}  // namespace vcf_cds::app
