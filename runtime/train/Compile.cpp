#include "kiln/runtime/train/Compile.h"

#include "kiln/codegen/Pipeline.h"

#include "kiln/codegen/CompiledGraph.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Printer.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/PassManager.h"
#include "kiln/runtime/Communicator.h"

#include <fmt/ranges.h>

#include <algorithm>

namespace kiln {

namespace {

void checkType(const Graph &graph, size_t input, const Tensor &value, std::string_view what) {
  const Type &expected = graph.node(graph.inputs()[input]).type;
  if (value.type() != expected)
    fail("{}: {} is {}, but the step takes {}", graph.name(), what, value.type().str(),
         expected.str());
}

} // namespace

TrainStep::TrainStep(ModelSpec model, int64_t batch, CompileOptions options)
    : model_(std::move(model)), batch_(batch), options_(std::move(options)) {
  validate(options_.optimizer);
  Graph graph =
      buildStageGraph(model_, Stage::Train, batch_, stepOptions());
  params_.bind(graph, options_.seed);
  executor_ = makeExecutor(options_.backend, std::move(graph));
}

StepOptions TrainStep::stepOptions() const {
  return {options_.optimizer, options_.freeze, {communicator().rank(), communicator().size()}};
}

StepResult TrainStep::run(const Tensor &x, const Tensor &y, double lr) {
  validateLearningRate(lr);
  checkType(graph(), 0, x, "x");
  checkType(graph(), 1, y, "y");
  std::vector<Tensor> inputs = {x, y, Tensor::full({DType::F32, {}}, lr)};
  std::vector<Tensor> out = executor_->run(inputs, params_);
  StepResult result;
  result.loss = out[0].at(0);
  if (out.size() > 1)
    result.correct = static_cast<int64_t>(out[1].at(0));
  return result;
}

std::string TrainStep::ir(std::string_view stage) const {
  return stageText(model_, stage, batch_, stepOptions());
}

Predictor::Predictor(ModelSpec model, int64_t batch, ParamStore &params, Backend backend)
    : model_(std::move(model)), params_(params) {
  Graph graph = buildStageGraph(model_, Stage::Predict, batch);
  params_.bind(graph, /*seed=*/0);
  executor_ = makeExecutor(backend, std::move(graph));
}

Tensor Predictor::run(const Tensor &x) {
  checkType(graph(), 0, x, "x");
  std::vector<Tensor> inputs = {x};
  return std::move(executor_->run(inputs, params_).front());
}

void checkStageName(std::string_view stage) {
  // The step graphs, then what stageText makes of them beyond printing.
  constexpr std::string_view kLowered[] = {"program", "llvm", "asm", "model"};
  std::vector<std::string_view> names;
  for (const StageName &s : kStageNames)
    names.push_back(s.name);
  names.insert(names.end(), std::begin(kLowered), std::end(kLowered));
  if (std::find(names.begin(), names.end(), stage) == names.end())
    fail("unknown stage '{}' (choices: {})", stage, fmt::join(names, ", "));
}

std::string stageText(const ModelSpec &model, std::string_view stage, int64_t batch,
                      const StepOptions &options, Stage step) {
  checkStageName(stage);
  if (stage == "llvm" || stage == "asm") {
    Graph graph = buildStageGraph(model, step, batch, options);
    return stage == "llvm" ? codegen::llvmIr(graph, /*optimized=*/true) : codegen::assembly(graph);
  }
  if (stage == "model") // a model file: the forward graph, then the eval-mode one
    return printGraph(buildStageGraph(model, Stage::Forward, batch, options)) + "\n" +
           printGraph(buildStageGraph(model, Stage::Predict, batch, options));
  if (stage == "program") { // what the JIT runs on this host
    Graph graph = buildStageGraph(model, step, batch, options);
    codegen::LowerOptions lowering;
    lowering.target = codegen::planOptions({});
    return printProgram(codegen::lowerStep(graph, lowering)->program);
  }
  return printGraph(buildStageGraph(model, parseStage(stage), batch, options));
}

} // namespace kiln
