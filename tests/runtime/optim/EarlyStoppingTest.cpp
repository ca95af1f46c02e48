// Early stopping: patience, min delta, NaN losses and checkpointed counters.
#include "kiln/runtime/optim/EarlyStopping.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;

TEST_CASE("early stopping fires after patience epochs without improvement", "[optim]") {
  EarlyStopping stop(/*patience=*/2);
  CHECK_FALSE(stop.shouldStop(1.0)); // epoch 0: first loss always improves
  CHECK(stop.improved());
  CHECK_FALSE(stop.shouldStop(0.8)); // epoch 1: improves
  CHECK_FALSE(stop.shouldStop(0.9)); // epoch 2: one bad epoch
  CHECK_FALSE(stop.improved());
  CHECK_FALSE(stop.shouldStop(0.7)); // epoch 3: improves, counter resets
  CHECK_FALSE(stop.shouldStop(0.7)); // epoch 4: equal is not an improvement
  CHECK(stop.shouldStop(0.75));      // epoch 5: second bad epoch in a row
  CHECK(stop.shouldStop(0.71));      // still stopped
  CHECK(stop.bestEpoch() == 3);
  CHECK(stop.best() == 0.7);
}

TEST_CASE("early stopping ignores improvements smaller than min delta", "[optim]") {
  EarlyStopping stop(/*patience=*/2, /*minDelta=*/0.1);
  CHECK_FALSE(stop.shouldStop(1.0));
  CHECK_FALSE(stop.shouldStop(0.95)); // better, but by less than 0.1
  CHECK(stop.shouldStop(0.92));
  CHECK(stop.bestEpoch() == 0);
  CHECK(stop.best() == 1.0);
}

TEST_CASE("a NaN validation loss never counts as an improvement", "[optim]") {
  EarlyStopping stop(/*patience=*/1);
  CHECK_FALSE(stop.shouldStop(0.5));
  CHECK(stop.shouldStop(std::nan("")));
  CHECK(stop.best() == 0.5);
}

TEST_CASE("early stopping resumes from saved counters", "[optim]") {
  EarlyStopping original(/*patience=*/3);
  for (double loss : {1.0, 0.5, 0.6, 0.7})
    CHECK_FALSE(original.shouldStop(loss));
  EarlyStopping resumed(/*patience=*/3);
  resumed.restore(original.state());
  CHECK(resumed.bestEpoch() == 1);
  CHECK(resumed.shouldStop(0.55) == original.shouldStop(0.55));
  CHECK(resumed.state().badEpochs == 3);

  EarlyStopping::State broken = original.state();
  broken.badEpochs = broken.epochs + 1;
  CHECK_THROWS_WITH(resumed.restore(broken), Catch::Contains("inconsistent saved state"));
}

TEST_CASE("bad early stopping settings are errors", "[optim]") {
  CHECK_THROWS_AS(EarlyStopping(0), Error);
  CHECK_THROWS_WITH(EarlyStopping(3, -0.1), Catch::Contains("min delta"));
}
