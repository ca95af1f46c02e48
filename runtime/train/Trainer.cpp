#include "kiln/runtime/train/Trainer.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/train/Progress.h"

#include <fmt/core.h>

#include <chrono>
#include <cmath>

namespace kiln {

namespace {
constexpr int kLossOutput = 0, kCorrectOutput = 1, kPredOutput = 2;

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
} // namespace

void checkModelFitsData(const ModelSpec &model, const Dataset &data, const std::string &what) {
  if (data.sampleShape() != model.sampleShape || data.numClasses() > model.numClasses)
    fail("{}: model '{}' takes examples shaped {} in {} classes; the data has {} in {} classes",
         what, model.name, shapeStr(model.sampleShape), model.numClasses,
         shapeStr(data.sampleShape()), data.numClasses());
}

Trainer::Trainer(ModelSpec model, TrainConfig config, RunState &state)
    : model_(std::move(model)), config_(std::move(config)), state_(state),
      trainSteps_(config_.backend,
                  [this](int64_t batch) {
                    return buildStageGraph(model_, Stage::Train, batch, config_.step);
                  }),
      evalSteps_(config_.backend, [this](int64_t batch) {
        return buildStageGraph(model_, Stage::Eval, batch, config_.step);
      }) {
  config_.model = model_.name;
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
  DataLoader loader(train, options);
  loader.startEpoch(epoch);

  double lr = learningRate(config_.schedule, config_.lr, epoch);
  Tensor lrTensor = Tensor::full({DType::F32, {}}, lr);
  ProgressBar bar(fmt::format("[{}] epoch {}/{}", config_.model, epoch + 1, config_.epochs),
                  loader.batchesPerEpoch());
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

  EvalResult eval = evaluate(test);
  if (!std::isfinite(eval.loss))
    fail("[{}] training diverged in epoch {}: the test loss is {} (learning rate {}); stopped "
         "without a checkpoint of this epoch",
         config_.model, epoch + 1, eval.loss, lr);
  EpochRecord record{static_cast<int>(epoch) + 1,
                     lossSum / static_cast<double>(seen),
                     static_cast<double>(correct) / static_cast<double>(seen),
                     eval.loss,
                     eval.accuracy,
                     seconds(start),
                     lr};
  state_.history.epochs.push_back(record);
  state_.epochsDone = epoch + 1;
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
  result.predictions.resize(static_cast<size_t>(test.size()));
  double lossSum = 0;
  int64_t correct = 0;
  while (std::optional<Batch> batch = loader.next()) {
    int64_t b = batch->y.numElements();
    Executor &step = evalSteps_.forBatch(b);
    state_.store.bind(step.graph(), config_.seed);
    std::vector<Tensor> inputs = {batch->x, batch->y};
    std::vector<Tensor> out = step.run(inputs, state_.store);
    lossSum += out[kLossOutput].at(0) * static_cast<double>(b);
    correct += static_cast<int64_t>(out[kCorrectOutput].at(0));
    for (int64_t i = 0; i < b; ++i)
      result.predictions[static_cast<size_t>(batch->indices[static_cast<size_t>(i)])] =
          static_cast<int32_t>(out[kPredOutput].at(i));
  }
  result.loss = lossSum / static_cast<double>(test.size());
  result.accuracy = static_cast<double>(correct) / static_cast<double>(test.size());
  return result;
}

} // namespace kiln
