// libFuzzer harness of the safetensors reader (checkpoints, `kiln run --inputs`): any
// bytes either load, and then write and re-read to the same tensors and metadata, or fail
// with one kiln::Error line naming the file.
#include "FuzzInput.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/Safetensors.h"

#include <cstring>

namespace {

bool sameTensors(const kiln::SafetensorsFile &a, const kiln::SafetensorsFile &b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size())
    return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const kiln::NamedTensor &x = a.tensors[i], &y = b.tensors[i];
    if (x.name != y.name || x.int64OnDisk != y.int64OnDisk || x.tensor.type() != y.tensor.type() ||
        std::memcmp(x.tensor.raw(), y.tensor.raw(), x.tensor.byteSize()) != 0)
      return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  const std::string &path = fuzz::writeInput(data, size);
  SafetensorsFile file;
  try {
    file = readSafetensors(path);
  } catch (const Error &e) {
    fuzz::checkMessage(e.what(), path + ":");
    return 0;
  } catch (const std::exception &e) {
    fuzz::contractBroken(std::string("not a kiln::Error: ") + e.what());
  }
  const std::string copy = path + ".copy";
  try {
    writeSafetensors(copy, file.tensors, file.metadata);
    if (!sameTensors(file, readSafetensors(copy)))
      fuzz::contractBroken("a loaded file does not write and re-read to itself");
  } catch (const std::exception &e) {
    fuzz::contractBroken(std::string("a loaded file does not write and re-read: ") + e.what());
  }
  return 0;
}
