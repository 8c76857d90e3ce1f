// The server's TLS settings: TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD
// suites (ECDHE with AES-GCM or ChaCha20-Poly1305) in the server's order of preference; 1.3 keeps
// OpenSSL's default suites (all AEAD). No compression (CRIME), no renegotiation (client-initiated
// renegotiation is a CPU-exhaustion vector and HTTP/1.1 here never needs it).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "http/server_state.hpp"

namespace vcf_cds::http::detail {
namespace {

namespace ssl = boost::asio::ssl;

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec) {
  throw std::runtime_error(what + ": " + ec.message());
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return nullptr;
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    throw std::runtime_error("TLS needs both a certificate file and a key file");
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("TLS: OpenSSL rejected the protocol or cipher settings");
  }
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) fail(options.tls_cert_file + ": not a usable PEM certificate chain", ec);
  context->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) fail(options.tls_key_file + ": not a usable PEM private key", ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error(options.tls_key_file + ": private key does not match certificate " +
                             options.tls_cert_file);
  }
  return context;
}

}  // namespace vcf_cds::http::detail
