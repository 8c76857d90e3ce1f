// One CDS Hooks call, top to bottom (CONTRACT §4–§6), in the style of HAPI FHIR's
// CdsServiceRegistryImpl.callService: `run` holds the steps, each one a call into its stage.
#include <spdlog/spdlog.h>

#include <optional>

#include "common/log_limiter.hpp"
#include "consult/audit_records.hpp"
#include "consult/repeats.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/observability.hpp"

namespace vcf_cds::consult {

struct Service::State {
  explicit State(Context wired)
      : context(std::move(wired)),
        refused_token_log(std::chrono::seconds(10), context.log_clock),
        unavailable_log(std::chrono::seconds(10), context.log_clock),
        fhir_origins(context.fhir_origin_concurrency) {}
  Context context;
  // One line per window for refused tokens and for calls answered 503 (an audit store outage
  // fails every call the same way); /metrics still counts each.
  common::LogLimiter refused_token_log;
  common::LogLimiter unavailable_log;
  // Calls completing prefetch from each FHIR server, at most context.fhir_origin_concurrency.
  hooks::FhirOriginLimiter fhir_origins;
};

namespace {

using State = Service::State;

// What a call carries from its first step to the audit commit's answer.
struct PendingCall {
  std::string request_id = observability::next_request_id();
  std::string service_id;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string consult_ids;  // comma-separated, for the log line
  // Metrics, counted once recorded: each decision's labels and its consult id ("" unrecorded).
  struct Decided {
    std::string consult_id;
    std::string labels;
  };
  std::vector<Decided> decided;
};

std::string audience(const Context& context, http::RouteKind kind, std::string_view service_id) {
  std::string url = context.public_base_url + "/cds-services";
  if (kind == http::RouteKind::call || kind == http::RouteKind::feedback) {
    url += '/';
    url += service_id;
  }
  if (kind == http::RouteKind::feedback) url += "/feedback";
  return url;
}

// Logs the call, counts its decisions when it succeeded and hands the answer on.
void answer(State& state, const PendingCall& call, Result<std::string> result, const Answer& done) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - call.start)
                      .count();
  if (result) {
    // Counted once recorded: a decision whose card was never sent is not a decision made.
    for (const auto& decided : call.decided) {
      if (!decided.labels.empty()) state.context.metrics->count_decision_labels(decided.labels);
    }
    // The log line names the recorded consults, so an operator can find them in the trail.
    spdlog::info("call {}: 200 in {} ms, consults [{}]", call.service_id, ms, call.consult_ids);
  } else if (result.error().code == ErrorCode::unavailable) {
    if (const auto left_out = state.unavailable_log.admit()) {
      spdlog::warn("call {}: 503 ({}) in {} ms, consults []{}", call.service_id,
                   result.error().message, ms, common::LogLimiter::left_out(*left_out));
    }
  } else {
    spdlog::info("call {}: {} ({}) in {} ms, consults []", call.service_id,
                 http::to_http_status(result.error().code), result.error().message, ms);
  }
  done(std::move(result));
}

// A retry of a call the trail already holds: the answer carries the recorded ids, so feedback on
// the card finds the one record, and the decision was counted with the first attempt.
void join_retry(State& state, PendingCall& call, std::string& body,
                const audit::JoinedRetry& join) {
  body = audit::with_recorded_ids(std::move(body), join);
  for (auto& decided : call.decided) {
    if (decided.consult_id == join.consult_id) decided.labels.clear();
  }
  if (const auto at = call.consult_ids.find(join.consult_id); at != std::string::npos) {
    call.consult_ids.replace(at, join.consult_id.size(), join.recorded_consult_id + " (retry)");
  }
  state.context.metrics->count_retry_joined();
}

// order-sign asks the audit trail whether order-select already rated the order (CONTRACT §7).
bool checks_repeats(const Context& context, const hooks::HookRequest& request) {
  return request.hook == hooks::Hook::order_sign && context.store &&
         context.repeat_window.count() > 0;
}

// Fetch → facts → decide → render, then record and answer. The record is built here and
// committed by the audit writer, whose thread answers: this one is free for the next call.
// `permit` (null when nothing is fetched) is given back once the FHIR reads are over, before the
// answer: a caller that got its answer finds the server's place free again.
void decide_record_answer(const std::shared_ptr<State>& state,
                          const std::shared_ptr<PendingCall>& call, hooks::ParsedCall& parsed,
                          const auth::ClientIdentity& caller,
                          hooks::FhirOriginLimiter::Permit* permit, const Answer& done) {
  const Context& context = state->context;
  // One snapshot for the whole call: a reload mid-call cannot mix two knowledge versions.
  const auto knowledge = context.knowledge->load();
  std::vector<audit::ConsultRecord> records;
  const hooks::Decide decide = [&](const hooks::HookRequest& request,
                                   const std::function<Status()>& fetch) {
    PipelineInput input;
    input.request = &request;
    input.now = context.clock();
    input.ensure_clinical_data = fetch;  // prefetch, completed from the FHIR server once
    input.fact_options = context.fact_options;
    input.card_settings = context.card_settings;
    std::optional<EarlierRatings> earlier;
    if (checks_repeats(context, request)) {
      earlier.emplace(*context.store, request, input.now, context.repeat_window);
      input.earlier_rating = [&earlier](const criteria::Decision& d) { return earlier->find(d); };
    }
    input.record = [&](const ConsultOutcome& outcome) -> Status {
      std::vector<audit::ConsultRecord> made;
      if (context.store) made = consult_records(outcome, caller, context.clock());
      // consult_records makes one record per decision, in decision order.
      for (std::size_t i = 0; i < outcome.decisions->size(); ++i) {
        call->decided.push_back({i < made.size() ? made[i].consult_id : std::string(),
                                 observability::Metrics::decision_labels((*outcome.decisions)[i])});
      }
      for (auto& record : made) {
        call->consult_ids += (call->consult_ids.empty() ? "" : ",") + record.consult_id;
        records.push_back(std::move(record));
      }
      return Ok{};  // committed below, before the answer leaves
    };
    return run_pipeline(*knowledge, input);  // facts → decide → render
  };
  auto body = hooks::decide_call(parsed, *context.fetcher, context.call_options, decide);
  if (permit) permit->release();
  if (!body || records.empty()) return answer(*state, *call, std::move(body), done);
  context.store->record_call_async(
      std::move(records), [state, call, body = std::move(*body),
                           done](Result<std::vector<audit::JoinedRetry>> joins) mutable {
        const observability::ScopedLogContext log_context(call->request_id, call->service_id);
        if (!joins) return answer(*state, *call, std::move(joins).error(), done);
        for (const auto& join : *joins) join_retry(*state, *call, body, join);
        answer(*state, *call, std::move(body), done);
      });
}

}  // namespace

