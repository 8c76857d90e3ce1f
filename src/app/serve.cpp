// `vcf-cds serve`: flags and config file -> knowledge -> HTTP server wired to hooks + pipeline.
//
// Precedence: command-line flags over the `--config` file (INI-style `key = value`, keys are the
// long flag names without dashes) over defaults. Start-up problems stop the process (exit 2).
#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/pipeline.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

struct ServeConfig {
  std::string listen;
  std::string data_dir;
  std::string public_base_url;
  std::string knowledge;
  std::string profiles;
  std::string card_text;
  std::string cors_origin;
  std::string log_level;
  unsigned threads = 1;
  std::size_t body_limit = 0;
  int new_window_days = 90;
  int fhir_timeout_ms = 3000;
  int header_timeout_ms = 10'000;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  bool allow_unauthenticated = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

po::options_description describe_options(ServeConfig& c) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description options("vcf-cds serve options");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "INI-style file of `key = value` lines (flag names)")
      ("listen", po::value(&c.listen)->default_value("127.0.0.1:8080"), "HOST:PORT to listen on")
      ("data-dir", po::value(&c.data_dir)->default_value("./data"), "state folder (audit store)")
      ("public-base-url", po::value(&c.public_base_url), "URL clients use (default http://<listen>)")
      ("threads", po::value(&c.threads)->default_value(cores), "I/O threads (default: cores)")
      ("body-limit", po::value(&c.body_limit)->default_value(1024 * 1024), "max request body, bytes")
      ("knowledge", po::value(&c.knowledge)->default_value("cards/criteria.json"), "criteria file")
      ("profiles", po::value(&c.profiles)->default_value("fhir-profiles"), "FHIR profiles folder")
      ("card-text", po::value(&c.card_text)->default_value("cards/templates"), "card wording folder")
      ("cors-origin", po::value(&c.cors_origin)->default_value("*"), "Access-Control-Allow-Origin")
      ("log-level", po::value(&c.log_level)->default_value("info"), "trace|debug|info|warn|error")
      ("new-window-days", po::value(&c.new_window_days)->default_value(90), "\"new\" VCF window")
      ("fhir-timeout-ms", po::value(&c.fhir_timeout_ms)->default_value(3000), "per FHIR GET")
      ("header-timeout-ms", po::value(&c.header_timeout_ms)->default_value(10'000),
       "first byte to end of request headers")
      ("read-timeout-ms", po::value(&c.read_timeout_ms)->default_value(30'000),
       "request body read, and each response write")
      ("idle-timeout-ms", po::value(&c.idle_timeout_ms)->default_value(60'000),
       "keep-alive wait for the next request")
      ("allow-unauthenticated", po::bool_switch(&c.allow_unauthenticated),
       "accept calls without a JWT (local use)");
  // clang-format on
  return options;
}

// Splits HOST:PORT ("[::1]:8080" for IPv6).
std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw UsageError("--listen must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535 || host.empty()) {
    throw UsageError("--listen must be HOST:PORT, got '" + listen + "'");
  }
  return {host, static_cast<unsigned short>(std::stoul(port))};
}

// Reads flags, then the config file for what the flags left unset. Returns false for --help.
bool parse_config(int argc, char** argv, ServeConfig& config) {
  po::options_description options = describe_options(config);
  po::variables_map vars;
  po::store(po::parse_command_line(argc, argv, options), vars);
  if (vars.count("help")) {
    std::cout << "usage: vcf-cds [serve] [flags]\n" << options << '\n';
    return false;
  }
  if (vars.count("config")) {
    const std::string file = vars["config"].as<std::string>();
    std::ifstream in(file);
    if (!in) throw UsageError("cannot read config file " + file);
    po::store(po::parse_config_file(in, options), vars);  // earlier (command-line) values win
  }
  po::notify(vars);
  if (spdlog::level::from_str(config.log_level) == spdlog::level::off &&
      config.log_level != "off") {
    throw UsageError("--log-level must be trace, debug, info, warn, error, critical or off");
  }
  if (config.threads == 0 || config.body_limit == 0 || config.fhir_timeout_ms <= 0 ||
      config.header_timeout_ms <= 0 || config.read_timeout_ms <= 0 || config.idle_timeout_ms <= 0 ||
      config.new_window_days <= 0) {
    throw UsageError("--threads, --body-limit, --new-window-days and timeouts must be positive");
  }
  if (config.public_base_url.empty()) config.public_base_url = "http://" + config.listen;
  while (config.public_base_url.ends_with('/')) config.public_base_url.pop_back();
  return true;
}

}  // namespace

