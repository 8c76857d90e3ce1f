// Bench (a): the HTTP ceiling. The same http::Server (Beast sessions, routing, CORS, worker pool)
// as `vcf-cds serve`, but the call handler returns a fixed body read once at start-up (run.sh
// passes the real response of the small request so the bytes on the wire match).
//
//   vcf_cds_canned_server PORT THREADS RESPONSE_FILE
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "vcf_cds/http.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: vcf_cds_canned_server PORT THREADS RESPONSE_FILE\n";
    return 1;
  }
  std::ifstream in(argv[3], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << argv[3] << '\n';
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string body = text.str();

  vcf_cds::http::ServerOptions options;
  options.port = static_cast<unsigned short>(std::atoi(argv[1]));
  options.threads = static_cast<unsigned>(std::atoi(argv[2]));
  vcf_cds::http::Handlers handlers;
  handlers.discovery = [](std::string_view) -> vcf_cds::Result<std::string> {
    return std::string(R"({"services":[]})");
  };
  handlers.call = [&body](std::string_view, std::string&&, std::string_view,
                          const vcf_cds::http::Offload&,
                          std::function<void(vcf_cds::Result<std::string>)> done) { done(body); };
  vcf_cds::http::Server server(options, std::move(handlers));
  server.start();
  spdlog::info("canned server on 127.0.0.1:{} ({} threads, {} byte body)", server.port(),
               options.threads, body.size());
  server.wait();
  return 0;
}
