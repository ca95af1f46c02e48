// The program behind the data-parallel tests (tests/runtime/dist/CMakeLists.txt): a user's C++
// program that trains through the public Trainer, once alone and once under mpirun.
//
//   kiln_dp_run train MODEL OPT BATCH OUT  trains MODEL with optimizer OPT for one epoch of 20
//   global batches
//                                       of 64 synthetic images (BATCH per rank), dropout
//                                       and augmentation on, and writes rank 0's
//                                       parameters to OUT (safetensors)
//   kiln_dp_run replicas MODEL          under mpirun: the epoch-end check of the replicas
//                                       takes rank 0's batch-norm statistics when only
//                                       those differ, and stops every rank with one
//                                       message when a parameter differs
//   kiln_dp_run compare A B TOL         exit 0 if every parameter of A and B agrees
//                                       within TOL relative (max |a-b| / max |a| per
//                                       tensor), else print the worst and exit 1
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "kiln/runtime/io/Safetensors.h"
#include "kiln/runtime/train/Replicas.h"
#include "kiln/runtime/train/StepGraphs.h"
#include "kiln/runtime/train/Trainer.h"
#include "tests/runtime/data/DataTestUtil.h"

#include <fmt/core.h>

#include <cmath>
#include <string>

using namespace kiln;

namespace {

int train(const std::string &model, const std::string &optimizer, int64_t batch,
          const std::string &out) {
  joinProcessGroup();
  MnistDataset data = test::syntheticDataset(20 * 64, 28, 28);
  MnistDataset held = test::syntheticDataset(100, 28, 28);
  TrainConfig config;
  config.epochs = 1;
  config.batch = batch;
  config.testBatch = 30;
  config.augment = true;
  config.seed = 11;
  config.backend = Backend::Jit;
  config.step.optimizer = defaultConfig(parseOptimizerKind(optimizer));
  RunState state;
  Trainer trainer(zooEntry(model), config, state);
  trainer.fit(data, held);
  if (!leadRank())
    return 0;
  std::vector<NamedTensor> tensors;
  for (const auto &[name, tensor] : state.store.all())
    tensors.push_back({name, tensor});
  writeSafetensors(out, tensors);
  return 0;
}

/// Exit 0 when alignReplicas re-aligns the non-trainable state and refuses a parameter
/// that differs on rank 1, on every rank; the refusal's message goes to stdout on rank 0.
int replicas(const std::string &model) {
  int ranks = joinProcessGroup();
  if (ranks < 2)
    fail("replicas: run under mpirun with at least 2 ranks");
  Graph graph = buildStageGraph(model, Stage::Train, 8);
  ParamStore store;
  store.bind(graph, 5);
  auto nudge = [&](bool trainable) -> bool {
    for (ValueId id : graph.states()) {
      const Node &node = graph.node(id);
      if (node.attrs.getBool("trainable", false) != trainable || !isModelState(node.name) ||
          node.type.dtype != DType::F32)
        continue;
      Tensor changed = store.at(node.name).clone();
      changed.data<float>()[0] += 1.0f;
      store.set(node.name, std::move(changed));
      return true;
    }
    return false;
  };
  bool hasBuffers = communicator().rank() == 1 && nudge(false);
  alignReplicas(graph, store, "after the buffers moved"); // must not throw
  if (hasBuffers)
    fmt::print("rank 1: batch-norm statistics re-aligned\n");
  if (communicator().rank() == 1)
    nudge(true);
  try {
    alignReplicas(graph, store, "after a fault");
  } catch (const GroupError &e) {
    if (leadRank())
      fmt::print("{}\n", e.what());
    return 0;
  }
  fmt::print(stderr, "rank {}: a parameter that differs was not detected\n", communicator().rank());
  return 1;
}

int compare(const std::string &a, const std::string &b, double tolerance) {
  SafetensorsFile fa = readSafetensors(a), fb = readSafetensors(b);
  double worst = 0;
  std::string where;
  for (const NamedTensor &t : fa.tensors) {
    const Tensor *other = fb.find(t.name);
    if (!other || other->type() != t.tensor.type()) {
      fmt::print(stderr, "{}: missing or of another type in {}\n", t.name, b);
      return 1;
    }
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < t.tensor.numElements(); ++i) {
      diff = std::max(diff, std::abs(t.tensor.at(i) - other->at(i)));
      scale = std::max(scale, std::abs(t.tensor.at(i)));
    }
    double rel = scale > 0 ? diff / scale : diff;
    if (!(rel <= worst)) {
      worst = rel;
      where = t.name;
    }
  }
  fmt::print("{} tensors; worst relative difference {:.3g} ({})\n", fa.tensors.size(), worst,
             where);
  return worst <= tolerance ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "train" && argc == 6)
      return train(argv[2], argv[3], std::stoll(argv[4]), argv[5]);
    if (mode == "replicas" && argc == 3)
      return replicas(argv[2]);
    if (mode == "compare" && argc == 5)
      return compare(argv[2], argv[3], std::stod(argv[4]));
    fmt::print(stderr,
               "usage: kiln_dp_run train MODEL OPTIMIZER BATCH OUT | replicas MODEL | compare A B "
               "TOL\n");
    return 2;
  } catch (const Error &e) {
    fmt::print(stderr, "kiln_dp_run: rank {}: {}\n", communicator().rank(), e.what());
    abortProcessGroup(1);
  }
}
