// Assembles kiln's step graphs from a traced zoo model:
//   1. trace the model (train mode for forward/backward/train, eval mode for eval);
//   2. add the labels input, the loss, and the metrics (correct count, predictions);
//   3. backward/train: differentiate the loss w.r.t. every parameter not frozen (and,
//      data-parallel, average the gradients over the ranks);
//   4. train: append the optimizer update and `step <- step + 1`.
#include "kiln/runtime/train/StepGraphs.h"

#include "kiln/frontend/Loss.h"
#include "kiln/frontend/Zoo.h"
#include "kiln/ir/Error.h"
#include "kiln/passes/Autodiff.h"
#include "kiln/runtime/train/ModulePath.h"

#include <fmt/ranges.h>

namespace kiln {

namespace {

std::string_view stageName(Stage stage) {
  for (const StageName &s : kStageNames)
    if (s.stage == stage)
      return s.name;
  fail("unknown stage");
}

/// A prefix names a whole module path (inModulePath): "fc1" and "fc1." freeze fc1.weight
/// and fc1.bias, but "fc" freezes neither.
bool frozen(const std::string &name, const std::vector<std::string> &freeze) {
  for (const std::string &prefix : freeze)
    if (inModulePath(name, prefix))
      return true;
  return false;
}

struct Head {
  ValueId loss, correct, prediction;
};

/// Loss and metrics on top of the model's output, scoped "loss" and "metrics". A
/// regression (OutputKind::Values) has no correct count or prediction.
Head addHead(Graph &graph, const ModelSpec &entry, ValueId output, int64_t batch, Mode mode) {
  Tracer tracer(graph, mode);
  IRBuilder &b = tracer.builder();
  Value out = tracer.wrap(output);
  Head head{-1, -1, -1};
  switch (entry.output) {
  case OutputKind::Logits: {
    Value labels = tracer.input("y", {DType::I32, {batch}});
    {
      auto scope = b.enter("loss");
      head.loss = cross_entropy(out, labels).id();
    }
    auto scope = b.enter("metrics");
    head.prediction = b.op(OpKind::Argmax, {output}, {{"axis", int64_t(1)}});
    ValueId hit = b.convert(b.compare(head.prediction, labels.id(), "eq"), DType::I32);
    head.correct = b.reduceSum(hit, {0});
    return head;
  }
  case OutputKind::Probability: {
    Value targets = tracer.input("y", {DType::F32, {batch, 1}});
    {
      auto scope = b.enter("loss");
      head.loss = binary_cross_entropy(out, targets).id();
    }
    auto scope = b.enter("metrics");
    ValueId half = b.constant(0.5, DType::F32, {batch, 1});
    head.prediction = b.convert(b.compare(output, half, "gt"), DType::I32);
    ValueId truth = b.convert(b.compare(targets.id(), half, "gt"), DType::I32);
    ValueId hit = b.convert(b.compare(head.prediction, truth, "eq"), DType::I32);
    head.correct = b.reduceSum(hit, {0, 1});
    head.prediction = b.reshape(head.prediction, {batch});
    return head;
  }
  case OutputKind::Values: {
    Value targets = tracer.input("y", {DType::F32, {batch, entry.numClasses}});
    auto scope = b.enter("loss");
    head.loss = mse_loss(out, targets).id();
    return head;
  }
  }
  fail("unknown output kind");
}

} // namespace

Stage parseStage(std::string_view name) {
  std::vector<std::string_view> names;
  for (const StageName &s : kStageNames) {
    if (s.name == name)
      return s.stage;
    names.push_back(s.name);
  }
  fail("unknown stage '{}' (choices: {})", name, fmt::join(names, ", "));
}

std::vector<std::string> trainableParameters(const Graph &graph,
                                             const std::vector<std::string> &freeze) {
  std::vector<std::string> names;
  std::vector<bool> used(freeze.size(), false);
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    if (!node.attrs.getBool("trainable", false))
      continue;
    bool isFrozen = false;
    for (size_t i = 0; i < freeze.size(); ++i)
      if (frozen(node.name, {freeze[i]}))
        used[i] = isFrozen = true;
    if (!isFrozen)
      names.push_back(node.name);
  }
  for (size_t i = 0; i < freeze.size(); ++i)
    if (!used[i])
      fail("--freeze {}: no parameter of graph '{}' has that name or prefix", freeze[i],
           graph.name());
  // A step with no gradient would run the forward pass and change nothing.
  if (names.empty() && !freeze.empty())
    fail("--freeze {}: every trainable parameter of graph '{}' is frozen; nothing left to train",
         fmt::join(freeze, " "), graph.name());
  return names;
}

Graph buildStageGraph(std::string_view model, Stage stage, int64_t batch,
                      const StepOptions &options) {
  return buildStageGraph(zooEntry(model), stage, batch, options);
}

Graph buildStageGraph(const ModelSpec &model, Stage stage, int64_t batch,
                      const StepOptions &options) {
  Mode mode = stage == Stage::Eval || stage == Stage::Predict ? Mode::Eval : Mode::Train;
  BuiltModel built = buildModel(model, batch, mode);
  Graph graph = std::move(built.graph);
  if (mode == Mode::Train)
    shardRandomStreams(graph, options.dp);
  graph.setName(model.name + "." + std::string(stageName(stage)));
  if (stage == Stage::Forward || stage == Stage::Predict) {
    graph.addOutput("logits", built.logits);
    return graph;
  }

  Head head = addHead(graph, model, built.logits, batch, mode);
  graph.addOutput("loss", head.loss);
  if (head.correct >= 0)
    graph.addOutput("correct", head.correct);
  if (stage == Stage::Eval) {
    if (head.prediction >= 0)
      graph.addOutput("prediction", head.prediction);
    else
      graph.addOutput("output", built.logits);
    return graph;
  }

  std::vector<std::string> names = trainableParameters(graph, options.freeze);
  std::vector<ValueId> params;
  for (const std::string &name : names)
    params.push_back(*graph.findNamed(name));
  std::vector<ValueId> grads = averageOverRanks(graph, differentiate(graph, head.loss, params),
                                               options.dp);
  if (stage == Stage::Backward) {
    for (size_t i = 0; i < names.size(); ++i)
      graph.addOutput("grad." + names[i], grads[i]);
    return graph;
  }

  IRBuilder b(graph, "optim");
  ValueId lr = graph.addInput("lr", {DType::F32, {}}, "optim");
  std::vector<std::pair<ValueId, ValueId>> paramGrads;
  for (size_t i = 0; i < params.size(); ++i)
    paramGrads.emplace_back(params[i], grads[i]);
  buildOptimizerUpdate(graph, options.optimizer, paramGrads, lr);
  ValueId step = stepCounter(graph);
  graph.addUpdate(step, b.add(step, b.constant(1, DType::I32)));
  return graph;
}

} // namespace kiln
