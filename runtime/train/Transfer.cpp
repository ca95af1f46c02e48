// Partial loading compares each model state of the graph with the checkpoint's tensor of
// the same name; it changes the store only after the whole comparison, so a checkpoint
// with nothing in common leaves the run untouched.
#include "kiln/runtime/train/Transfer.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/io/Safetensors.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/ModulePath.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <set>

namespace kiln {

namespace {

/// Why `have` (from the checkpoint) cannot stand for `want` (the model's), or "".
std::string mismatch(const Type &have, const Type &want) {
  if (have.dtype != want.dtype)
    return fmt::format("dtype {} in checkpoint vs {} in model", dtypeName(have.dtype),
                       dtypeName(want.dtype));
  if (have.shape != want.shape)
    return fmt::format("shape {} in checkpoint vs {} in model", shapeStr(have.shape),
                       shapeStr(want.shape));
  return "";
}

} // namespace

InitReport loadMatchingModelState(const std::string &path, const Graph &graph, ParamStore &store) {
  InitReport report;
  report.file = checkpointModelFile(path);
  SafetensorsFile file = readSafetensors(report.file);
  std::vector<std::pair<std::string, const Tensor *>> take;
  std::set<std::string> modelNames;
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    if (!isModelState(node.name))
      continue;
    modelNames.insert(node.name);
    const Tensor *tensor = file.find(node.name);
    std::string why = tensor ? mismatch(tensor->type(), node.type) : "missing in checkpoint";
    if (why.empty()) {
      take.emplace_back(node.name, tensor);
      report.loaded.push_back(node.name);
    } else {
      report.skipped.push_back(fmt::format("{} ({})", node.name, why));
    }
  }
  for (const NamedTensor &t : file.tensors)
    if (!modelNames.count(t.name))
      report.unused.push_back(t.name);
  if (take.empty())
    fail("{}: --init: no tensor fits graph '{}' by name and shape (skipped {})", report.file,
         graph.name(),
         report.skipped.empty() ? "nothing" : fmt::format("{}", fmt::join(report.skipped, ", ")));
  for (const auto &[name, tensor] : take)
    store.set(name, tensor->clone());
  return report;
}

std::string formatInitReport(const InitReport &r) {
  std::string line = fmt::format("loaded {} of {} tensors from {}", r.loaded.size(),
                                 r.loaded.size() + r.skipped.size(), r.file);
  line += r.skipped.empty() ? "; skipped none"
                            : fmt::format("; skipped {}", fmt::join(r.skipped, ", "));
  if (!r.unused.empty())
    line += fmt::format("; unused in checkpoint: {}", fmt::join(r.unused, ", "));
  return line;
}

std::vector<std::string> reinitializeModules(const Graph &graph,
                                             const std::vector<std::string> &prefixes,
                                             uint64_t seed, ParamStore &store) {
  std::vector<ValueId> chosen;
  std::vector<bool> used(prefixes.size(), false);
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    if (!isModelState(node.name))
      continue;
    bool match = false;
    for (size_t i = 0; i < prefixes.size(); ++i)
      if (inModulePath(node.name, prefixes[i]))
        used[i] = match = true;
    if (match)
      chosen.push_back(id);
  }
  for (size_t i = 0; i < prefixes.size(); ++i)
    if (!used[i])
      fail("--reinit {}: no parameter of graph '{}' has that name or prefix", prefixes[i],
           graph.name());
  std::vector<std::string> names;
  for (ValueId id : chosen) {
    store.set(graph.node(id).name, initialState(graph, id, seed));
    names.push_back(graph.node(id).name);
  }
  return names;
}

} // namespace kiln
