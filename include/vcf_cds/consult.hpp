// File: consult.hpp — one CDS Hooks call from the signed request to the audited answer.
//
// `Service::run` reads top to bottom as the call does: authenticate → parse → complete prefetch
// (fetch) → facts → decide → render → record → answer. The stages it calls are the folders
// before it in the data flow (http, auth, hooks, facts, criteria, cards, audit); it owns nothing
// clinical itself, only the order of the steps and the knowledge snapshot a call runs on.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"
#include "vcf_cds/cards.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::observability {
class Metrics;
}

namespace vcf_cds::consult {

// ---- knowledge ----------------------------------------------------------------------------------

// Everything loaded from cards/ and fhir-profiles/; swapped as a whole on reload.
struct Knowledge {
  std::shared_ptr<const criteria::KnowledgeBase> criteria;
  std::shared_ptr<const facts::Terminology> terminology;
  std::shared_ptr<const cards::CardText> card_text;
  std::shared_ptr<const cards::PreparedRows> card_rows;  // from criteria and card_text
  // Recorded in audit and shown by /metrics: "<criteria sha256:…>+profiles:sha256:…+cards:sha256:…"
  // (criteria content hash, facts::version of the profile files, hash of the card text files).
  std::string version;
};

// Start-up boundary: loads and validates all three; throws naming file and field.
Knowledge load_knowledge(const std::filesystem::path& criteria_file,
                         const std::filesystem::path& profiles_folder,
                         const std::filesystem::path& card_text_folder);

// The knowledge in use, replaced while the service runs (SIGHUP). A call takes one snapshot
// (`load()`) and uses it to the end, so a reload never mixes criteria of one version with
// profiles of another inside a consult; the swap itself is a pointer store.
class KnowledgeHolder {
 public:
  explicit KnowledgeHolder(std::shared_ptr<const Knowledge> initial)
      : knowledge_(std::move(initial)) {}
  // A mutex rather than std::atomic<std::shared_ptr>: libstdc++ 12's specialisation is
  // lock-based too, and a mutex keeps TSan and older toolchains quiet.
  std::shared_ptr<const Knowledge> load() const {
    std::lock_guard lock(mutex_);
    return knowledge_;
  }
  void store(std::shared_ptr<const Knowledge> next) {
    std::lock_guard lock(mutex_);
    knowledge_.swap(next);
  }  // the old snapshot dies outside the lock, when its last call finishes

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Knowledge> knowledge_;
};

// Where the knowledge is read from (the --knowledge, --profiles and --card-text flags).
struct KnowledgeSources {
  std::filesystem::path criteria_file;
  std::filesystem::path profiles_folder;
  std::filesystem::path card_text_folder;
};

// Loads and validates everything from `sources` on the calling thread and swaps it in. A file
// that fails validation leaves the holder unchanged and is logged with the reason. Counts the
// result in `metrics` when given. Returns true when the new knowledge is in use.
bool reload_knowledge(KnowledgeHolder& holder, const KnowledgeSources& sources,
                      observability::Metrics* metrics = nullptr);

// ---- the decision pipeline ----------------------------------------------------------------------

// What one service call decided and said, for the audit trail.
struct ConsultOutcome {
  const hooks::HookRequest* request = nullptr;
  const std::vector<criteria::Decision>* decisions = nullptr;  // rated/no-criteria-apply only
  const cards::Rendered* rendered = nullptr;  // rendered->consults[i] is for decisions[i]
  std::chrono::system_clock::time_point started;
  std::string knowledge_version;
};

struct PipelineInput {
  const hooks::HookRequest* request = nullptr;
  std::chrono::system_clock::time_point now;
  // Called at most once, before facts are read, only if some order maps to a row or is advanced
  // imaging. Fills request->data from prefetch or the FHIR server; returns 412 when it cannot.
  std::function<Status()> ensure_clinical_data;
  // Called with every consult before the body is returned (CONTRACT §6: audited before the
  // response). An error here (store unavailable) becomes the call's error: no unaudited card.
  std::function<Status(const ConsultOutcome&)> record;
  // For each rated order: the consult id of an earlier rating that makes this one a repeat (no
  // second card, CONTRACT §7), or "". Empty function: nothing is a repeat (order-select).
  std::function<std::string(const criteria::Decision&)> earlier_rating;
  cards::Settings card_settings;
  facts::Options fact_options;
  std::function<std::string()> new_uuid = [] { return cards::time_ordered_uuid(); };
};

// Returns the CDS Hooks response body ({"cards": [...], ...}) or an error to map to a status.
Result<std::string> run_pipeline(const Knowledge& knowledge, PipelineInput& input);

// ---- the call --------------------------------------------------------------------------------

// What every call runs with; app builds it once from the configuration (tests build their own).
struct Context {
  std::shared_ptr<KnowledgeHolder> knowledge;       // each call uses one snapshot; SIGHUP swaps it
  std::shared_ptr<observability::Metrics> metrics;  // null: the Service makes a private one
  std::shared_ptr<hooks::FhirFetcher> fetcher;
  facts::Options fact_options;
  hooks::CallOptions call_options;
  // Calls completing prefetch from one FHIR server (origin) at once; one more is answered 503
  // at once (--fhir-origin-concurrency).
  std::size_t fhir_origin_concurrency = 8;
  cards::Settings card_settings;
  std::string public_base_url;               // JWT `aud` is this + the endpoint path
  std::shared_ptr<auth::Verifier> verifier;  // null: no JWT checks at all
  bool allow_anonymous = false;              // --allow-unauthenticated: no token is accepted
  std::shared_ptr<audit::Store> store;       // null: nothing recorded (tests and bench (b) only)
  // order-sign after order-select (CONTRACT §7): an order rated the same way within this window
  // gets no second card. 0: off.
  std::chrono::hours repeat_window{24};
  // The time a call is decided at (the "new" window, the repeat window, audit times); injected
  // so tests can move it.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
  // Time source of the rate-limited log lines (refused tokens, 503s); empty: the steady clock.
  std::function<std::chrono::steady_clock::time_point()> log_clock;
};

// One POST /cds-services/{id} as the EHR sent it.
struct Call {
  std::string service_id;
  std::string authorization;  // the Authorization header, "" when absent
  std::string body;
};
using Answer = std::function<void(Result<std::string>)>;

class Service {
 public:
  explicit Service(Context context);

  // The whole call: authenticate → parse → complete prefetch (fetch) → facts → decide → render
  // → record → answer. Starts on a compute thread; a step that may wait (a FHIR fetch, a trail
  // read) moves the rest to the worker pool through `offload`. A call that must read from a FHIR
  // server that already has `fhir_origin_concurrency` such calls is answered 503 at once. `done`
  // is called exactly once, from any thread, after the consults are durable in the audit trail
  // (CONTRACT §6).
  void run(Call call, const http::Offload& offload, Answer done) const;

  // GET /cds-services: the discovery document, for an authenticated caller.
  Result<std::string> discovery(std::string_view authorization) const;
  // POST /cds-services/{id}/feedback: recorded in the trail before the 200.
  Status feedback(std::string_view service_id, std::string&& body,
                  std::string_view authorization) const;

  // The one check of the caller for calls, discovery and feedback: the verified token's client,
  // anonymous when auth is off, 401 (bad token) or 503 (the replay ledger failed) otherwise.
  Result<auth::ClientIdentity> authenticate(http::RouteKind kind, std::string_view service_id,
                                            std::string_view authorization) const;

  const Context& context() const;

  struct State;  // the context and the rate-limited logs every call of this service shares

 private:
  std::shared_ptr<State> state_;
};

}  // namespace vcf_cds::consult
