// Transfer learning (spec §10): a CNN trained on MNIST digits moves to Fashion-MNIST
// clothes. Its convolutions are frozen (they get no gradient at all, so the backward
// pass stops at fc1) and its head, fc1 and fc2, is drawn afresh.
//   transfer_fashion MNIST_DIR FASHION_DIR [OUT]            2 epochs of MNIST, 1 of Fashion
//   transfer_fashion MNIST_DIR FASHION_DIR OUT --quick N    1 epoch each on N images
#include <kiln/kiln.h>

#include <cstdio>
#include <string>

struct Cnn : kiln::Module {
  kiln::Conv2d conv1{this, "conv1", 1, 32, {.kernel = 3, .padding = 1}};
  kiln::Conv2d conv2{this, "conv2", 32, 64, {.kernel = 3, .padding = 1}};
  kiln::MaxPool2d pool{2, 2};
  kiln::Dropout dropout{0.25};
  kiln::Linear fc1{this, "fc1", 64 * 7 * 7, 128};
  kiln::Linear fc2{this, "fc2", 128, 10};

  kiln::Value forward(kiln::Value x) override {
    x = pool(kiln::relu(conv1(x)));
    x = pool(kiln::relu(conv2(x)));
    x = dropout(kiln::relu(fc1(x.view({-1, 64 * 7 * 7}))));
    return fc2(x);
  }
};

/// The first `n` examples of `data` (all of them when n is 0).
kiln::MnistDataset first(kiln::MnistDataset data, int64_t n) {
  if (n > 0 && n < data.size()) {
    data.labels.resize(static_cast<size_t>(n));
    data.images.resize(static_cast<size_t>(n * data.height * data.width));
  }
  return data;
}

int main(int argc, char **argv) try {
  if (argc < 3)
    return std::fprintf(stderr, "usage: %s MNIST_DIR FASHION_DIR [OUT [--quick N]]\n", argv[0]), 2;
  const std::string out = argc > 3 ? argv[3] : "runs/transfer_fashion";
  const int64_t quick = argc > 5 && std::string(argv[4]) == "--quick" ? std::stoll(argv[5]) : 0;
  kiln::ModelSpec model =
      kiln::classifier("cnn", {1, 28, 28}, 10, [] { return std::make_unique<Cnn>(); });
  auto load = [&](const char *dir, kiln::Split split, int64_t n) {
    return first(kiln::loadMnist(dir, split), n);
  };

  kiln::TrainConfig digits; // Adam 1e-3, batch 64, JIT
  digits.epochs = quick ? 1 : 2;
  kiln::RunPaths mnistPaths;
  mnistPaths.out = out + "/mnist";
  kiln::ModelRun mnist = kiln::trainModel(model, digits, load(argv[1], kiln::Split::Train, quick),
                                          load(argv[1], kiln::Split::Test, quick / 5), mnistPaths);

  kiln::TrainConfig clothes;
  clothes.epochs = 1;
  clothes.step.freeze = {"conv1", "conv2"};
  kiln::RunPaths fashionPaths;
  fashionPaths.out = out + "/fashion";
  fashionPaths.init = mnistPaths.out + "/checkpoint";
  fashionPaths.reinit = {"fc1", "fc2"};
  kiln::ModelRun fashion =
      kiln::trainModel(model, clothes, load(argv[2], kiln::Split::Train, quick),
                       load(argv[2], kiln::Split::Test, quick / 5), fashionPaths);

  std::printf("mnist: test accuracy %.4f\nfashion: test accuracy %.4f\n", mnist.finalEval.accuracy,
              fashion.finalEval.accuracy);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "transfer_fashion: %s\n", e.what());
  return 1;
}
