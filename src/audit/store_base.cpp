#include "audit/store_base.hpp"

#include <fmt/chrono.h>

#include <ctime>
#include <stdexcept>

namespace vcf_cds::audit::detail {
namespace {

Error read_only_error() {
  return make_error(ErrorCode::unavailable, "audit", "audit store was opened read-only");
}

}  // namespace

BatchedStore::BatchedStore(StoreConfig config, std::string backend)
    : config_(std::move(config)), backend_(std::move(backend)) {
  if (config_.hash_identifiers && config_.identifier_secret.empty()) {
    throw std::runtime_error("audit: hash_identifiers needs a non-empty identifier secret");
  }
}

void BatchedStore::start_writer(std::unique_ptr<Committer> committer) {
  Limits limits{config_.max_queue_records, config_.max_batch_records, config_.commit_timeout};
  writer_ = std::make_unique<GroupCommitter>(std::move(committer), limits, backend_);
}

namespace {

// Validation, identifier hashing and the canonical JSON happen on the caller's thread, never the
// writer's.
Result<std::vector<QueuedRecord>> prepare_consults(std::vector<ConsultRecord>& records,
                                                   const StoreConfig& config) {
  std::vector<QueuedRecord> batch;
  batch.reserve(records.size());
  for (auto& record : records) {
    // Validate before hashing: a bad id must be reported as bad, not as its HMAC.
    if (Status s = validate(record); !s) return std::move(s).error();
    apply_identifier_mode(record, config);
    batch.push_back(queue_record(std::move(record)));
  }
  return batch;
}

}  // namespace

Status BatchedStore::record_consults(std::vector<ConsultRecord> records) {
  if (!writer_) return read_only_error();
  auto batch = prepare_consults(records, config_);
  if (!batch) return std::move(batch).error();
  return writer_->submit(std::move(batch).value());
}

void BatchedStore::record_call_async(std::vector<ConsultRecord> records, CallDone done) {
  if (!writer_) return done(read_only_error());
  auto batch = prepare_consults(records, config_);
  if (!batch) return done(std::move(batch).error());
  for (auto& queued : *batch) queued.joins_retries = true;
  writer_->submit_call_async(std::move(batch).value(), std::move(done));
}

Status BatchedStore::record_feedback(std::vector<FeedbackRecord> records) {
  if (!writer_) return read_only_error();
  std::vector<QueuedRecord> batch;
  batch.reserve(records.size());
  for (auto& record : records) {
    if (Status s = validate(record); !s) return s;
    batch.push_back(queue_record(std::move(record)));
  }
  return writer_->submit(std::move(batch));
}

Health BatchedStore::health() const {
  if (writer_) return writer_->health();
  Health health;
  health.backend = backend_;
  health.last_error = read_only_error().message;
  return health;
}

void BatchedStore::flush() {
  if (writer_) writer_->flush();
}

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

}  // namespace vcf_cds::audit::detail
