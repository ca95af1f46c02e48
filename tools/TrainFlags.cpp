#include "tools/TrainFlags.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/ThreadPool.h"

#include <cmath>

namespace kiln::cli {

void TrainFlags::declare(CLI::App *sub) {
  sub->add_option("--epochs", epochs, "epochs to train")->capture_default_str()->check(
      AtLeastOne);
  sub->add_option("--batch", batch, "training batch size")->capture_default_str()->check(
      AtLeastOne);
  sub->add_option("--test-batch", testBatch, "evaluation batch size")
      ->capture_default_str()
      ->check(AtLeastOne);
  sub->add_option("--optimizer", optimizer, "sgd | momentum | rmsprop | adam | adamw")
      ->capture_default_str();
  sub->add_option("--lr", lr, "learning rate (default: 1e-3 for adam/adamw, 1e-2 otherwise)");
  sub->add_option("--momentum", momentum, "SGD/RMSprop momentum (momentum: default 0.9)");
  sub->add_flag("--nesterov", nesterov, "Nesterov momentum (sgd/momentum)");
  sub->add_option("--weight-decay", weightDecay, "L2 penalty (decoupled for adamw)");
  sub->add_option("--schedule", schedule, "none | step | cosine")->capture_default_str();
  sub->add_option("--step-size", stepSize, "StepLR: epochs between decays")
      ->capture_default_str();
  sub->add_option("--gamma", gamma, "StepLR: decay factor")->capture_default_str();
  sub->add_option("--t-max", tMax, "CosineAnnealingLR: half period in epochs (default: epochs)");
  sub->add_option("--patience", patience, "early stopping on test loss after N bad epochs (0: off)")
      ->capture_default_str();
  sub->add_flag("--augment", augment, "random shifts and small rotations of training images");
  sub->add_option("--freeze", freeze, "parameter name prefixes to keep fixed (e.g. conv1 conv2)");
  sub->add_option("--backend", backend, "jit (LLVM-compiled step) | interp (reference interpreter)")->capture_default_str();
  addThreadsOption(sub);
  sub->add_option("--data", data, "folder with the four MNIST-format IDX files (raw or .gz)")
      ->capture_default_str();
  sub->add_option("--norm-mean", normMean,
                  "input normalization mean of pixel/255 (default: the training set's)");
  sub->add_option("--norm-std", normStd,
                  "input normalization std of pixel/255 (default: the training set's)");
  sub->add_option("--seed", seed, "seed for initialization, shuffling, dropout, augmentation")
      ->capture_default_str()
      ->check(SeedValue);
}

TrainConfig TrainFlags::config(const std::string &model) const {
  TrainConfig c;
  c.model = model;
  c.epochs = epochs;
  c.batch = batch;
  c.testBatch = testBatch;
  OptimizerKind kind = parseOptimizerKind(optimizer);
  c.step.optimizer = defaultConfig(kind);
  if (momentum)
    c.step.optimizer.momentum = *momentum;
  if (weightDecay)
    c.step.optimizer.weightDecay = *weightDecay;
  c.step.optimizer.nesterov = nesterov;
  c.step.freeze = freeze;
  c.lr = lr ? *lr : defaultLearningRate(kind);
  c.schedule.kind = parseScheduleKind(schedule);
  c.schedule.stepSize = stepSize;
  c.schedule.gamma = gamma;
  c.schedule.tMax = tMax ? *tMax : epochs;
  if (c.schedule.stepSize < 1 || c.schedule.tMax < 1)
    fail("--step-size and --t-max must be >= 1");
  if (patience < 0)
    fail("--patience must be >= 0, got {}", patience);
  c.patience = patience;
  c.augment = augment;
  c.seed = seed;
  c.backend = parseBackend(backend);
  if (normMean.has_value() != normStd.has_value())
    fail("--norm-mean and --norm-std go together (neither: the training set's statistics)");
  if (normMean) {
    if (!std::isfinite(*normMean) || !std::isfinite(*normStd) || !(*normStd > 0))
      fail("--norm-mean {} --norm-std {}: need finite values and a std > 0", *normMean, *normStd);
    c.norm = Normalization{static_cast<float>(*normMean), static_cast<float>(*normStd)};
  }
  validate(c.step.optimizer);
  validateLearningRate(c.lr);
  return c;
}

} // namespace kiln::cli
