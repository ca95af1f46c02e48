#include "kiln/runtime/train/Trainer.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "kiln/runtime/train/Progress.h"
#include "kiln/runtime/train/Replicas.h"

#include <fmt/core.h>

#include <chrono>
#include <cmath>

namespace kiln {

namespace {
constexpr int kLossOutput = 0, kCorrectOutput = 1, kPredOutput = 2;

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// Sums over the ranks (the values themselves in a single process).
template <size_t N> std::array<double, N> sumOverRanks(std::array<double, N> values) {
  communicator().allReduceSum(values.data(), N, DType::F64);
  return values;
}
} // namespace

void checkModelFitsData(const ModelSpec &model, const Dataset &data, const std::string &what) {
  if (data.sampleShape() != model.sampleShape || data.numClasses() > model.numClasses)
    fail("{}: model '{}' takes examples shaped {} in {} classes; the data has {} in {} classes",
         what, model.name, shapeStr(model.sampleShape), model.numClasses,
         shapeStr(data.sampleShape()), data.numClasses());
}

Trainer::Trainer(ModelSpec model, TrainConfig config, RunState &state)
    : model_(std::move(model)), config_(std::move(config)),
      state_(state), dp_{communicator().rank(), communicator().size()},
      trainSteps_(config_.backend,
                  [this](int64_t batch) {
                    return buildStageGraph(model_, Stage::Train, batch, config_.step);
                  }),
      evalSteps_(config_.backend, [this](int64_t batch) {
        return buildStageGraph(model_, Stage::Eval, batch, config_.step);
      }) {
  config_.model = model_.name;
  config_.step.dp = dp_;
  if (model_.output != OutputKind::Logits)
    fail("model '{}': the Trainer trains classifiers (logits); compile a TrainStep for other "
         "outputs",
         model_.name);
  validate(config_.step.optimizer);
  validateLearningRate(config_.lr);
  if (config_.batch < 1 || config_.testBatch < 1)
    fail("batch sizes must be >= 1");
}

EpochRecord Trainer::runEpoch(const Dataset &train, const Dataset &test, int64_t epoch) {
  auto start = std::chrono::steady_clock::now();
  LoaderOptions options;
  options.batchSize = config_.batch;
  options.seed = config_.seed;
  options.norm = config_.norm.value_or(Normalization{});
  options.augment.enabled = config_.augment;
  options.rank = dp_.rank;
  options.ranks = dp_.worldSize;
  DataLoader loader(train, options);
  loader.startEpoch(epoch);
  if (loader.batchesPerEpoch() == 0)
    fail("[{}] {} training samples do not fill one global batch of {} x {}", config_.model,
         train.size(), dp_.worldSize, config_.batch);
  if (epoch == state_.epochsDone && dp_.rank == 0 && loader.droppedPerEpoch() > 0)
    fmt::print(stderr,
               "[{}] data-parallel: {} ranks x batch {}; the last {} of {} training samples of "
               "each epoch's order are dropped (ranks take equal batches)\n",
               config_.model, dp_.worldSize, config_.batch, loader.droppedPerEpoch(), train.size());

  double lr = learningRate(config_.schedule, config_.lr, epoch);
  Tensor lrTensor = Tensor::full({DType::F32, {}}, lr);
  ProgressBar bar(fmt::format("[{}] epoch {}/{}", config_.model, epoch + 1, config_.epochs),
                  loader.batchesPerEpoch(), /*visible=*/dp_.rank == 0);
  double lossSum = 0;
  int64_t correct = 0, seen = 0, steps = 0;
  while (std::optional<Batch> batch = loader.next()) {
    int64_t b = batch->y.numElements();
    Executor &step = trainSteps_.forBatch(b);
    if (steps == 0 || b != config_.batch)
      state_.store.bind(step.graph(), config_.seed);
    std::vector<Tensor> inputs = {batch->x, batch->y, lrTensor};
    std::vector<Tensor> out = step.run(inputs, state_.store);
    double loss = out[kLossOutput].at(0);
    ++steps;
    if (!std::isfinite(loss)) {
      bar.finish();
      fail("[{}] training diverged at epoch {}, step {} of {}: the loss is {} (learning rate "
           "{}); stopped without a checkpoint of this epoch",
           config_.model, epoch + 1, steps, loader.batchesPerEpoch(), loss, lr);
    }
    lossSum += loss * static_cast<double>(b);
    correct += static_cast<int64_t>(out[kCorrectOutput].at(0));
    seen += b;
    bar.update(steps, seen, lossSum / static_cast<double>(seen),
               static_cast<double>(correct) / static_cast<double>(seen));
  }
  bar.finish();
  double trainSeconds = seconds(start);
  // The epoch's training figures over every rank's samples.
  auto [allLoss, allCorrect, allSeen] =
      sumOverRanks<3>({lossSum, static_cast<double>(correct), static_cast<double>(seen)});
  alignReplicas(trainSteps_.forBatch(config_.batch).graph(), state_.store,
                fmt::format("after epoch {}", epoch + 1));

  EvalResult eval = evaluate(test);
  if (!std::isfinite(eval.loss))
    fail("[{}] training diverged in epoch {}: the test loss is {} (learning rate {}); stopped "
         "without a checkpoint of this epoch",
         config_.model, epoch + 1, eval.loss, lr);
  EpochRecord record{static_cast<int>(epoch) + 1,
                     allLoss / allSeen,
                     allCorrect / allSeen,
                     eval.loss,
                     eval.accuracy,
                     seconds(start),
                     lr};
  state_.history.epochs.push_back(record);
  state_.epochsDone = epoch + 1;
  if (dp_.rank == 0)
    fmt::print(stderr,
               "[{}] epoch {:2d} | train loss {:.4f} acc {:.4f} | test loss {:.4f} acc {:.4f} | "
               "{:.1f}s ({:.2f} ms/step)\n",
               config_.model, record.epoch, record.trainLoss, record.trainAcc, record.testLoss,
               record.testAcc, record.seconds, 1000.0 * trainSeconds / static_cast<double>(steps));
  return record;
}

bool Trainer::fit(const Dataset &train, const Dataset &test,
                  const std::function<void(const EpochRecord &)> &afterEpoch) {
  checkModelFitsData(model_, train, "the training set");
  checkModelFitsData(model_, test, "the test set");
  if (dp_.worldSize > 1) {
    // Ranks that would build different steps (another kiln, model file or flag) stop
    // here rather than reduce unrelated gradients.
    DataParallel alone;
    StepOptions single = config_.step;
    single.dp = alone;
    Graph step = buildStageGraph(model_, Stage::Train, config_.batch, single);
    requireSameOnEveryRank(graphFingerprint(step) ^ std::hash<std::string>{}(KILN_VERSION),
                           "the train step (kiln version, model, flags)");
    requireSameOnEveryRank(stateFingerprint(state_.store), "the initial state");
  }
  std::optional<EarlyStopping> stopper;
  if (config_.patience > 0) {
    stopper.emplace(config_.patience);
    stopper->restore(state_.earlyStopping);
  }
  state_.history.model = config_.model;
  for (int64_t epoch = state_.epochsDone; epoch < config_.epochs; ++epoch) {
    EpochRecord record = runEpoch(train, test, epoch);
    bool stop = stopper && stopper->shouldStop(record.testLoss);
    if (stopper)
      state_.earlyStopping = stopper->state();
    if (afterEpoch)
      afterEpoch(record);
    if (stop) {
      if (dp_.rank == 0)
        fmt::print(stderr,
                   "[{}] early stopping: test loss has not improved for {} epochs (best "
                   "{:.4f} at epoch {})\n",
                   config_.model, config_.patience, stopper->best(), stopper->bestEpoch() + 1);
      return true;
    }
  }
  return false;
}

EvalResult Trainer::evaluate(const Dataset &test) {
  LoaderOptions options;
  options.batchSize = config_.testBatch;
  options.shuffle = false;
  options.norm = config_.norm.value_or(Normalization{});
  DataLoader loader(test, options);
  loader.startEpoch(0);
  EvalResult result;
  // Ranks take turns by batch; the sums and each prediction come together below.
  std::vector<int32_t> predictions(static_cast<size_t>(test.size()), 0);
  double lossSum = 0;
  int64_t correct = 0;
  while (std::optional<Batch> batch = loader.next()) {
    if (batch->index % dp_.worldSize != dp_.rank)
      continue;
    int64_t b = batch->y.numElements();
    Executor &step = evalSteps_.forBatch(b);
    state_.store.bind(step.graph(), config_.seed);
    std::vector<Tensor> inputs = {batch->x, batch->y};
    std::vector<Tensor> out = step.run(inputs, state_.store);
    lossSum += out[kLossOutput].at(0) * static_cast<double>(b);
    correct += static_cast<int64_t>(out[kCorrectOutput].at(0));
    for (int64_t i = 0; i < b; ++i)
      predictions[static_cast<size_t>(batch->indices[static_cast<size_t>(i)])] =
          static_cast<int32_t>(out[kPredOutput].at(i));
  }
  // Every prediction is one rank's; the others contribute 0.
  communicator().allReduceSum(predictions.data(), test.size(), DType::I32);
  result.predictions = std::move(predictions);
  auto [allLoss, allCorrect] = sumOverRanks<2>({lossSum, static_cast<double>(correct)});
  result.loss = allLoss / static_cast<double>(test.size());
  result.accuracy = allCorrect / static_cast<double>(test.size());
  return result;
}

} // namespace kiln
