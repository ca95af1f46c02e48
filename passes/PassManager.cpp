#include "kiln/passes/PassManager.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"
#include "kiln/ir/Verifier.h"
#include "kiln/passes/CSE.h"
#include "kiln/passes/ConstantFold.h"
#include "kiln/passes/DCE.h"
#include "kiln/passes/Simplify.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln {

void Statistics::add(std::string_view pass, std::string_view counter, int64_t n) {
  counters_[{std::string(pass), std::string(counter)}] += n;
}

int64_t Statistics::get(std::string_view pass, std::string_view counter) const {
  auto it = counters_.find(std::pair<std::string, std::string>(pass, counter));
  return it == counters_.end() ? 0 : it->second;
}

void Statistics::merge(const Statistics &other) {
  for (const auto &[key, n] : other.counters_)
    counters_[key] += n;
}

std::string Statistics::format() const {
  std::string banner(73, '-');
  std::string s =
      fmt::format("==={}===\n{:^79}\n==={}===\n\n", banner, "... Statistics Collected ...", banner);
  size_t passWidth = 0;
  for (const auto &[key, n] : counters_)
    passWidth = std::max(passWidth, key.first.size());
  for (const auto &[key, n] : counters_)
    s += fmt::format("{:>9} {:<{}} - {}\n", n, key.first, passWidth, key.second);
  return s;
}

const std::vector<PassInfo> &graphPasses() {
  static const std::vector<PassInfo> passes = {
#define GRAPH_PASS(Function, Name, Description) PassInfo{Name, Description, &Function},
#include "kiln/passes/Passes.def"
  };
  return passes;
}

const std::vector<PassInfo> &loweringSteps() {
  static const std::vector<PassInfo> steps = {
#define LOWERING_STEP(Name, Description) PassInfo{Name, Description, nullptr},
#include "kiln/passes/Passes.def"
  };
  return steps;
}

const PassInfo &findPass(std::string_view name) {
  std::string known;
  for (const PassInfo &p : graphPasses()) {
    if (p.name == name)
      return p;
    known += (known.empty() ? "" : ", ") + std::string(p.name);
  }
  for (const PassInfo &p : loweringSteps())
    if (p.name == name)
      fail("'{}' is a lowering step (run by --stage program), not a graph pass; graph passes: "
           "{}",
           name, known);
  fail("unknown pass '{}' (passes: {}; or 'default')", name, known);
}

std::vector<std::string> defaultPipeline() { return {"simplify", "constfold", "cse", "dce"}; }

void PassManager::addPass(std::string_view name) { steps_.push_back({{&findPass(name)}, false}); }

void PassManager::addFixedPoint(const std::vector<std::string> &names) {
  Step step{{}, true};
  for (const std::string &name : names)
    step.passes.push_back(&findPass(name));
  steps_.push_back(std::move(step));
}

void PassManager::addPipeline(std::string_view spec) {
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string_view item = spec.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.empty())
      fail("empty pass name in pipeline '{}'", spec);
    if (item == "default")
      addFixedPoint(defaultPipeline());
    else
      addPass(item);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
}

bool PassManager::wants(const std::set<std::string, std::less<>> &names,
                        std::string_view pass) const {
  return options_.dump && (names.count("all") || names.count(pass));
}

bool PassManager::runPass(const PassInfo &pass, Graph &graph, int round) {
  std::string when = round > 0 ? fmt::format(" (round {})", round) : "";
  if (wants(options_.printBefore, pass.name))
    options_.dump(fmt::format("// -----// IR Dump Before {}{} //----- //\n{}", pass.name, when,
                              printGraph(graph)));
  PassContext context(stats_, pass.name);
  bool changed = pass.run(graph, context);
  if (options_.verifyEach) {
    try {
      verify(graph);
    } catch (const Error &e) {
      fail("the graph does not verify after pass '{}': {}", pass.name, e.what());
    }
  }
  if (wants(options_.printAfter, pass.name))
    options_.dump(fmt::format("// -----// IR Dump After {}{}{} //----- //\n{}", pass.name, when,
                              changed ? "" : " (no change)", printGraph(graph)));
  return changed;
}

bool PassManager::run(Graph &graph) {
  if (options_.verifyEach)
    verify(graph);
  bool any = false;
  for (const Step &step : steps_) {
    if (!step.fixedPoint) {
      any |= runPass(*step.passes.front(), graph, 0);
      continue;
    }
    for (int round = 1;; ++round) {
      if (round > options_.maxRounds) {
        std::vector<std::string_view> names;
        for (const PassInfo *pass : step.passes)
          names.push_back(pass->name);
        fail("passes {} did not reach a fixed point in {} rounds", fmt::join(names, ","),
             options_.maxRounds);
      }
      bool changed = false;
      for (const PassInfo *pass : step.passes)
        changed |= runPass(*pass, graph, round);
      any |= changed;
      if (!changed)
        break;
      stats_.add("pipeline", "fixed-point rounds that changed the graph", 1);
    }
  }
  return any;
}

Statistics optimizeGraph(Graph &graph, const PipelineOptions &options) {
  PassManager pm(options);
  pm.addPipeline("default");
  pm.run(graph);
  return pm.statistics();
}

} // namespace kiln
