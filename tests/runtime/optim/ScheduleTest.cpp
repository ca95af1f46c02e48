// Learning-rate schedules against PyTorch's closed forms, computed here independently.
#include "kiln/runtime/optim/Schedule.h"
#include "kiln/ir/Error.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kiln;

TEST_CASE("StepLR decays by gamma every stepSize epochs", "[optim]") {
  ScheduleConfig c{.kind = ScheduleKind::Step, .stepSize = 10, .gamma = 0.1};
  const double base = 0.5;
  CHECK(learningRate(c, base, 0) == Approx(0.5).epsilon(1e-15));
  CHECK(learningRate(c, base, 9) == Approx(0.5).epsilon(1e-15));
  CHECK(learningRate(c, base, 10) == Approx(0.05).epsilon(1e-15));
  CHECK(learningRate(c, base, 19) == Approx(0.05).epsilon(1e-15));
  CHECK(learningRate(c, base, 25) == Approx(0.005).epsilon(1e-15));
}

TEST_CASE("CosineAnnealingLR follows half a cosine from base to etaMin", "[optim]") {
  ScheduleConfig c{.kind = ScheduleKind::Cosine, .tMax = 20, .etaMin = 0.001};
  const double base = 0.1;
  CHECK(learningRate(c, base, 0) == Approx(base).epsilon(1e-15));
  CHECK(learningRate(c, base, 10) == Approx((base + 0.001) / 2).epsilon(1e-15));
  CHECK(learningRate(c, base, 20) == Approx(0.001).epsilon(1e-15));
  // A quarter period: etaMin + (base - etaMin) * (1 + cos(pi/4)) / 2.
  const double quarter = 0.001 + (base - 0.001) * (1 + std::sqrt(0.5)) / 2;
  CHECK(learningRate(c, base, 5) == Approx(quarter).epsilon(1e-14));
  // Past tMax the closed form rises again, as PyTorch's does.
  CHECK(learningRate(c, base, 30) == Approx((base + 0.001) / 2).epsilon(1e-14));
}

TEST_CASE("no schedule keeps the base learning rate", "[optim]") {
  ScheduleConfig c;
  CHECK(learningRate(c, 0.01, 0) == 0.01);
  CHECK(learningRate(c, 0.01, 1000) == 0.01);
}

TEST_CASE("schedule names parse and unknown names list the choices", "[optim]") {
  CHECK(parseScheduleKind("none") == ScheduleKind::None);
  CHECK(parseScheduleKind("step") == ScheduleKind::Step);
  CHECK(parseScheduleKind("cosine") == ScheduleKind::Cosine);
  for (ScheduleKind k : {ScheduleKind::None, ScheduleKind::Step, ScheduleKind::Cosine})
    CHECK(parseScheduleKind(scheduleKindName(k)) == k);
  CHECK_THROWS_MATCHES(parseScheduleKind("exponential"), Error,
                       Catch::Message("unknown learning-rate schedule 'exponential' "
                                      "(choices: none, step, cosine)"));
}

TEST_CASE("bad schedule configurations are errors", "[optim]") {
  ScheduleConfig step{.kind = ScheduleKind::Step, .stepSize = 0};
  CHECK_THROWS_WITH(learningRate(step, 0.1, 0), Catch::Contains("step size must be >= 1"));
  step.stepSize = 5;
  step.gamma = -0.5;
  CHECK_THROWS_WITH(learningRate(step, 0.1, 0), Catch::Contains("gamma must be positive"));
  ScheduleConfig cosine{.kind = ScheduleKind::Cosine, .tMax = 0};
  CHECK_THROWS_WITH(learningRate(cosine, 0.1, 0), Catch::Contains("T_max must be >= 1"));
  cosine.tMax = 10;
  cosine.etaMin = -1;
  CHECK_THROWS_WITH(learningRate(cosine, 0.1, 0), Catch::Contains("eta_min"));
  CHECK_THROWS_WITH(learningRate(ScheduleConfig{}, -0.1, 0),
                    Catch::Contains("invalid learning rate -0.1"));
  CHECK_THROWS_WITH(learningRate(ScheduleConfig{}, 0.1, -1), Catch::Contains("negative epoch"));
}