Service::Service(Context context) : state_(std::make_shared<State>(std::move(context))) {
  auto& wired = state_->context;
  if (!wired.metrics) wired.metrics = std::make_shared<observability::Metrics>();
  if (wired.fetcher) {
    wired.fetcher = std::make_shared<observability::CountingFetcher>(wired.fetcher, wired.metrics);
  }
}

const Context& Service::context() const {
  return state_->context;
}

void Service::run(Call call, const http::Offload& offload, Answer done) const {
  auto pending = std::make_shared<PendingCall>();
  pending->service_id = call.service_id;
  const observability::ScopedLogContext log_context(pending->request_id, pending->service_id);

  auto caller = authenticate(http::RouteKind::call, call.service_id, call.authorization);
  if (!caller) return done(std::move(caller).error());  // logged, rate-limited, by authenticate

  auto parsed = hooks::parse_call(call.service_id, std::move(call.body), context().call_options);
  if (!parsed) return answer(*state_, *pending, std::move(parsed).error(), done);

  // A step that may wait does not run on a compute thread: a FHIR fetch goes to the fallback's
  // share of the workers, once its server has room; a trail read (order-sign) to the workers.
  std::shared_ptr<hooks::FhirOriginLimiter::Permit> permit;
  if (hooks::prefetch_may_fetch(**parsed, context().call_options.prefetch)) {
    auto admitted = state_->fhir_origins.acquire((*parsed)->request.fhir_server);
    if (!admitted) {
      context().metrics->count_fhir_origin_refusal();
      return answer(*state_, *pending, std::move(admitted).error(), done);
    }
    permit = std::make_shared<hooks::FhirOriginLimiter::Permit>(std::move(*admitted));
  }
  const bool trail = checks_repeats(context(), (*parsed)->request);
  auto rest = [state = state_, pending, parsed = std::shared_ptr(std::move(*parsed)),
               caller = std::move(*caller), done = std::move(done), permit] {
    const observability::ScopedLogContext log_context(pending->request_id, pending->service_id);
    decide_record_answer(state, pending, *parsed, caller, permit.get(), done);
  };
  if (permit) return offload(http::WaitOn::fhir_server, std::move(rest));
  if (trail) return offload(http::WaitOn::store, std::move(rest));
  rest();
}

Result<auth::ClientIdentity> Service::authenticate(http::RouteKind kind,
                                                   std::string_view service_id,
                                                   std::string_view authorization) const {
  const Context& context = state_->context;
  if (!context.verifier) return auth::ClientIdentity{};
  // --allow-unauthenticated: no token is accepted as anonymous; a token is still verified.
  if (authorization.empty() && context.allow_anonymous) return auth::ClientIdentity{};
  const std::string aud = audience(context, kind, service_id);
  auto identity = context.verifier->verify(authorization, aud);
  if (!identity) {
    // The reason, never the token (CDS Hooks best practice: 401 with no detail); a flood of bad
    // tokens gives one line per window, the metric counts every one. A 503 is the jti ledger
    // failing a valid token (full or unreachable).
    if (const auto left_out = state_->refused_token_log.admit()) {
      spdlog::warn("{} for {}: {} ({}){}",
                   identity.error().code == ErrorCode::unavailable ? "503" : "401", aud,
                   identity.error().field, identity.error().message,
                   common::LogLimiter::left_out(*left_out));
    }
    context.metrics->count_jwt_failure(identity.error().field);
  }
  return identity;
}

Result<std::string> Service::discovery(std::string_view authorization) const {
  static const std::string document = hooks::discovery_json();
  if (auto caller = authenticate(http::RouteKind::discovery, {}, authorization); !caller) {
    return std::move(caller).error();
  }
  return document;
}

Status Service::feedback(std::string_view service_id, std::string&& body,
                         std::string_view authorization) const {
  const observability::ScopedLogContext log_context(observability::next_request_id(),
                                                    std::string(service_id));
  auto caller = authenticate(http::RouteKind::feedback, service_id, authorization);
  if (!caller) return std::move(caller).error();
  const Context& context = state_->context;
  const hooks::FeedbackSink sink = [&](const hooks::Feedback& feedback) -> Status {
    spdlog::info("feedback for {}: {} item(s)", feedback.service_id, feedback.items.size());
    if (!context.store) return Ok{};
    return context.store->record_feedback(
        feedback_records(feedback, *caller, std::chrono::system_clock::now()));
  };
  return hooks::receive_feedback(service_id, std::move(body), context.call_options.limits, sink);
}

}  // namespace vcf_cds::consult
