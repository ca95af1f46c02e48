// `kiln train MODEL`: train one zoo model on MNIST-format data with checkpoints and
// reports in --out.
#include "kiln/ir/Error.h"
#include "kiln/runtime/dist/ProcessGroup.h"
#include "kiln/runtime/train/Experiment.h"
#include "tools/Command.h"
#include "tools/TrainFlags.h"
#include "tools/WorldSize.h"

namespace kiln::cli {
namespace {

class TrainCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "train", "Train a zoo model; checkpoints, history and reports go to --out");
    sub->add_option("MODEL", model_, "zoo model (see `kiln models`) or model file (.kir)")
        ->required();
    flags_.declare(sub);
    sub->add_option("--out", paths_.out, "output folder")->capture_default_str();
    sub->add_option("--resume", paths_.resume,
                    "continue from this checkpoint folder (its settings; --epochs extends)");
    sub->add_option("--init", paths_.init,
                    "initialize the model from the tensors of this checkpoint that fit it by "
                    "name and shape (transfer learning)");
    sub->add_option("--reinit", paths_.reinit,
                    "module paths to re-initialize after --init (a new head, e.g. fc1 fc2)");
    worldSize_.declare(sub);
    return sub;
  }

  int run() override {
    worldSize_.join();
    paths_.data = flags_.data;
    if (paths_.out.empty())
      paths_.out = "runs/" + model_;
    trainModel(flags_.config(model_), paths_);
    return 0;
  }

private:
  std::string model_;
  TrainFlags flags_;
  RunPaths paths_;
  WorldSizeOption worldSize_{"train"};
};

class MnistCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "mnist", "The tutorial's experiment (spec §9): train mlp, cnn and icnn with Adam 1e-3, "
                 "compare them, and write every report to --out");
    flags_.declare(sub);
    sub->add_option("--models", models_, "comma-separated zoo models or model files (.kir)")
        ->delimiter(',')
        ->capture_default_str();
    sub->add_option("--out", paths_.out, "output folder")->capture_default_str();
    return sub;
  }

  int run() override {
    joinProcessGroup(); // under mpirun, runMnistExperiment refuses on every rank at once
    paths_.data = flags_.data;
    std::vector<TrainConfig> configs;
    for (const std::string &model : models_)
      configs.push_back(flags_.config(model));
    runMnistExperiment(configs, paths_);
    return 0;
  }

private:
  TrainFlags flags_;
  std::vector<std::string> models_ = {"mlp", "cnn", "icnn"};
  RunPaths paths_{
      .data = "data/mnist", .out = "runs/mnist", .resume = "", .init = "", .reinit = {}};
};

class EvalCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand("eval", "Test-set report of a checkpoint");
    sub->add_option("CKPT", checkpoint_, "checkpoint folder or model.safetensors")->required();
    sub->add_option("--model", model_,
                    "zoo model or model file (default: the one recorded in CKPT)");
    sub->add_option("--data", data_, "folder with the MNIST-format IDX files")
        ->capture_default_str();
    sub->add_option("--out", out_, "write the report files here too");
    sub->add_option("--backend", backend_, "jit | interp")->capture_default_str();
    sub->add_option("--test-batch", testBatch_, "evaluation batch size")
        ->capture_default_str()
        ->check(AtLeastOne);
    return sub;
  }

  int run() override {
    evaluateCheckpoint(checkpoint_, model_, data_, out_, parseBackend(backend_), testBatch_);
    return 0;
  }

private:
  std::string checkpoint_, data_ = "data/mnist", out_, backend_ = "jit";
  std::optional<std::string> model_;
  int64_t testBatch_ = 1000;
};

} // namespace

std::unique_ptr<Command> makeTrainCommand() { return std::make_unique<TrainCommand>(); }
std::unique_ptr<Command> makeMnistCommand() { return std::make_unique<MnistCommand>(); }
std::unique_ptr<Command> makeEvalCommand() { return std::make_unique<EvalCommand>(); }

} // namespace kiln::cli
