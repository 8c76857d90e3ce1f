// Knowledge that can be replaced while the service runs (SIGHUP, issue #9).
//
// A call takes one snapshot (`load()`) and uses it to the end, so a reload never mixes criteria
// of one version with profiles of another inside a consult; the swap itself is a pointer store.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "app/pipeline.hpp"

namespace vcf_cds::app {

class Metrics;

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
                      Metrics* metrics = nullptr);

}  // namespace vcf_cds::app
