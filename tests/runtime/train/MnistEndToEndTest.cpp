// End to end on real MNIST, as the README's main job runs it: `kiln mnist --epochs 1
// --models mlp --backend interp` trains the tutorial's MLP for one epoch, reaches 96%
// test accuracy and writes every report of spec §9-4 to §9-8.
//
// The data comes from scripts/fetch_mnist.sh (scripts/test.sh runs it first);
// KILN_MNIST_DIR points elsewhere. Without the data the test fails and says so: a
// skipped end-to-end test would hide a broken fetch.
#include "kiln/runtime/train/Experiment.h"
#include "tests/runtime/io/TestDir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace kiln;
using namespace kiln::test;

TEST_CASE("one epoch of the MLP on MNIST reaches 95.5% and writes every report", "[mnist]") {
  const char *env = std::getenv("KILN_MNIST_DIR");
  RunPaths paths;
  paths.data = env ? env : KILN_DEFAULT_MNIST_DIR;
  if (!std::filesystem::exists(paths.data))
    FAIL("no MNIST in " << paths.data << ": run scripts/fetch_mnist.sh " << paths.data);
  TestDir out;
  paths.out = out.str();

  // The defaults of `kiln mnist` (Adam 1e-3, batch 64, test batch 1000, seed 0), on the
  // interpreter. One epoch lands between 95.5% and 96.7% across seeds, as PyTorch's
  // does (reference/pytorch_mnist.py, seeds 0/1/2: 95.52 / 96.02 / 96.71%), and the
  // rounding of the host's vector kernels moves it within that band too (seed 0: 96.01%
  // on an AVX2 EPYC, 95.78% on an AVX-512 Xeon). The bar is PyTorch's lowest seed.
  TrainConfig config;
  config.model = "mlp";
  config.epochs = 1;
  std::vector<ModelRun> runs = runMnistExperiment({config}, paths);

  REQUIRE(runs.size() == 1);
  CHECK(runs[0].finalEval.accuracy >= 0.955);
  for (const char *file : {"history.csv", "history.json", "learning_curves.svg",
                           "confusion_matrix.png", "misclassified.png", "classification_report.txt",
                           "samples.png", "summary.txt", "mlp/checkpoint/epoch-1/model.safetensors",
                           "mlp/checkpoint/epoch-1/train_state.safetensors"}) {
    INFO(file);
    CHECK(std::filesystem::file_size(out.file(file)) > 0);
  }
}
