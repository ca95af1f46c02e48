// `kiln predict CKPT FILE...`: the most probable classes of images (PNG files, or IDX
// image files holding many) under a trained checkpoint, one line per image.
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Predict.h"
#include "tools/Command.h"

#include <fmt/core.h>

namespace kiln::cli {
namespace {

class PredictCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand("predict", "Classify images with a checkpoint");
    sub->add_option("CKPT", checkpoint_, "checkpoint folder or model.safetensors")->required();
    sub->add_option("FILE", files_, "PNG images, or IDX files of images")->required();
    sub->add_option("--model", model_,
                    "zoo model or model file (default: the one recorded in CKPT)");
    sub->add_option("--top", top_, "classes shown per image")
        ->capture_default_str()
        ->check(AtLeastOne);
    sub->add_option("--backend", backend_, "jit | interp")->capture_default_str();
    return sub;
  }

  int run() override {
    PredictOptions options;
    options.model = model_;
    options.backend = parseBackend(backend_);
    options.top = top_;
    // Feed the pixels as the model was trained on them (MNIST's values for checkpoints
    // that predate the record).
    options.norm = checkpointNormalization(checkpoint_);
    for (const Prediction &p : predictImages(checkpoint_, files_, options)) {
      std::string classes;
      for (const auto &[label, probability] : p.classes)
        classes +=
            fmt::format("{}{} ({:.2f}%)", classes.empty() ? "" : ", ", label, 100.0 * probability);
      fmt::print("{}: {}\n", p.source, classes);
    }
    return 0;
  }

private:
  std::string checkpoint_, backend_ = "jit";
  std::vector<std::string> files_;
  std::optional<std::string> model_;
  int64_t top_ = 3;
};

} // namespace

std::unique_ptr<Command> makePredictCommand() { return std::make_unique<PredictCommand>(); }

} // namespace kiln::cli
