// The tutorial's models as kiln modules. MLP, CNN and ImprovedCNN transcribe spec §9-2
// line for line; Perceptron and XorMLP are spec §1's single- and multi-layer networks on
// XOR inputs.
#pragma once

#include "kiln/frontend/Functional.h"
#include "kiln/frontend/Layers.h"
#include "kiln/frontend/Norm.h"

namespace kiln {

/// Spec §1: y = step(w·x + b). The step has no useful gradient, so the train graph
/// outputs sigmoid(w·x + b) (the smooth surrogate gradient descent trains); the eval
/// graph outputs the hard 0/1 threshold, which agrees with sigmoid > 0.5.
struct Perceptron : Module {
  using Module::Module;
  Linear fc{this, "fc", 2, 1};

  Value forward(Value x) override {
    Value z = fc(x);
    return x.tracer().training() ? sigmoid(z) : step(z);
  }
};

/// Spec §1's answer to XOR: 2 -> hidden -> 1 with a nonlinearity and a sigmoid output.
struct XorMLP : Module {
  enum class Activation { Tanh, Relu };
  XorMLP(int64_t hidden, Activation activation) : hidden_(hidden), activation_(activation) {}

private:
  // Declared before the layers, which are initialized from them.
  int64_t hidden_;
  Activation activation_;

public:
  Linear fc1{this, "fc1", 2, hidden_};
  Linear fc2{this, "fc2", hidden_, 1};

  Value forward(Value x) override {
    x = fc1(x);
    x = activation_ == Activation::Tanh ? tanh(x) : relu(x);
    return sigmoid(fc2(x));
  }
};

/// Spec §9-2, model 1.
struct MLP : Module {
  using Module::Module;
  Flatten flatten;
  Linear fc1{this, "fc1", 28 * 28, 256};
  Linear fc2{this, "fc2", 256, 128};
  Linear fc3{this, "fc3", 128, 10};
  Dropout dropout{0.2};

  Value forward(Value x) override {
    x = flatten(x);
    x = relu(fc1(x));
    x = dropout(x);
    x = relu(fc2(x));
    x = dropout(x);
    x = fc3(x);
    return x;
  }
};

/// Spec §9-2, model 2.
struct CNN : Module {
  using Module::Module;
  Conv2d conv1{this, "conv1", 1, 32, {.kernel = 3, .padding = 1}};
  Conv2d conv2{this, "conv2", 32, 64, {.kernel = 3, .padding = 1}};
  MaxPool2d pool{2, 2};
  Linear fc1{this, "fc1", 64 * 7 * 7, 128};
  Linear fc2{this, "fc2", 128, 10};
  Dropout dropout{0.25};

  Value forward(Value x) override {
    x = pool(relu(conv1(x))); // [B, 32, 14, 14]
    x = pool(relu(conv2(x))); // [B, 64, 7, 7]
    x = x.view({-1, 64 * 7 * 7});
    x = dropout(x);
    x = relu(fc1(x));
    x = dropout(x);
    x = fc2(x);
    return x;
  }
};

/// Spec §9-2, model 3: CNN with batch normalization.
struct ImprovedCNN : Module {
  using Module::Module;
  Conv2d conv1{this, "conv1", 1, 32, {.kernel = 3, .padding = 1}};
  BatchNorm2d bn1{this, "bn1", 32};
  Conv2d conv2{this, "conv2", 32, 64, {.kernel = 3, .padding = 1}};
  BatchNorm2d bn2{this, "bn2", 64};
  Conv2d conv3{this, "conv3", 64, 128, {.kernel = 3, .padding = 1}};
  BatchNorm2d bn3{this, "bn3", 128};
  MaxPool2d pool{2, 2};
  Linear fc1{this, "fc1", 128 * 3 * 3, 256};
  Linear fc2{this, "fc2", 256, 10};
  Dropout dropout{0.3};

  Value forward(Value x) override {
    x = pool(relu(bn1(conv1(x)))); // [B, 32, 14, 14]
    x = pool(relu(bn2(conv2(x)))); // [B, 64, 7, 7]
    x = pool(relu(bn3(conv3(x)))); // [B, 128, 3, 3]
    x = x.view({-1, 128 * 3 * 3});
    x = dropout(relu(fc1(x)));
    x = fc2(x);
    return x;
  }
};

} // namespace kiln
