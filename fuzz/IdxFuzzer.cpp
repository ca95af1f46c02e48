// libFuzzer harness of the IDX reader (MNIST and Fashion-MNIST, raw or gzip'd): any bytes
// either load as images or labels whose dimensions account for every payload byte, or
// fail with one kiln::Error line naming the file; the header-only reader agrees.
#include "FuzzInput.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/data/Idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  const std::string &path = fuzz::writeInput(data, size);
  for (IdxKind kind : {IdxKind::Images, IdxKind::Labels}) {
    try {
      IdxArray array = readIdx(path, kind);
      size_t elements = 1;
      for (int64_t d : array.dims)
        elements *= static_cast<size_t>(d);
      if (static_cast<int>(array.dims.size()) != idxRank(kind) || elements != array.data.size())
        fuzz::contractBroken("dimensions do not account for the payload");
      if (readIdxDims(path, kind) != array.dims)
        fuzz::contractBroken("the header-only reader disagrees with the full reader");
    } catch (const Error &e) {
      fuzz::checkMessage(e.what(), path + ":");
    } catch (const std::exception &e) {
      fuzz::contractBroken(std::string("not a kiln::Error: ") + e.what());
    }
  }
  return 0;
}
