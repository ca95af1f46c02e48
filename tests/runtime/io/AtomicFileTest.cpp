#include "kiln/runtime/io/AtomicFile.h"

#include "kiln/ir/Error.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <sys/resource.h>

using namespace kiln;
using Catch::Contains;
using kiln::test::readFile;
using kiln::test::TestDir;

TEST_CASE("atomic write creates and replaces a file, leaving no temp file", "[io]") {
  TestDir dir;
  std::string path = dir.file("out.txt");
  writeFileAtomically(path, "first");
  CHECK(readFile(path) == "first");
  writeFileAtomically(path, std::string(3 << 20, 'x')); // larger than the sink's buffer
  CHECK(readFile(path) == std::string(3 << 20, 'x'));
  CHECK(dir.entries() == std::vector<std::string>{"out.txt"});
}

TEST_CASE("atomic write streams chunks through the sink", "[io]") {
  TestDir dir;
  std::string path = dir.file("streamed.bin");
  writeFileAtomically(path, [](ByteSink &sink) {
    for (int i = 0; i < 1000; ++i)
      sink.write(std::to_string(i % 10));
  });
  std::string content = readFile(path);
  REQUIRE(content.size() == 1000);
  CHECK(content.substr(0, 12) == "012345678901");
}

TEST_CASE("a throwing producer leaves the old file and no temp file", "[io]") {
  TestDir dir;
  std::string path = dir.file("keep.txt");
  writeFileAtomically(path, "old contents");
  CHECK_THROWS_WITH(writeFileAtomically(path,
                                        [](ByteSink &sink) {
                                          sink.write("partial new contents");
                                          throw std::runtime_error("producer failed");
                                        }),
                    "producer failed");
  CHECK(readFile(path) == "old contents");
  CHECK(dir.entries() == std::vector<std::string>{"keep.txt"});
}

TEST_CASE("a failing write leaves the old file and no temp file", "[io]") {
  // RLIMIT_FSIZE makes write(2) fail with EFBIG, even for root, which a read-only
  // directory would not.
  TestDir dir;
  std::string path = dir.file("keep.bin");
  writeFileAtomically(path, "old");
  struct rlimit saved;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    writeFileAtomically(path, std::string(size_t(2) << 20, 'n'));
  } catch (const Error &e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previousHandler);
  CHECK(message == path + ": write failed (File too large)");
  CHECK(readFile(path) == "old");
  CHECK(dir.entries() == std::vector<std::string>{"keep.bin"});
}

TEST_CASE("atomic write into a missing directory or a non-directory fails clearly", "[io]") {
  TestDir dir;
  std::string notDir = dir.file("plain.txt");
  writeFileAtomically(notDir, "i am a file");
  std::string inside = notDir + "/out.txt";
  CHECK_THROWS_WITH(writeFileAtomically(inside, "x"), inside +
                                                          ": cannot create a temporary file in '" +
                                                          notDir + "' (Not a directory)");
  std::string missing = dir.file("nope/out.txt");
  CHECK_THROWS_WITH(writeFileAtomically(missing, "x"), Contains("(No such file or directory)"));
  CHECK(readFile(notDir) == "i am a file");
  CHECK(dir.entries() == std::vector<std::string>{"plain.txt"});
}

TEST_CASE("atomic write over a directory fails at the rename and cleans up", "[io]") {
  TestDir dir;
  std::string target = dir.file("adir");
  std::filesystem::create_directory(target);
  CHECK_THROWS_WITH(writeFileAtomically(target, "x"),
                    target + ": cannot rename the temporary file over it (Is a directory)");
  CHECK(dir.entries() == std::vector<std::string>{"adir"});
  CHECK_THROWS_WITH(writeFileAtomically(dir.str() + "/", "x"), Contains("not a file name"));
}

TEST_CASE("ensureWritableDir creates missing directories and rejects files", "[io]") {
  TestDir dir;
  std::string nested = dir.file("a/b/c");
  ensureWritableDir(nested);
  CHECK(std::filesystem::is_directory(nested));
  ensureWritableDir(nested); // already there: fine
  std::string file = dir.file("f");
  writeFileAtomically(file, "");
  CHECK_THROWS_WITH(ensureWritableDir(file), file + ": exists and is not a directory");
  CHECK_THROWS_WITH(ensureWritableDir(file + "/sub"), Contains(file + "/sub: cannot"));
  CHECK_THROWS_WITH(ensureWritableDir(""), Contains("empty"));
}
