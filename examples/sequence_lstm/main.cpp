// Sequential MNIST (spec §6): each image is a sequence of 28 rows of 28 pixels; an LSTM
// reads it row by row and its last output is classified. Trained on kiln's JIT.
//   sequence_lstm MNIST_DIR [EPOCHS] [OUT]   trains, writes checkpoint and reports into OUT
//   sequence_lstm MNIST_DIR --steps N        N compiled training steps, printing the loss
#include <kiln/kiln.h>

#include <cstdio>
#include <string>

struct RowLstm : kiln::Module {
  kiln::LSTM lstm{this, "lstm", 28, 64, {.numLayers = 1, .batchFirst = true}};
  kiln::Linear fc{this, "fc", 64, 10};

  kiln::Value forward(kiln::Value x) override {
    kiln::Value rows = lstm(x.view({-1, 28, 28})).output; // [B, 28 steps, 64]
    kiln::Value last = rows.slice(1, -1, 28);             // the last step: [B, 1, 64]
    return fc(last.view({rows.dim(0), 64}));
  }
};

int main(int argc, char **argv) try {
  if (argc < 2)
    return std::fprintf(stderr, "usage: %s MNIST_DIR [EPOCHS [OUT] | --steps N]\n", argv[0]), 2;
  kiln::ModelSpec model =
      kiln::classifier("row_lstm", {1, 28, 28}, 10, [] { return std::make_unique<RowLstm>(); });
  kiln::MnistDataset train = kiln::loadMnist(argv[1], kiln::Split::Train);

  if (argc > 3 && std::string(argv[2]) == "--steps") {
    kiln::TrainStep step(model, 64);
    kiln::DataLoader loader(train, {});
    loader.startEpoch(0);
    for (int i = 1; i <= std::stoi(argv[3]); ++i) {
      kiln::Batch batch = *loader.next();
      kiln::StepResult r = step.run(batch.x, batch.y, 3e-3);
      std::printf("step %d loss %.4f correct %lld/64\n", i, r.loss, (long long)*r.correct);
    }
    return 0;
  }
  kiln::TrainConfig config; // Adam 1e-3, batch 64, JIT
  config.epochs = argc > 2 ? std::stoi(argv[2]) : 1;
  kiln::RunPaths paths;
  paths.out = argc > 3 ? argv[3] : "runs/sequence_lstm";
  kiln::MnistDataset test = kiln::loadMnist(argv[1], kiln::Split::Test);
  kiln::trainModel(model, config, train, test, paths);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "sequence_lstm: %s\n", e.what());
  return 1;
}
