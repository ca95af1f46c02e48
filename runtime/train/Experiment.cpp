#include "kiln/runtime/train/Experiment.h"

#include "kiln/frontend/GraphModel.h"
#include "kiln/ir/Error.h"
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/report/Charts.h"
#include "kiln/runtime/report/History.h"
#include "kiln/runtime/report/Images.h"
#include "kiln/runtime/report/Metrics.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/RunNormalization.h"
#include "kiln/runtime/train/Transfer.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace kiln {

namespace fs = std::filesystem;

namespace {

std::string join(const std::string &dir, const std::string &name) {
  return (fs::path(dir) / name).string();
}

/// Classes are named by their number (the digits of MNIST), unless an image data set
/// names them (Fashion-MNIST).
std::vector<std::string> classNames(const Dataset &data) {
  if (const MnistDataset *images = data.imageSet())
    return reportClassNames(*images);
  std::vector<std::string> names;
  for (int64_t i = 0; i < data.numClasses(); ++i)
    names.push_back(std::to_string(i));
  return names;
}

/// What spec §9-6 and §9-7 look at: the confusion matrix and the misclassified samples.
struct Evaluation {
  explicit Evaluation(int64_t numClasses) : cm(static_cast<int>(numClasses)) {}
  ConfusionMatrix cm;
  std::vector<int64_t> wrong; ///< test indices, in dataset order
  std::string text;           ///< summary, classification report and confusion matrix
};

Evaluation summarize(const std::string &title, const Dataset &test, const EvalResult &eval) {
  const std::vector<std::string> names = classNames(test);
  Evaluation e(test.numClasses());
  for (int64_t i = 0; i < test.size(); ++i) {
    int truth = test.label(i);
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
      formatClassificationReport(e.cm, names), formatConfusionMatrix(e.cm, names));
  return e;
}

/// Writes the classification report, the confusion matrix image and (for images) the
/// grid of misclassified samples into `out`; returns the report text.
std::string writeEvaluation(const std::string &out, const std::string &title, const Dataset &test,
                            const EvalResult &eval) {
  Evaluation e = summarize(title, test, eval);
  writeFileAtomically(join(out, "classification_report.txt"), e.text);
  writeConfusionMatrixPng(join(out, "confusion_matrix.png"), e.cm, classNames(test),
                          title + " - confusion matrix");
  const MnistDataset *pictures = test.imageSet();
  if (!pictures)
    return e.text;
  std::vector<GrayImage> images;
  std::vector<int> truths, preds;
  for (size_t k = 0; k < e.wrong.size() && k < 10; ++k) {
    int64_t i = e.wrong[k];
    images.push_back(GrayImage::fromBytes(pictures->image(i), static_cast<int>(pictures->height),
                                          static_cast<int>(pictures->width)));
    truths.push_back(test.label(i));
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

/// The examples' shape, from the IDX headers, against the model's: before any data is
/// read in bulk. (The class count is checked once the labels are read.)
void checkModelFitsImages(const ModelSpec &model, const std::string &dir,
                          std::initializer_list<Split> splits = {Split::Train, Split::Test}) {
  for (Split split : splits) {
    Shape shape = mnistSampleShape(dir, split);
    if (shape != model.sampleShape)
      fail("{}: model '{}' takes examples shaped {}; the {} images are {}", dir, model.name,
           shapeStr(model.sampleShape), split == Split::Train ? "training" : "test",
           shapeStr(shape));
  }
}

Data loadData(const std::string &dir) {
  Data d{loadMnist(dir, Split::Train), loadMnist(dir, Split::Test)};
  if (leadRank())
    fmt::print(stderr, "data: {} training and {} test images of {}x{} from {}\n", d.train.size(),
             d.test.size(), d.train.height, d.train.width, dir);
  return d;
}

/// Everything about a run that can be wrong without the data — the model, the optimizer,
/// the learning rate, freeze prefixes, a --resume or --init checkpoint — checked and
/// loaded before the data is read and before anything is written.
ModelRun prepareRun(ModelSpec model, TrainConfig config, const RunPaths &paths) {
  if (model.output != OutputKind::Logits)
    fail("model '{}' is not a classifier: kiln train and kiln mnist train models whose "
         "output is logits",
         model.name);
  if (!paths.resume.empty() && !paths.init.empty())
    fail("--resume and --init exclude each other: --resume continues {}, --init starts a new "
         "run from {}",
         paths.resume, paths.init);
  if (!paths.reinit.empty() && paths.init.empty())
    fail("--reinit {} needs --init CKPT: it re-initializes modules after loading a checkpoint",
         paths.reinit.front());
  ModelRun run;
  run.model = std::move(model);
  if (!paths.resume.empty()) {
    // The step graph comes from the saved configuration: its optimizer decides which
    // state the checkpoint holds.
    CheckpointFiles found = findCheckpoint(paths.resume);
    TrainConfig resumed = checkpointConfig(found);
    if (resumed.model != config.model)
      fail("{}: checkpoint of model '{}', not '{}'", paths.resume, resumed.model, config.model);
    Graph trainGraph = buildStageGraph(run.model, Stage::Train, resumed.batch, resumed.step);
    loadCheckpoint(found, trainGraph, run.state);
    resumed.epochs = config.epochs;
    resumed.backend = config.backend;
    config = resumed;
    if (leadRank())
      fmt::print(stderr, "[{}] resuming after epoch {} of {} from {}\n", config.model,
               run.state.epochsDone, config.epochs, found.dir);
  } else {
    // Building the step checks the freeze prefixes and the optimizer's settings.
    buildStageGraph(run.model, Stage::Train, config.batch, config.step);
    if (!paths.init.empty()) {
      Graph graph = buildStageGraph(run.model, Stage::Eval, config.testBatch, config.step);
      // Both steps may fail; the report lines come after them, so bad input prints one line.
      InitReport report = loadMatchingModelState(paths.init, graph, run.state.store);
      std::vector<std::string> fresh =
          reinitializeModules(graph, paths.reinit, config.seed, run.state.store);
      if (leadRank())
        fmt::print(stderr, "[{}] --init: {}\n", config.model, formatInitReport(report));
      if (!fresh.empty() && leadRank())
        fmt::print(stderr, "[{}] --reinit: fresh initial values for {}\n", config.model,
                   fmt::join(fresh, ", "));
    }
  }
  validate(config.step.optimizer);
  validateLearningRate(config.lr);
  validate(config.schedule);
  run.config = config;
  return run;
}

/// Data-parallel ranks other than 0 train and evaluate, and write and print nothing.
ModelRun trainOne(ModelRun run, const Dataset &train, const Dataset &test, const std::string &out) {
  const bool lead = leadRank();
  if (lead)
    ensureWritableDir(out);
  const TrainConfig config = run.config;

  Trainer trainer(run.model, config, run.state);
  std::string checkpoint = join(out, "checkpoint");
  run.stoppedEarly = trainer.fit(train, test, [&](const EpochRecord &) {
    if (lead)
      saveCheckpoint(checkpoint, config, run.state, run.model.source);
  });
  run.finalEval = trainer.evaluate(test);
  if (!lead)
    return run;
  writeHistories(out, {run.state.history});
  std::string report = writeEvaluation(out, config.model, test, run.finalEval);
  fmt::print("{}\n", report);
  fmt::print(stderr, "[{}] wrote checkpoint, history, learning curves and reports to {}\n",
             run.model.name, out);
  return run;
}

} // namespace

// Runs are prepared (checked, checkpoints loaded) before the data is loaded and the data
// before the output folder is made, so that bad input leaves nothing behind.
ModelRun trainModel(TrainConfig config, const RunPaths &paths) {
  ModelSpec model = resolveModel(config.model);
  ModelRun run = prepareRun(std::move(model), std::move(config), paths);
  checkModelFitsImages(run.model, paths.data);
  Data data = loadData(paths.data);
  checkModelFitsData(run.model, data.train, paths.data);
  checkModelFitsData(run.model, data.test, paths.data);
  resolveNormalization(run.config, data.train);
  if (leadRank())
    ensureWritableDir(paths.out);
  return trainOne(std::move(run), data.train, data.test, paths.out);
}

ModelRun trainModel(const ModelSpec &model, TrainConfig config, const Dataset &train,
                    const Dataset &test, const RunPaths &paths) {
  config.model = model.name;
  ModelRun run = prepareRun(model, std::move(config), paths);
  checkModelFitsData(run.model, train, "the training set");
  checkModelFitsData(run.model, test, "the test set");
  if (leadRank())
    ensureWritableDir(paths.out);
  return trainOne(std::move(run), train, test, paths.out);
}

std::vector<ModelRun> runMnistExperiment(const std::vector<TrainConfig> &configs,
                                         const RunPaths &paths) {
  if (configs.empty())
    fail("--models: no model given");
  if (communicator().size() > 1) // every rank finds it: one line for the job
    throw GroupError(fmt::format("kiln mnist runs in one process; train each model with "
                                 "`mpirun -np {} kiln train MODEL`",
                                 communicator().size()));
  std::vector<ModelRun> prepared;
  for (const TrainConfig &config : configs)
    prepared.push_back(prepareRun(resolveModel(config.model), config, paths));
  for (const ModelRun &run : prepared)
    checkModelFitsImages(run.model, paths.data);
  Data data = loadData(paths.data);
  for (ModelRun &run : prepared) {
    checkModelFitsData(run.model, data.train, paths.data);
    checkModelFitsData(run.model, data.test, paths.data);
    resolveNormalization(run.config, data.train);
  }
  ensureWritableDir(paths.out);
  std::vector<ModelRun> runs;
  std::vector<History> histories;
  for (ModelRun &run : prepared) {
    std::string out = join(paths.out, run.config.model);
    runs.push_back(trainOne(std::move(run), data.train, data.test, out));
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
  ModelSpec spec = checkpointModelSpec(checkpoint, model);
  TrainConfig config;
  config.model = name;
  config.backend = backend;
  config.testBatch = testBatch;
  config.norm = checkpointNormalization(checkpoint);
  RunState state;
  Graph graph = buildStageGraph(spec, Stage::Eval, testBatch, config.step);
  loadModelState(checkpoint, graph, state.store);
  checkModelFitsImages(spec, dataDir, {Split::Test});
  MnistDataset test = loadMnist(dataDir, Split::Test);
  checkModelFitsData(spec, test, dataDir);
  resolveNormalization(config, test);
  // Only now that every input is known to be good: bad input leaves nothing behind.
  if (!out.empty())
    ensureWritableDir(out);
  Trainer trainer(spec, config, state);
  EvalResult eval = trainer.evaluate(test);
  std::string title = name + " (" + checkpoint + ")";
  fmt::print("{}\n", out.empty() ? summarize(title, test, eval).text
                                 : writeEvaluation(out, title, test, eval));
  return eval;
}

} // namespace kiln
