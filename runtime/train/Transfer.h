// Transfer learning (spec §10): start a run from another run's model state. `--init`
// takes every tensor of a checkpoint that fits the model by name and shape and says what
// it skipped; `--reinit` then gives chosen modules (a new head) fresh initial values.
// `--resume` and `kiln eval` keep the strict loader (loadModelState), which refuses any
// difference.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/train/ParamStore.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// What loadMatchingModelState did, for the one line it prints.
struct InitReport {
  std::string file;                 ///< the safetensors file read
  std::vector<std::string> loaded;  ///< model state taken from the file
  std::vector<std::string> skipped; ///< model state left alone, as "name (why)"
  std::vector<std::string> unused;  ///< file tensors the model has no state for
};

/// Loads into `store` each model state of `graph` (parameters and buffers, no optimizer
/// state) that checkpoint `path` (a checkpoint directory or a safetensors file) holds
/// with the same name, dtype and shape. The rest is skipped and stays as the store has it
/// (absent: initialized when the run binds its graph). kiln::Error naming the file when
/// no tensor fits; then `store` is unchanged.
InitReport loadMatchingModelState(const std::string &path, const Graph &graph, ParamStore &store);

/// "loaded 6 of 8 tensors from FILE; skipped fc2.weight (shape [10,128] in checkpoint vs
/// [5,128] in model), ...; unused: ..." on one line.
std::string formatInitReport(const InitReport &report);

/// Sets every model state of `graph` inside one of the module paths `prefixes`
/// (inModulePath: "fc1" or "fc1.") to its initial value for `seed`, as a fresh run
/// would draw it. Returns the names re-initialized, in graph order. kiln::Error when a
/// prefix matches no state (before anything changes).
std::vector<std::string> reinitializeModules(const Graph &graph,
                                             const std::vector<std::string> &prefixes,
                                             uint64_t seed, ParamStore &store);

} // namespace kiln
