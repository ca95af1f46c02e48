#include "kiln/runtime/train/Experiment.h"

#include "kiln/frontend/Zoo.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/report/Charts.h"
#include "kiln/runtime/report/History.h"
#include "kiln/runtime/report/Images.h"
#include "kiln/runtime/report/Metrics.h"
#include "kiln/runtime/train/Checkpoint.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace kiln {

namespace fs = std::filesystem;

namespace {

std::string join(const std::string &dir, const std::string &name) {
  return (fs::path(dir) / name).string();
}

std::vector<std::string> digitNames() {
  std::vector<std::string> names;
  for (int i = 0; i < MnistDataset::kNumClasses; ++i)
    names.push_back(std::to_string(i));
  return names;
}

/// What spec §9-6 and §9-7 look at: the confusion matrix and the misclassified samples.
struct Evaluation {
  ConfusionMatrix cm{MnistDataset::kNumClasses};
  std::vector<int64_t> wrong; ///< test indices, in dataset order
  std::string text;           ///< summary, classification report and confusion matrix
};

Evaluation summarize(const std::string &title, const MnistDataset &test, const EvalResult &eval) {
  Evaluation e;
  for (int64_t i = 0; i < test.size(); ++i) {
    int truth = test.labels[static_cast<size_t>(i)];
    int pred = eval.predictions[static_cast<size_t>(i)];
    e.cm.add(truth, pred);
    if (truth != pred)
      e.wrong.push_back(i);
  }
  e.text = fmt::format(
      "{}\n\ntest loss {:.4f}, accuracy {:.4f}\nmisclassified: {} / {} ({:.2f}%)\n\n{}\n"
      "confusion matrix (rows: true, columns: predicted)\n{}",
      title, eval.loss, eval.accuracy, e.wrong.size(), test.size(),
      100.0 * static_cast<double>(e.wrong.size()) / static_cast<double>(test.size()),
      formatClassificationReport(e.cm, digitNames()), formatConfusionMatrix(e.cm, digitNames()));
  return e;
}

/// Writes the classification report, the confusion matrix image and the grid of
/// misclassified digits into `out`; returns the report text.
std::string writeEvaluation(const std::string &out, const std::string &title,
                            const MnistDataset &test, const EvalResult &eval) {
  Evaluation e = summarize(title, test, eval);
  writeFileAtomically(join(out, "classification_report.txt"), e.text);
  writeConfusionMatrixPng(join(out, "confusion_matrix.png"), e.cm, digitNames(),
                          title + " - confusion matrix");
  std::vector<GrayImage> images;
  std::vector<int> truths, preds;
  for (size_t k = 0; k < e.wrong.size() && k < 10; ++k) {
    int64_t i = e.wrong[k];
    images.push_back(GrayImage::fromBytes(test.image(i), static_cast<int>(test.height),
                                          static_cast<int>(test.width)));
    truths.push_back(test.labels[static_cast<size_t>(i)]);
    preds.push_back(eval.predictions[static_cast<size_t>(i)]);
  }
  writeMisclassifiedPng(join(out, "misclassified.png"), images, truths, preds, 10,
                        title + " - misclassified samples");
  return e.text;
}

/// Spec §9-1: the first ten training images with their labels.
void writeSamples(const std::string &out, const MnistDataset &train) {
  std::vector<GrayImage> images;
  std::vector<int> labels;
  for (int64_t i = 0; i < std::min<int64_t>(10, train.size()); ++i) {
    images.push_back(GrayImage::fromBytes(train.image(i), static_cast<int>(train.height),
                                          static_cast<int>(train.width)));
    labels.push_back(train.labels[static_cast<size_t>(i)]);
  }
  writeSampleGridPng(join(out, "samples.png"), images, labels, "MNIST samples");
}

void writeHistories(const std::string &out, const std::vector<History> &histories) {
  writeHistoryCsv(join(out, "history.csv"), histories);
  writeHistoryJson(join(out, "history.json"), histories);
  writeLearningCurvesSvg(join(out, "learning_curves.svg"), histories);
  if (histories.size() == 1)
    writeTrainTestCurvesSvg(join(out, "train_test_curves.svg"), histories.front());
}

struct Data {
  MnistDataset train, test;
};

Data loadData(const std::string &dir) {
  Data d{loadMnist(dir, Split::Train), loadMnist(dir, Split::Test)};
  fmt::print(stderr, "data: {} training and {} test images of {}x{} from {}\n", d.train.size(),
             d.test.size(), d.train.height, d.train.width, dir);
  return d;
}

void checkModelFitsData(const TrainConfig &config, const MnistDataset &data) {
  const ZooEntry &entry = zooEntry(config.model);
  Shape expected = {1, data.height, data.width};
  if (entry.output != OutputKind::Logits || entry.numClasses != MnistDataset::kNumClasses ||
      entry.sampleShape != expected)
    fail("model '{}' takes {} and gives {} outputs; the data has {} images in {} classes",
         config.model, shapeStr(entry.sampleShape), entry.numClasses, shapeStr(expected),
         MnistDataset::kNumClasses);
}

/// Everything about a run that can be wrong without the data — the model, the optimizer,
/// the learning rate, freeze prefixes, a --resume or --init checkpoint — checked and
/// loaded before the data is read and before anything is written.
ModelRun prepareRun(TrainConfig config, const RunPaths &paths) {
  zooEntry(config.model);
  ModelRun run;
  if (!paths.resume.empty()) {
    // The step graph comes from the saved configuration: its optimizer decides which
    // state the checkpoint holds.
    TrainConfig resumed = checkpointConfig(paths.resume);
    if (resumed.model != config.model)
      fail("{}: checkpoint of model '{}', not '{}'", paths.resume, resumed.model, config.model);
    Graph trainGraph = buildStageGraph(resumed.model, Stage::Train, resumed.batch, resumed.step);
    loadCheckpoint(paths.resume, trainGraph, run.state);
    resumed.epochs = config.epochs;
    resumed.backend = config.backend;
    config = resumed;
    fmt::print(stderr, "[{}] resuming after epoch {} of {}\n", config.model, run.state.epochsDone,
               config.epochs);
  } else {
    // Building the step checks the freeze prefixes and the optimizer's settings.
    buildStageGraph(config.model, Stage::Train, config.batch, config.step);
    if (!paths.init.empty()) {
      Graph graph = buildStageGraph(config.model, Stage::Eval, config.testBatch, config.step);
      loadModelState(paths.init, graph, run.state.store);
      fmt::print(stderr, "[{}] initialized from {}\n", config.model, paths.init);
    }
  }
  validate(config.step.optimizer);
  validateLearningRate(config.lr);
  validate(config.schedule);
  run.config = config;
  return run;
}

ModelRun trainOne(ModelRun run, const Data &data, const std::string &out) {
  ensureWritableDir(out);
  const TrainConfig config = run.config;

  Trainer trainer(config, run.state);
  std::string checkpoint = join(out, "checkpoint");
  run.stoppedEarly = trainer.fit(data.train, data.test, [&](const EpochRecord &) {
    saveCheckpoint(checkpoint, config, run.state);
  });
  run.finalEval = trainer.evaluate(data.test);
  writeHistories(out, {run.state.history});
  std::string report = writeEvaluation(out, config.model, data.test, run.finalEval);
  fmt::print("{}\n", report);
  fmt::print(stderr, "[{}] wrote checkpoint, history, learning curves and reports to {}\n",
             config.model, out);
  return run;
}

} // namespace