http::Handlers make_handlers(ServiceWiring wiring) {
  auto shared = std::make_shared<const ServiceWiring>(std::move(wiring));
  http::Handlers handlers;
  handlers.discovery = [document = hooks::discovery_json()] { return document; };
  handlers.call = [shared](std::string_view id, std::string&& body) {
    const auto start = std::chrono::steady_clock::now();
    const hooks::Decide decide = [&](const hooks::HookRequest& request,
                                     const std::function<Status()>& ensure) {
      PipelineInput input;
      input.request = &request;
      input.now = std::chrono::system_clock::now();
      input.ensure_clinical_data = ensure;
      input.fact_options = shared->fact_options;
      // input.record stays empty until the audit store is wired (issue #7).
      return run_pipeline(*shared->knowledge, input);
    };
    auto result =
        hooks::call_service(id, std::move(body), *shared->fetcher, shared->call_options, decide);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (result) {
      spdlog::info("call {}: 200 in {} ms", id, ms);
    } else {
      spdlog::info("call {}: {} ({}) in {} ms", id, http::to_http_status(result.error().code),
                   result.error().message, ms);
    }
    return result;
  };
  handlers.feedback = [shared](std::string_view id, std::string&& body) {
    // Seam for the audit store (issue #7): until then feedback is validated and logged.
    static const hooks::FeedbackSink log_only = [](const hooks::Feedback& feedback) -> Status {
      spdlog::info("feedback for {}: {} item(s)", feedback.service_id, feedback.items.size());
      return Ok{};
    };
    return hooks::receive_feedback(id, std::move(body), shared->call_options.limits,
                                   shared->feedback_sink ? shared->feedback_sink : log_only);
  };
  // Hook for "flush audit" (issue #7): runs after the last in-flight request finished.
  handlers.drain = [shared] {
    if (shared->drain) shared->drain();
    spdlog::default_logger()->flush();
  };
  return handlers;
}

int run_serve(int argc, char** argv) {
  ServeConfig config;
  try {
    if (!parse_config(argc, argv, config)) return 0;
  } catch (const std::exception& e) {  // po::error, UsageError, bad numbers
    std::cerr << "vcf-cds serve: " << e.what() << "\n(see vcf-cds serve --help)\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  http::ServerOptions server_options;
  std::shared_ptr<const Knowledge> knowledge;
  try {
    std::tie(server_options.address, server_options.port) = split_listen(config.listen);
    fs::create_directories(config.data_dir);
    if (!fs::is_directory(config.profiles)) {
      throw std::runtime_error(config.profiles + ": not a folder of FHIR profiles");
    }
    knowledge = std::make_shared<const Knowledge>(
        load_knowledge(config.knowledge, config.profiles, config.card_text));
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds serve: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {  // KnowledgeError, ProfileError, TemplateError, I/O
    spdlog::critical("start-up failed: {}", e.what());
    return 2;
  }
  server_options.threads = config.threads;
  server_options.body_limit = config.body_limit;
  server_options.cors_origin = config.cors_origin;
  server_options.header_timeout = std::chrono::milliseconds(config.header_timeout_ms);
  server_options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  server_options.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);

  ServiceWiring wiring;
  wiring.knowledge = knowledge;
  wiring.fetcher = std::make_shared<http::FhirClient>(
      http::FhirClientOptions{std::chrono::milliseconds(config.fhir_timeout_ms)});
  wiring.fact_options.new_window = std::chrono::days(config.new_window_days);
  http::Server server(server_options, make_handlers(std::move(wiring)));
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    return 2;
  }
  spdlog::warn(
      "JWT verification is not implemented yet (issue #6): requests are not authenticated{}",
      config.allow_unauthenticated ? "" : " although --allow-unauthenticated was not given");
  spdlog::info(
      "vcf-cds {} listening on {}:{} ({} threads), public base URL {}, knowledge {}, "
      "data dir {}, new-window {} days",
      VCF_CDS_VERSION, server_options.address, server.port(), config.threads,
      config.public_base_url, knowledge->version, config.data_dir, config.new_window_days);
  server.wait();
  return 0;
}

}  // namespace vcf_cds::app
