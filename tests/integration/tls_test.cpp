// Native HTTPS: a self-signed certificate minted at test time with the openssl CLI,
// a verifying Beast TLS client, an old-protocol client that must be refused, plain HTTP on the
// TLS port, and unusable certificate files.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::testing;
namespace ssl = boost::asio::ssl;

// An EC P-256 certificate for localhost and 127.0.0.1, valid for one day, made once per run.
// An EC P-256 certificate for localhost and 127.0.0.1, valid for one day, made once per run.
struct TestCertificate {
  TestCertificate() {
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        key + "' -out '" + cert + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }
  TempDir dir;
  std::string cert = (dir.path() / "cert.pem").string();
  std::string key = (dir.path() / "key.pem").string();
};

const TestCertificate& certificate() {
  static const TestCertificate made;
  return made;
}

http::ServerOptions tls_options() {
  http::ServerOptions options = test_server_options();
  options.tls_cert_file = certificate().cert;
  options.tls_key_file = certificate().key;
  return options;
}

// A client context that trusts only the test certificate.
ssl::context verifying_client() {
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(certificate().cert);
  context.set_verify_mode(ssl::verify_peer);
  return context;
}

// GET `target` over TLS; the first error of connect, handshake, write or read (empty: success).
beast::error_code tls_get(unsigned short port, ssl::context& context, std::string_view target,
                          HttpResponse* response = nullptr) {
  asio::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).expires_after(3s);
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
  request.set(bhttp::field::host, "localhost");
  beast::flat_buffer buffer;
  HttpResponse received;
  beast::error_code result;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  beast::get_lowest_layer(stream).async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) return void(result = ec);
    stream.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
      if (ec) return void(result = ec);
      bhttp::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
        if (ec) return void(result = ec);
        bhttp::async_read(stream, buffer, received,
                          [&](beast::error_code ec, std::size_t) { result = ec; });
      });
    });
  });
  ioc.run();
  if (!result && response != nullptr) *response = std::move(received);
  return result;
}

TEST_SUITE("integration") {
  TEST_CASE("tls: a verifying client gets discovery 200 over HTTPS") {
    ServiceUnderTest service(tls_options());
    ssl::context client = verifying_client();
    HttpResponse response;
    const auto ec = tls_get(service.port(), client, "/cds-services", &response);
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(response.result_int() == 200);
    CHECK(response.body().find("\"services\"") != std::string::npos);
  }

  TEST_CASE("tls: a TLS 1.1-only client is refused; the server keeps serving") {
    ServiceUnderTest service(tls_options());
    ssl::context old_client(ssl::context::tls_client);
    // Let this client really offer TLS 1.1 (OpenSSL 3's security level would forbid it
    // locally), so the refusal tested is the server's.
    SSL_CTX_set_security_level(old_client.native_handle(), 0);
    SSL_CTX_set_cipher_list(old_client.native_handle(), "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(old_client.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old_client.native_handle(), TLS1_1_VERSION);
    const auto refused = tls_get(service.port(), old_client, "/cds-services");
    CHECK(refused);
    CHECK(refused.category() == asio::error::get_ssl_category());

    ssl::context client = verifying_client();
    CHECK_FALSE(tls_get(service.port(), client, "/healthz"));
  }

  TEST_CASE("tls: plain HTTP to the TLS port is closed cleanly") {
    ServiceUnderTest service(tls_options());
    TestClient plain(service.port());
    REQUIRE_FALSE(plain.send(raw_request("GET", "/cds-services")));
    CHECK(plain.closed_within(2000ms));
    ssl::context client = verifying_client();
    CHECK_FALSE(tls_get(service.port(), client, "/healthz"));
  }

  TEST_CASE("tls: a client that connects and never handshakes is dropped at the header timeout") {
    ServiceUnderTest service(tls_options());  // header timeout 300 ms
    TestClient silent(service.port());
    CHECK(silent.closed_within(2000ms));
  }

  TEST_CASE("tls: unusable certificate or key files stop start-up, naming the file") {
    const TempDir dir;
    const std::string garbage = dir.write("garbage.pem", "not a PEM file\n").string();
    http::ServerOptions options = test_server_options();
    options.tls_cert_file = garbage;
    options.tls_key_file = certificate().key;
    http::Server bad_cert(options, http::Handlers{});
    CHECK_THROWS_WITH(bad_cert.start(), doctest::Contains(garbage.c_str()));

    options.tls_cert_file = certificate().cert;
    options.tls_key_file = (dir.path() / "missing.pem").string();
    http::Server missing_key(options, http::Handlers{});
    CHECK_THROWS_WITH(missing_key.start(), doctest::Contains("missing.pem"));
  }
}

}  // namespace
