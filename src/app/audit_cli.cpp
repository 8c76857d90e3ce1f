#include "app/audit_cli.hpp"

#include "app/cli.hpp"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "common/json_file.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/audit_review.hpp"

namespace vcf_cds::app {
namespace {

namespace po = boost::program_options;

po::options_description describe_options() {
  po::options_description options(
      "usage: vcf-cds audit verify|export|summary|import [options]\n\noptions");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("data-dir", po::value<std::string>(), "SQLite trail: DIR/audit.sqlite3 (default ./data)")
      ("database-url", po::value<std::string>(), "PostgreSQL trail: postgresql://… or \"host=… dbname=…\"")
      ("identifier-secret-file", po::value<std::string>(),
       "HMAC secret (file) so --patient/--user also match hashed records")
      ("format", po::value<std::string>()->default_value("ndjson"), "export: csv | ndjson | fhir")
      ("canonical-base", po::value<std::string>()->default_value("https://vcf-cds.example.org/fhir"),
       "export --format fhir: the project's canonical base (as serve's), for AuditEvent codes")
      ("from", po::value<std::string>(), "consults at or after this RFC 3339 UTC time")
      ("to", po::value<std::string>(), "consults before this RFC 3339 UTC time")
      ("patient", po::value<std::string>(), "consults for this patient id")
      ("user", po::value<std::string>(), "consults by this user id")
      ("variant", po::value<int>(), "consults in this variant (0 = no criteria apply)")
      ("outcome", po::value<std::string>(), "latest feedback: accepted | overridden | none")
      ("json", "summary: print JSON instead of a table")
      ("input", po::value<std::string>(), "import: NDJSON file (default stdin)")
      ("output", po::value<std::string>(), "export/summary: write here instead of stdout")
      ("command", po::value<std::string>(), "verify | export | summary | import");
  // clang-format on
  return options;
}

audit::StoreConfig store_config(const po::variables_map& vm, bool read_only) {
  audit::StoreConfig config;
  config.read_only = read_only;
  if (vm.count("database-url") && vm.count("data-dir")) {
    throw UsageError("give --data-dir or --database-url, not both");
  }
  if (vm.count("database-url")) {
    config.database_url = vm["database-url"].as<std::string>();
    if (!audit::is_postgres_url(config.database_url)) {
      throw UsageError("--database-url must be postgresql://… or \"host=… dbname=…\"");
    }
  } else {
    config.data_dir = vm.count("data-dir") ? vm["data-dir"].as<std::string>() : "./data";
  }
  if (vm.count("identifier-secret-file")) {
    std::string secret = common::read_file(vm["identifier-secret-file"].as<std::string>());
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    config.identifier_secret = std::move(secret);
  }
  return config;
}

audit::Query query_from(const po::variables_map& vm) {
  audit::Query q;
  if (vm.count("from")) q.from = vm["from"].as<std::string>();
  if (vm.count("to")) q.to = vm["to"].as<std::string>();
  if (vm.count("patient")) q.patient_id = vm["patient"].as<std::string>();
  if (vm.count("user")) q.user_id = vm["user"].as<std::string>();
  if (vm.count("variant")) {
    const int v = vm["variant"].as<int>();
    if (v < 0 || v > 9) throw UsageError("--variant must be 0..9");
    q.variant = v;
  }
  if (vm.count("outcome")) {
    const auto filter = audit::outcome_filter_from_string(vm["outcome"].as<std::string>());
    if (!filter || *filter == audit::OutcomeFilter::any) {
      throw UsageError("--outcome must be accepted, overridden or none");
    }
    q.outcome = *filter;
  }
  return q;
}

int store_error(const Error& error) {
  std::cerr << "vcf-cds audit: " << error.message << "\n";
  return kExitFailure;
}

int run_verify(audit::Store& store) {
  auto result = store.verify_chain();
  if (!result) return store_error(result.error());
  if (result->ok) {
    std::cout << "chain ok: " << result->records << " records\n";
    return kExitOk;
  }
  std::cout << "chain BROKEN at seq " << result->broken_seq << " (" << result->broken_kind;
  if (!result->broken_id.empty()) std::cout << " " << result->broken_id;
  std::cout << "): " << result->reason << "\n"
            << result->records << " records before it check out\n";
  return kExitFinding;
}

// Runs `write` against --output or stdout.
template <class Write>
int with_output(const po::variables_map& vm, Write&& write) {
  if (!vm.count("output")) {
    write(std::cout);
    return std::cout ? kExitOk : kExitFailure;
  }
  const std::string file = vm["output"].as<std::string>();
  std::ofstream out(file, std::ios::binary);
  if (!out) throw UsageError("cannot write " + file);
  write(out);
  return out ? kExitOk : kExitFailure;
}

int run_report(const std::string& command, const po::variables_map& vm, audit::Store& store) {
  const audit::Query query = query_from(vm);
  std::string format = vm["format"].as<std::string>();
  if (command == "export" && format != "csv" && format != "ndjson" && format != "fhir") {
    throw UsageError("--format must be csv, ndjson or fhir");
  }
  auto extract = audit_review::load_extract(store, query);
  if (!extract) return store_error(extract.error());
  return with_output(vm, [&](std::ostream& out) {
    if (command == "summary") {
      vm.count("json") ? audit_review::write_summary_json(*extract, out)
                       : audit_review::write_summary_text(*extract, out);
    } else if (format == "csv") {
      audit_review::write_csv(*extract, out);
    } else if (format == "fhir") {
      std::string base = vm["canonical-base"].as<std::string>();
      while (base.ends_with('/')) base.pop_back();
      audit_review::write_fhir_bundle(*extract, out, base);
    } else {
      audit_review::write_ndjson(*extract, out);
    }
  });
}

int run_import(const po::variables_map& vm, audit::Store& store) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (vm.count("input")) {
    file.open(vm["input"].as<std::string>(), std::ios::binary);
    if (!file) throw UsageError("cannot read " + vm["input"].as<std::string>());
    in = &file;
  }
  auto result = audit_review::import_ndjson(*in, store);
  if (!result) {
    std::cerr << "vcf-cds audit import: " << result.error().field << ": " << result.error().message
              << "\n";
    return result.error().code == ErrorCode::bad_request ? kExitUsage : kExitFailure;
  }
  store.flush();
  std::cout << "imported " << result->consults << " consults and " << result->feedback
            << " feedback\n";
  return kExitOk;
}

}  // namespace

int run_audit_cli(int argc, char** argv) {
  const po::options_description options = describe_options();
  po::positional_options_description positional;
  positional.add("command", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(),
              vm);
    po::notify(vm);
    if (vm.count("help") || !vm.count("command")) {
      (vm.count("help") ? std::cout : std::cerr) << options;
      return vm.count("help") ? kExitOk : kExitUsage;
    }
    const std::string command = vm["command"].as<std::string>();
    if (command != "verify" && command != "export" && command != "summary" && command != "import") {
      throw UsageError("unknown command '" + command + "'");
    }
    std::unique_ptr<audit::Store> store;
    try {
      store = audit::open_store(store_config(vm, /*read_only=*/command != "import"));
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "vcf-cds audit: " << e.what() << "\n";
      return kExitFailure;
    }
    if (command == "verify") return run_verify(*store);
    if (command == "import") return run_import(vm, *store);
    return run_report(command, vm, *store);
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds audit: " << e.what() << "\n";
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "vcf-cds audit: " << e.what() << "\n" << options;
    return kExitUsage;
  }
}

}  // namespace vcf_cds::app
