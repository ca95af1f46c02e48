#!/usr/bin/env python3
"""PyTorch's side of bench/compare.sh's inference table: for each model of the
reference scripts (../shared/reference), the eval step's throughput at batch 1000 and
the latency of one prediction at batch 1, measured as kiln_bench's eval_1000 and
predict_1 measure kiln's.

  eval step   model.eval(), no_grad: logits, cross-entropy loss, correct count
              (what kiln's eval graph computes), over 1000 images
  predict     model.eval(), no_grad: logits of one image

Inputs are seeded uniform pixels in [0, 1) and labels below 10; weights are PyTorch's
default initialisation (timings do not depend on the values). Each figure is the median
of REPS timed runs of at least MIN_TIME seconds each, after a warm-up.

usage: pytorch_inference.py MNIST_REFERENCE SEQUENCE_REFERENCE [--models mlp,cnn,...]
                            [--threads T] [--reps R] [--min-time S]
prints one JSON line per model: {"model", "eval_images_per_s", "predict_1_us"}
"""
import argparse, importlib.util, json, statistics, time

import torch
import torch.nn.functional as F


def load_models(path):
    spec = importlib.util.spec_from_file_location(f"reference_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODELS


def seconds_per_call(fn, reps, min_time):
    """Median over `reps` runs of the mean time of one call, each run at least min_time."""
    fn()
    calls = 1
    while True:  # enough calls for one run to last min_time
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            break
        calls *= 2
    runs = [elapsed / calls]
    for _ in range(reps - 1):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - t0) / calls)
    return statistics.median(runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mnist_reference")
    ap.add_argument("sequence_reference")
    ap.add_argument("--models", default="mlp,cnn,icnn,lstm,vit")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    models = {**load_models(a.mnist_reference), **load_models(a.sequence_reference)}
    x = torch.rand(1000, 1, 28, 28)
    y = torch.randint(0, 10, (1000,))
    one = x[:1].clone()
    for name in a.models.split(","):
        model = models[name]()
        model.eval()
        with torch.no_grad():
            def eval_step():
                logits = model(x)
                F.cross_entropy(logits, y).item()
                (logits.argmax(1) == y).sum().item()

            def predict():
                model(one)

            eval_s = seconds_per_call(eval_step, a.reps, a.min_time)
            predict_s = seconds_per_call(predict, a.reps, a.min_time)
        print(json.dumps({"model": name, "eval_images_per_s": round(1000 / eval_s, 1),
                          "predict_1_us": round(1e6 * predict_s, 2)}), flush=True)


if __name__ == "__main__":
    main()
