#include "unit/auth/token_factory.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>

extern char** environ;

namespace vcf_cds::testing::auth {
namespace {

std::string mint_tool() {
  return "python3 '" + source_path("tools/mint_jwt.py").string() + "'";
}

std::string quoted_path(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

// `mint_jwt.py serve` as a co-process: one interpreter start-up for the whole test run instead of
// one per token (each token then costs one `openssl dgst`).
class MintServer {
 public:
  MintServer() {
    int to_child[2];
    int from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    const std::string tool = source_path("tools/mint_jwt.py").string();
    char* argv[] = {const_cast<char*>("python3"), const_cast<char*>(tool.c_str()),
                    const_cast<char*>("serve"), nullptr};
    const int spawned = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    to_ = ::fdopen(to_child[1], "w");
    from_ = ::fdopen(from_child[0], "r");
    if (spawned != 0 || to_ == nullptr || from_ == nullptr) {
      throw std::runtime_error("cannot start mint_jwt.py serve");
    }
  }
  ~MintServer() {
    std::fclose(to_);  // EOF on stdin ends the server
    std::fclose(from_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  MintServer(const MintServer&) = delete;
  MintServer& operator=(const MintServer&) = delete;

  std::string sign(const std::string& request) {
    const std::lock_guard lock(mutex_);
    std::fputs((request + "\n").c_str(), to_);
    std::fflush(to_);
    std::string line;
    for (int c; (c = std::fgetc(from_)) != EOF && c != '\n';) line += static_cast<char>(c);
    if (line.empty()) throw std::runtime_error("mint_jwt.py serve failed on " + request);
    return line;
  }

 private:
  pid_t pid_ = 0;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::chrono::system_clock::time_point at(std::int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

Json& Json::raw(std::string name, std::string json) {
  erase(name);
  members_.emplace_back(std::move(name), std::move(json));
  return *this;
}

Json& Json::erase(std::string_view name) {
  std::erase_if(members_, [name](const auto& member) { return member.first == name; });
  return *this;
}

std::string Json::dump() const {
  std::string out = "{";
  for (const auto& [name, value] : members_) {
    if (out.size() > 1) out += ',';
    out += quote(name) + ':' + value;
  }
  return out + '}';
}

std::string Json::quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

Json header(std::string_view alg, std::string_view kid) {
  return Json().str("alg", alg).str("typ", "JWT").str("kid", kid);
}

Json claims() {
  static std::atomic<int> counter{0};
  return Json()
      .str("iss", issuer)
      .str("aud", audience)
      .num("exp", now_s + 300)
      .num("iat", now_s)
      .str("jti", "jti-" + std::to_string(++counter));
}

std::string run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Keys::Keys() {
  // Shared by every test process of this build (ctest runs one per test case) and git-ignored:
  // built in a private directory, then renamed into place atomically; a concurrent loser
  // discards its copy.
  const auto root = std::filesystem::path(VCF_CDS_BINARY).parent_path() / "test-keys";
  dir_ = root / "auth-v1";
  if (!std::filesystem::exists(dir_ / "trusted.jwks.json")) {
    std::filesystem::create_directories(root);
    std::string scratch = (root / "auth-tmp-XXXXXX").string();
    if (::mkdtemp(scratch.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    generate(scratch);
    std::error_code lost_race;
    std::filesystem::rename(scratch, dir_, lost_race);
    if (lost_race) std::filesystem::remove_all(scratch);
  }
  trusted_ = dir_ / "trusted.jwks.json";
}

void Keys::generate(const std::filesystem::path& dir) {
  const auto pem = [&dir](std::string_view name) { return dir / (std::string(name) + ".pem"); };
  const std::pair<const char*, const char*> types[] = {
      {"ec384", "ec-p384"},  {"ec256", "ec-p256"},   {"rsa", "rsa2048"},
      {"ec384b", "ec-p384"}, {"rsa1024", "rsa1024"}, {"ec521", "ec-p521"}};
  for (const auto& [name, type] : types) {
    run(mint_tool() + " keygen --type " + type + " --out " + quoted_path(pem(name)));
  }
  // Public halves, the secret of the HS256 "public key as HMAC key" confusion attack.
  for (const char* name : {"ec384", "rsa"}) {
    run("openssl pkey -in " + quoted_path(pem(name)) + " -pubout -out " +
        quoted_path(pem(std::string(name) + ".pub")));
  }
  const std::string jwks =
      run(mint_tool() + " jwks " + quoted_path(pem("ec384")) + ":ec384 " +
          quoted_path(pem("ec256")) + ":ec256 " + quoted_path(pem("rsa")) + ":rsa");
  std::ofstream(dir / "trusted.jwks.json", std::ios::binary) << jwks;  // written last
}

const Keys& Keys::get() {
  static const Keys keys;
  return keys;
}

std::filesystem::path Keys::pem(std::string_view name) const {
  return dir_ / (std::string(name) + ".pem");
}

std::string Keys::jwks(const std::vector<std::string>& specs) const {
  std::string command = mint_tool() + " jwks";
  for (const std::string& spec : specs) {
    const auto colon = spec.find(':');
    command += " '" + pem(spec.substr(0, colon)).string() + spec.substr(colon) + "'";
  }
  return run(command);
}

std::string mint(const Json& header, const Json& payload, std::string_view alg,
                 std::string_view key, bool der_signature) {
  return mint_raw(header.dump(), payload.dump(), alg, key, der_signature);
}

std::string mint_raw(std::string_view header, std::string_view payload, std::string_view alg,
                     std::string_view key, bool der_signature) {
  static MintServer server;
  return server.sign(Json()
                         .str("alg", alg)
                         .str("key", Keys::get().pem(key).string())
                         .str("header", hex(header))
                         .str("payload", hex(payload))
                         .raw("der", der_signature ? "true" : "false")
                         .dump());
}

vcf_cds::auth::AuthConfig trusted_config() {
  vcf_cds::auth::AuthConfig config;
  config.issuers.push_back({std::string(issuer), Keys::get().trusted_jwks().string(), {}, {}});
  return config;
}

}  // namespace vcf_cds::testing::auth
