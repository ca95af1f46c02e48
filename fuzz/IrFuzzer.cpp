// libFuzzer harness of the IR text front end: any bytes either parse into graphs that
// verify and print to a fixed point of print-parse, or fail with one kiln::Error line
// positioned in the file. Anything else (a crash, a sanitizer report, another exception
// type, a multi-line message, a print that does not re-parse to itself) is a finding.
#include "FuzzInput.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::vector<Graph> graphs;
  try {
    graphs = parseGraphs(text, "fuzz.kir");
  } catch (const Error &e) {
    fuzz::checkMessage(e.what(), "fuzz.kir:");
    return 0;
  } catch (const std::exception &e) {
    fuzz::contractBroken(std::string("not a kiln::Error: ") + e.what());
  }
  for (const Graph &g : graphs) {
    try {
      verify(g);
    } catch (const std::exception &e) {
      fuzz::contractBroken(std::string("parsed but does not verify: ") + e.what());
    }
    std::string printed = printGraph(g);
    std::string reprinted;
    try {
      reprinted = printGraph(parseGraph(printed, "printed.kir"));
    } catch (const std::exception &e) {
      fuzz::contractBroken(std::string("printed graph does not parse: ") + e.what());
    }
    if (reprinted != printed)
      fuzz::contractBroken("print-parse-print is not a fixed point:\n" + printed);
  }
  return 0;
}
