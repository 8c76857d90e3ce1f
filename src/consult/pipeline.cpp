// Facts → decide → render for one parsed call: the clinical middle of Service::run, also what the
// console's "try it" and the decision benchmark run.
#include <vector>

#include "vcf_cds/consult.hpp"

namespace vcf_cds::consult {

Result<std::string> run_pipeline(const Knowledge& knowledge, PipelineInput& input) {
  const hooks::HookRequest& request = *input.request;
  const auto& terminology = *knowledge.terminology;

  // Orders first: an order nobody can rate (the Sandbox's first, empty call) needs no data.
  const auto orders = request.orders_to_rate();
  std::vector<facts::OrderedProcedure> procedures;
  procedures.reserve(orders.size());
  bool any_ratable = false;
  for (const auto* order : orders) {
    procedures.push_back(facts::map_order(terminology, *order, request.draft_orders));
    any_ratable |= !procedures.back().row_name.empty() || procedures.back().advanced_imaging;
  }
  if (!any_ratable) return std::string(R"({"cards":[]})");

  if (input.ensure_clinical_data) {
    if (auto status = input.ensure_clinical_data(); !status) return std::move(status).error();
  }

  const auto today = std::chrono::floor<std::chrono::days>(input.now);
  std::vector<criteria::Decision> decisions;
  std::vector<const rapidjson::Value*> decided_orders;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    facts::ClinicalFacts clinical;
    if (!procedures[i].row_name.empty()) {
      clinical = facts::extract(terminology, request, *orders[i], today, input.fact_options);
    }
    auto decision =
        criteria::decide(*knowledge.criteria, std::move(procedures[i]), std::move(clinical));
    if (decision.outcome == criteria::Outcome::not_applicable) continue;
    decisions.push_back(std::move(decision));
    decided_orders.push_back(orders[i]);
  }

  cards::RenderInput render_input;
  render_input.knowledge = knowledge.criteria.get();
  render_input.terminology = knowledge.terminology.get();
  render_input.text = knowledge.card_text.get();
  render_input.prepared = knowledge.card_rows.get();
  render_input.request = &request;
  render_input.orders = decided_orders;
  render_input.decisions = &decisions;
  if (input.earlier_rating) {
    render_input.repeat_of.reserve(decisions.size());
    for (const auto& decision : decisions) {
      render_input.repeat_of.push_back(input.earlier_rating(decision));
    }
  }
  render_input.settings = input.card_settings;
  render_input.new_uuid = input.new_uuid;
  cards::Rendered rendered = cards::render(render_input);

  if (input.record && !rendered.consults.empty()) {
    ConsultOutcome outcome{&request, &decisions, &rendered, input.now, knowledge.version};
    if (auto status = input.record(outcome); !status) return std::move(status).error();
  }
  return std::move(rendered.body);
}

}  // namespace vcf_cds::consult