// Runs are prepared (checked, checkpoints loaded) before the data is loaded and the data
// before the output folder is made, so that bad input leaves nothing behind.
ModelRun trainModel(TrainConfig config, const RunPaths &paths) {
  ModelRun run = prepareRun(std::move(config), paths);
  Data data = loadData(paths.data);
  checkModelFitsData(run.config, data.train);
  ensureWritableDir(paths.out);
  return trainOne(std::move(run), data, paths.out);
}

std::vector<ModelRun> runMnistExperiment(const std::vector<TrainConfig> &configs,
                                         const RunPaths &paths) {
  if (configs.empty())
    fail("--models: no model given");
  std::vector<ModelRun> prepared;
  for (const TrainConfig &config : configs)
    prepared.push_back(prepareRun(config, paths));
  Data data = loadData(paths.data);
  for (const ModelRun &run : prepared)
    checkModelFitsData(run.config, data.train);
  ensureWritableDir(paths.out);
  std::vector<ModelRun> runs;
  std::vector<History> histories;
  for (ModelRun &run : prepared) {
    std::string out = join(paths.out, run.config.model);
    runs.push_back(trainOne(std::move(run), data, out));
    histories.push_back(runs.back().state.history);
  }
  writeHistories(paths.out, histories);
  writeSamples(paths.out, data.train);

  // spec §9-6: the detailed evaluation of the best model.
  const ModelRun *best = &runs.front();
  for (const ModelRun &run : runs)
    if (run.finalEval.accuracy > best->finalEval.accuracy)
      best = &run;
  writeEvaluation(paths.out, "best model: " + best->config.model, data.test, best->finalEval);

  std::string table = fmt::format("{:<8} {:>6} {:>11} {:>10} {:>10}\n", "model", "epochs",
                                  "test loss", "test acc", "seconds");
  for (const ModelRun &run : runs) {
    double secs = 0;
    for (const EpochRecord &r : run.state.history.epochs)
      secs += r.seconds;
    table += fmt::format("{:<8} {:>6} {:>11.4f} {:>10.4f} {:>10.1f}\n", run.config.model,
                         run.state.history.epochs.size(), run.finalEval.loss,
                         run.finalEval.accuracy, secs);
  }
  writeFileAtomically(join(paths.out, "summary.txt"), table);
  fmt::print("{}\nreports in {}\n", table, paths.out);
  return runs;
}

EvalResult evaluateCheckpoint(const std::string &checkpoint, std::optional<std::string> model,
                              const std::string &dataDir, const std::string &out, Backend backend,
                              int64_t testBatch) {
  std::string name = model ? *model : checkpointModel(checkpoint);
  if (!out.empty())
    ensureWritableDir(out);
  TrainConfig config;
  config.model = name;
  config.backend = backend;
  config.testBatch = testBatch;
  RunState state;
  Graph graph = buildStageGraph(name, Stage::Eval, testBatch, config.step);
  loadModelState(checkpoint, graph, state.store);
  MnistDataset test = loadMnist(dataDir, Split::Test);
  checkModelFitsData(config, test);
  Trainer trainer(config, state);
  EvalResult eval = trainer.evaluate(test);
  std::string title = name + " (" + checkpoint + ")";
  fmt::print("{}\n", out.empty() ? summarize(title, test, eval).text
                                 : writeEvaluation(out, title, test, eval));
  return eval;
}

} // namespace kiln
