// Bench-only JWT pool minting with OpenSSL EVP (deliberately independent of src/auth).
//
//   vcf_cds_mint_tokens --alg RS384|ES384 --key KEY.pem --kid KID --iss ISS --aud AUD
//                       --count N --out FILE [--lifetime S] [--threads T]
//
// Writes N compact JWS, one per line, each with a unique jti (replay protection rejects reuse).
// Header {"alg","typ":"JWT","kid"}; claims {iss, sub, aud, iat, exp, jti}. RS384: PKCS#1 v1.5
// over SHA-384. ES384: ECDSA P-384 over SHA-384, the DER signature converted to raw r||s
// (RFC 7518 §3.4, 48 + 48 bytes).
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::string b64url(const unsigned char* data, std::size_t size) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += abc[v & 63];
  }
  if (size - i == 1) {
    const unsigned v = data[i] << 16;
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
  } else if (size - i == 2) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
  }
  return out;
}
std::string b64url(const std::string& s) {
  return b64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "mint_tokens: " << what << '\n';
  std::exit(1);
}

// One signature; ES384 returns raw r||s.
std::string sign(EVP_PKEY* key, bool ecdsa, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key) != 1) die("sign init");
  std::size_t len = 0;
  if (EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    die("sign size");
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    die("sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (!ecdsa) return b64url(sig.data(), sig.size());
  const unsigned char* p = sig.data();
  ECDSA_SIG* der = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (!der) die("DER ECDSA signature");
  unsigned char raw[96];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(der), raw, 48) != 48 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(der), raw + 48, 48) != 48)
    die("r/s do not fit 48 bytes: is the key P-384?");
  ECDSA_SIG_free(der);
  return b64url(raw, sizeof raw);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a{{"--lifetime", "3000"}, {"--threads", "2"}};
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  for (const char* need : {"--alg", "--key", "--kid", "--iss", "--aud", "--count", "--out"}) {
    if (!a.count(need)) die(std::string("missing ") + need);
  }
  const std::string alg = a["--alg"];
  if (alg != "RS384" && alg != "ES384") die("--alg must be RS384 or ES384");
  const bool ecdsa = alg == "ES384";
  FILE* f = std::fopen(a["--key"].c_str(), "r");
  if (!f) die("cannot read " + a["--key"]);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key) die("not a PEM private key: " + a["--key"]);
  if (ecdsa != (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)) die("key type does not fit " + alg);

  const long count = std::stol(a["--count"]);
  const unsigned threads = std::max(1, std::stoi(a["--threads"]));
  const long long iat = static_cast<long long>(std::time(nullptr));
  const long long exp = iat + std::stoll(a["--lifetime"]);
  const std::string header =
      b64url(R"({"alg":")" + alg + R"(","typ":"JWT","kid":")" + a["--kid"] + R"("})");
  // A per-run nonce keeps jti unique across runs against a long-lived server.
  const std::string run = std::to_string(iat) + "-" + std::to_string(::getpid());

  std::vector<std::string> tokens(static_cast<std::size_t>(count));
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (long i = t; i < count; i += threads) {
        const std::string claims = R"({"iss":")" + a["--iss"] + R"(","sub":"bench-client","aud":")" +
                                   a["--aud"] + R"(","iat":)" + std::to_string(iat) +
                                   R"(,"exp":)" + std::to_string(exp) + R"(,"jti":"bench-)" + alg +
                                   "-" + run + "-" + std::to_string(i) + R"("})";
        const std::string input = header + "." + b64url(claims);
        tokens[static_cast<std::size_t>(i)] = input + "." + sign(key, ecdsa, input);
      }
    });
  }
  for (auto& w : workers) w.join();
  EVP_PKEY_free(key);

  std::ofstream out(a["--out"], std::ios::trunc);
  for (const auto& token : tokens) out << token << '\n';
  if (!out) die("cannot write " + a["--out"]);
  return 0;
}
