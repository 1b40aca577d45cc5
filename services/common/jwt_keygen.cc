// Writes a new ES256 key pair as <dir>/private.pem (mode 0600) and
// <dir>/public.pem. Refuses to overwrite existing files.
//   jwt_keygen DIR
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "services/common/jwt.h"

namespace {

bool WriteNewFile(const std::filesystem::path& path, const std::string& data,
                  std::filesystem::perms perms) {
  if (std::filesystem::exists(path)) {
    std::cerr << "jwt_keygen: " << path << " already exists; not overwriting\n";
    return false;
  }
  {
    std::ofstream out(path, std::ios::binary);
    if (!out) {
      std::cerr << "jwt_keygen: cannot create " << path << "\n";
      return false;
    }
    // Restrict before the secret is written, not after.
    std::filesystem::permissions(path, perms);
    out << data;
    if (!out.flush()) {
      std::cerr << "jwt_keygen: cannot write " << path << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: jwt_keygen DIR\n";
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::cerr << "jwt_keygen: cannot create " << dir << ": " << error.message()
              << "\n";
    return 1;
  }
  auto private_pem = cryptotracker::common::GenerateEcPrivateKeyPem();
  if (!private_pem.ok()) {
    std::cerr << "jwt_keygen: " << private_pem.status() << "\n";
    return 1;
  }
  auto signer =
      cryptotracker::common::JwtSigner::FromPrivateKeyPem(*private_pem);
  if (!signer.ok()) {
    std::cerr << "jwt_keygen: " << signer.status() << "\n";
    return 1;
  }
  using std::filesystem::perms;
  if (!WriteNewFile(dir / "private.pem", *private_pem,
                    perms::owner_read | perms::owner_write) ||
      !WriteNewFile(dir / "public.pem", signer->PublicKeyPem(),
                    perms::owner_read | perms::owner_write | perms::group_read |
                        perms::others_read)) {
    return 1;
  }
  std::cout << "kid " << signer->key_id() << "\n";
  return 0;
}
