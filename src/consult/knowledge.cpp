// The knowledge a call runs on: loaded and validated at start-up, swapped whole on SIGHUP.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "common/json_file.hpp"
#include "common/sha256.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/observability.hpp"

namespace vcf_cds::consult {
namespace {

// "sha256:<hex>" over the relative names and bytes of every file under `folder`, in name order,
// so renaming or editing any card text file changes the knowledge version.
std::string folder_version(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::string input;
  for (const auto& file : files) {
    const std::string name = std::filesystem::relative(file, folder).generic_string();
    const std::string bytes = common::read_file(file);
    input += name + '\0' + std::to_string(bytes.size()) + '\0' + bytes;
  }
  return "sha256:" + common::sha256_hex(input);
}

}  // namespace

Knowledge load_knowledge(const std::filesystem::path& criteria_file,
                         const std::filesystem::path& profiles_folder,
                         const std::filesystem::path& card_text_folder) {
  Knowledge knowledge;
  knowledge.criteria =
      std::make_shared<const criteria::KnowledgeBase>(criteria::load_knowledge_base(criteria_file));
  knowledge.terminology = facts::load_terminology(profiles_folder);
  knowledge.card_text = cards::load_card_text(card_text_folder);
  cards::check_clarifications(*knowledge.card_text, *knowledge.terminology);
  knowledge.card_rows = cards::prepare_rows(knowledge.criteria, knowledge.card_text);
  // Criteria first (what the version always was), then what else changes a card or a rating.
  knowledge.version = knowledge.criteria->version +
                      "+profiles:" + facts::version(*knowledge.terminology) +
                      "+cards:" + folder_version(card_text_folder);
  return knowledge;
}

bool reload_knowledge(KnowledgeHolder& holder, const KnowledgeSources& sources,
                      observability::Metrics* metrics) {
  const auto previous = holder.load();
  try {
    if (!std::filesystem::is_directory(sources.profiles_folder)) {
      throw std::runtime_error(sources.profiles_folder.string() +
                               ": not a folder of FHIR profiles");
    }
    auto next = std::make_shared<const Knowledge>(
        load_knowledge(sources.criteria_file, sources.profiles_folder, sources.card_text_folder));
    const std::string version = next->version;
    holder.store(std::move(next));
    if (metrics) metrics->count_reload(true);
    if (previous && previous->version == version) {
      spdlog::info("knowledge reloaded, unchanged: {}", version);
    } else {
      spdlog::info("knowledge reloaded: {} (was {})", version,
                   previous ? previous->version : std::string("none"));
    }
    return true;
  } catch (const std::exception& e) {  // KnowledgeError, ProfileError, TemplateError, I/O
    if (metrics) metrics->count_reload(false);
    spdlog::error("knowledge reload failed, keeping {}: {}",
                  previous ? previous->version : std::string("none"), e.what());
    return false;
  }
}

}  // namespace vcf_cds::consult
