// A CNN of our own, trained on MNIST on kiln's JIT.
//   custom_cnn MNIST_DIR [EPOCHS] [OUT]   trains, writes checkpoint and reports into OUT
//   custom_cnn MNIST_DIR --steps N        N compiled training steps, printing the loss
#include <kiln/kiln.h>

#include <cstdio>
#include <string>

struct MyCnn : kiln::Module {
  kiln::Conv2d conv1{this, "conv1", 1, 16, {.kernel = 5, .padding = 2}};
  kiln::Conv2d conv2{this, "conv2", 16, 32, {.kernel = 3, .padding = 1}};
  kiln::MaxPool2d pool{2, 2};
  kiln::Dropout dropout{0.2};
  kiln::Linear fc{this, "fc", 32 * 7 * 7, 10};

  kiln::Value forward(kiln::Value x) override {
    x = pool(kiln::relu(conv1(x))); // [B, 16, 14, 14]
    x = pool(kiln::relu(conv2(x))); // [B, 32, 7, 7]
    return fc(dropout(x.view({-1, 32 * 7 * 7})));
  }
};

int main(int argc, char **argv) try {
  if (argc < 2)
    return std::fprintf(stderr, "usage: %s MNIST_DIR [EPOCHS [OUT] | --steps N]\n", argv[0]), 2;
  kiln::ModelSpec model =
      kiln::classifier("my_cnn", {1, 28, 28}, 10, [] { return std::make_unique<MyCnn>(); });
  kiln::MnistDataset train = kiln::loadMnist(argv[1], kiln::Split::Train);

  if (argc > 3 && std::string(argv[2]) == "--steps") { // the step API, by hand
    kiln::TrainStep step(model, 64);
    kiln::DataLoader loader(train, {});
    loader.startEpoch(0);
    for (int i = 1; i <= std::stoi(argv[3]); ++i) {
      kiln::Batch batch = *loader.next();
      kiln::StepResult r = step.run(batch.x, batch.y, 1e-3);
      std::printf("step %d loss %.4f correct %lld/64\n", i, r.loss, (long long)*r.correct);
    }
    return 0;
  }
  kiln::TrainConfig config; // Adam 1e-3, batch 64, JIT
  config.epochs = argc > 2 ? std::stoi(argv[2]) : 1;
  kiln::RunPaths paths;
  paths.out = argc > 3 ? argv[3] : "runs/custom_cnn";
  kiln::MnistDataset test = kiln::loadMnist(argv[1], kiln::Split::Test);
  kiln::trainModel(model, config, train, test, paths);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "custom_cnn: %s\n", e.what());
  return 1;
}
