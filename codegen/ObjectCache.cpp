// ObjectCache: one file per key, `<dir>/<sha256>.o`.
#include "kiln/codegen/ObjectCache.h"

#include "kiln/codegen/JitEngine.h"

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/raw_ostream.h>

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <random>

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

namespace kiln::codegen {

std::filesystem::path ObjectCache::defaultDirectory() {
  if (const char *dir = std::getenv("KILN_CACHE_DIR"))
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "kiln";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "kiln";
  return {};
}

std::string ObjectCache::key(std::string_view programText) {
  const HostTarget &host = hostTarget();
  llvm::SHA256 hash;
  auto add = [&](std::string_view part) {
    hash.update(llvm::StringRef(part.data(), part.size()));
    hash.update(llvm::StringRef("\0", 1)); // separators: no two splits hash alike
  };
  add(programText);
  add(host.triple);
  add(host.cpu);
  add(host.features);
  add(KILN_VERSION);
  std::array<uint8_t, 32> digest = hash.final();
  std::string hex;
  for (uint8_t byte : digest)
    hex += fmt::format("{:02x}", byte);
  return hex;
}

std::filesystem::path ObjectCache::path(const std::string &key) const {
  return directory_ / (key + ".o");
}

std::unique_ptr<llvm::MemoryBuffer> ObjectCache::load(const std::string &key) const {
  if (!enabled())
    return nullptr;
  auto buffer = llvm::MemoryBuffer::getFile(path(key).string(), /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return nullptr;
  return std::move(*buffer);
}

void ObjectCache::store(const std::string &key, llvm::MemoryBufferRef object) const {
  if (!enabled())
    return;
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  if (error)
    return;
  std::filesystem::path target = path(key);
  std::filesystem::path temporary = target.string() + fmt::format(".tmp{}", std::random_device{}());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(object.getBufferStart(), static_cast<std::streamsize>(object.getBufferSize()));
  }
  if (std::filesystem::file_size(temporary, error) != object.getBufferSize() || error) {
    std::filesystem::remove(temporary, error);
    return;
  }
  std::filesystem::rename(temporary, target, error);
  if (error)
    std::filesystem::remove(temporary, error);
}

} // namespace kiln::codegen
