#include "app/knowledge_reload.hpp"

#include <spdlog/spdlog.h>

#include "app/metrics.hpp"

namespace vcf_cds::app {

bool reload_knowledge(KnowledgeHolder& holder, const KnowledgeSources& sources, Metrics* metrics) {
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

}  // namespace vcf_cds::app
