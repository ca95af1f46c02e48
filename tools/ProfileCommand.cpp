// `kiln profile MODEL|FILE.kir`: compiles a step graph with per-kernel timing, runs it
// on seeded inputs, and rates each kernel of the program (the rows `kiln ir --stage
// program` prints, in the same order and with the same names) against the machine: its
// FLOPs and bytes (passes/KernelCost.h), GFLOP/s and GB/s, its share of the FMA peak,
// and whether the peak or the copy bandwidth bounds it (the roofline: whichever of
// FLOPs / peak and bytes / bandwidth takes longer).
//
// The machine's figures (runtime/MachinePeak.h) are measured once and kept in kiln's
// cache directory (machine.json, keyed by the CPU and its core count): one thread's FMA
// peak and copy bandwidth, scaled by the threads the step runs on, and the copy
// bandwidth of all cores at once, which caps the scaled one (memory is shared).
#include "kiln/codegen/CompiledGraph.h"
#include "kiln/codegen/ObjectCache.h"
#include "kiln/codegen/Pipeline.h"
#include "kiln/frontend/GraphModel.h"
#include "kiln/ir/Error.h"
#include "kiln/passes/KernelCost.h"
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/MachinePeak.h"
#include "kiln/runtime/ThreadPool.h"
#include "kiln/runtime/io/AtomicFile.h"
#include "kiln/runtime/train/StepGraphs.h"
#include "tools/Command.h"
#include "tools/WorldSize.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <unistd.h>

namespace kiln::cli {
namespace {

struct MachineFigures {
  std::string cpu;
  double gflopsPerThread = 0;
  double bandwidthGBs = 0;         ///< copy bandwidth of one thread
  int cores = 0;                   ///< the hardware threads of the next figure
  double allCoresBandwidthGBs = 0; ///< copy bandwidth of `cores` threads copying at once
  bool fromCache = false;
};

std::string cpuName() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

/// The cached figures for this CPU, else measured now (and cached when a cache exists).
MachineFigures machineFigures() {
  MachineFigures m{cpuName()};
  std::filesystem::path dir = codegen::ObjectCache::defaultDirectory();
  std::filesystem::path file = dir.empty() ? dir : dir / "machine.json";
  if (!file.empty()) {
    std::ifstream in(file);
    nlohmann::json cached = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (cached.is_object() && cached.value("cpu", "") == m.cpu &&
        cached.value("fma_gflops_per_thread", 0.0) > 0 && cached.value("copy_gbs", 0.0) > 0 &&
        cached.value("cores", 0) == ThreadPool::hardwareThreads() &&
        cached.value("copy_gbs_all_cores", 0.0) > 0) {
      m.gflopsPerThread = cached["fma_gflops_per_thread"];
      m.bandwidthGBs = cached["copy_gbs"];
      m.cores = cached["cores"];
      m.allCoresBandwidthGBs = cached["copy_gbs_all_cores"];
      m.fromCache = true;
      return m;
    }
  }
  m.gflopsPerThread = measureFmaPeakGflops();
  m.bandwidthGBs = measureCopyBandwidthGBs();
  m.cores = ThreadPool::hardwareThreads();
  m.allCoresBandwidthGBs = measureCopyBandwidthGBs(m.cores);
  if (!file.empty() && m.gflopsPerThread > 0) {
    try {
      std::filesystem::create_directories(dir);
      writeFileAtomically(file.string(),
                          nlohmann::json{{"cpu", m.cpu},
                                         {"fma_gflops_per_thread", m.gflopsPerThread},
                                         {"copy_gbs", m.bandwidthGBs},
                                         {"cores", m.cores},
                                         {"copy_gbs_all_cores", m.allCoresBandwidthGBs}}
                                  .dump(2) +
                              "\n");
    } catch (const std::exception &) {
      // The cache only saves the next run a measurement.
    }
  }
  return m;
}

struct Row {
  size_t index;
  std::string name, kind;
  double ms = 0, flops = 0, bytes = 0;
};

class ProfileCommand : public Command {
public:
  CLI::App *declare(CLI::App &app) override {
    CLI::App *sub = app.add_subcommand(
        "profile", "Time every kernel of a compiled step and rate it against the machine");
    sub->add_option("MODEL", model_, "zoo model (see `kiln models`) or model file (.kir)")
        ->required();
    sub->add_option("--step", step_, "the step graph to profile (train, eval, predict, ...)")
        ->capture_default_str();
    sub->add_option("--batch", batch_, "batch size")->capture_default_str()->check(AtLeastOne);
    sub->add_option("--runs", runs_, "timed runs of the step (after one warm-up run)")
        ->capture_default_str()
        ->check(AtLeastOne);
    sub->add_option("--format", format_, "table | json")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "json"}));
    addThreadsOption(sub);
    worldSize_.declare(sub);
    return sub;
  }

  int run() override {
    ranks_ = worldSize_.join();
    ModelSpec model = resolveModel(model_);
    StepOptions stepOptions;
    stepOptions.dp = {communicator().rank(), ranks_};
    Graph graph = buildStageGraph(model, parseStage(step_), batch_, stepOptions);
    codegen::JitOptions options;
    options.profile = true;
    codegen::PlanOptions target = codegen::planOptions(options);
    codegen::LowerOptions lower;
    lower.target = target;
    std::unique_ptr<codegen::LoweredStep> lowered = codegen::lowerStep(graph, lower);
    std::unique_ptr<codegen::CompiledGraph> compiled =
        codegen::CompiledGraph::compile(graph, options);
    const codegen::KernelProfile &profile = *compiled->profile();
    if (profile.names.size() != lowered->program.kernels.size())
      fail("internal error: the JIT timed {} kernels, the program has {}", profile.names.size(),
           lowered->program.kernels.size());

    std::vector<Tensor> inputs = syntheticInputs(graph, model.numClasses, 7);
    std::vector<Tensor> state = initialStates(graph, 0);
    compiled->run(inputs, state); // warm-up: page faults, caches, the thread pool
    codegen::KernelProfile warm = profile;
    for (int64_t r = 0; r < runs_; ++r) {
      if (format_ == "table" && isatty(fileno(stderr)))
        fmt::print(stderr, "\rrun {}/{}", r + 1, runs_);
      compiled->run(inputs, state);
    }
    if (format_ == "table" && isatty(fileno(stderr)))
      fmt::print(stderr, "\r\033[K");

    std::vector<Row> rows;
    const KernelProgram &program = lowered->program;
    for (size_t k = 0; k < program.kernels.size(); ++k) {
      const Kernel &kernel = program.kernels[k];
      KernelCost cost = kernelCost(program, kernel);
      double seconds = profile.seconds[k] - warm.seconds[k];
      rows.push_back({k, kernel.name, std::string(kernelKindName(kernel.kind)),
                      seconds / double(runs_) * 1e3, cost.flops, cost.bytes});
    }
    waitMs_ = (profile.waitSeconds - warm.waitSeconds) / double(runs_) * 1e3;
    if (!leadRank())
      return 0; // every rank ran the step (they reduce together); rank 0 reports
    MachineFigures machine = machineFigures();
    int threads = compiled->stats().workers;
    double peak = machine.gflopsPerThread * threads;
    // Threads share the memory: they copy at most what all the cores copy together.
    double bandwidth = std::min(machine.bandwidthGBs * threads, machine.allCoresBandwidthGBs);
    if (format_ == "json")
      printJson(graph, rows, machine, threads, peak, bandwidth);
    else
      printTable(graph, rows, machine, threads, peak, bandwidth);
    return 0;
  }

private:
  static std::string bound(const Row &row, double peak, double bandwidth) {
    if (row.kind == kernelKindName(KernelKind::Collective))
      return "ranks"; // the all-reduce: moving gradients and waiting for the slowest rank
    if (peak <= 0 || bandwidth <= 0)
      return "-";
    return row.flops / peak > row.bytes / bandwidth ? "compute" : "memory";
  }

  static double communicationMs(const std::vector<Row> &rows) {
    double ms = 0;
    for (const Row &r : rows)
      if (r.kind == kernelKindName(KernelKind::Collective))
        ms += r.ms;
    return ms;
  }

  void printTable(const Graph &graph, std::vector<Row> rows, const MachineFigures &machine,
                  int threads, double peak, double bandwidth) const {
    double totalMs = waitMs_, totalFlops = 0, totalBytes = 0;
    for (const Row &r : rows) {
      totalMs += r.ms;
      totalFlops += r.flops;
      totalBytes += r.bytes;
    }
    fmt::print("{}: {} kernels, batch {}, {} threads, {} timed runs\n", graph.name(), rows.size(),
               batch_, threads, runs_);
    fmt::print("machine: {}; FMA peak {:.1f} GFLOP/s x {} threads = {:.1f}; copy {:.1f} GB/s x "
               "{}, {} cores together {:.1f}: {:.1f}{}\n\n",
               machine.cpu, machine.gflopsPerThread, threads, peak, machine.bandwidthGBs, threads,
               machine.cores, machine.allCoresBandwidthGBs, bandwidth,
               machine.fromCache ? " (cached)" : " (measured now)");
    if (ranks_ > 1)
      fmt::print("data-parallel: {} ranks x batch {}; all_reduce kernels (copying gradients into "
                 "buckets) {:.3f} ms, waiting for buckets {:.3f} ms = {:.1f}% of the step\n\n",
                 ranks_, batch_, communicationMs(rows), waitMs_,
                 totalMs > 0 ? 100 * waitMs_ / totalMs : 0);
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row &a, const Row &b) { return a.ms > b.ms; });
    const std::string waiting = "(waiting for all_reduce buckets)";
    size_t nameWidth = ranks_ > 1 ? waiting.size() : 6;
    for (const Row &r : rows)
      nameWidth = std::max(nameWidth, r.name.size());
    std::string header =
        fmt::format("{:>4}  {:<{}}  {:<9}  {:>9}  {:>6}  {:>9}  {:>8}  {:>6}  {:>9}  "
                    "{:>7}  {}",
                    "#", "kernel", nameWidth, "kind", "ms", "share", "MFLOP", "GFLOP/s", "%peak",
                    "MB", "GB/s", "bound");
    fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
    auto line = [&](std::string index, const std::string &name, const std::string &kind, double ms,
                    double flops, double bytes, const std::string &boundBy) {
      double gflops = ms > 0 ? flops / (ms * 1e6) : 0;
      double gbs = ms > 0 ? bytes / (ms * 1e6) : 0;
      fmt::print("{:>4}  {:<{}}  {:<9}  {:>9.3f}  {:>5.1f}%  {:>9.3f}  {:>8.2f}  {:>5.1f}%  "
                 "{:>9.3f}  {:>7.2f}  {}\n",
                 index, name, nameWidth, kind, ms, totalMs > 0 ? 100 * ms / totalMs : 0,
                 flops * 1e-6, gflops, peak > 0 ? 100 * gflops / peak : 0, bytes * 1e-6, gbs,
                 boundBy);
    };
    for (const Row &r : rows)
      line(std::to_string(r.index), r.name, r.kind, r.ms, r.flops, r.bytes,
           bound(r, peak, bandwidth));
    if (ranks_ > 1)
      line("", waiting, "wait", waitMs_, 0, 0, "ranks");
    fmt::print("{}\n", std::string(header.size(), '-'));
    line("", "total", "", totalMs, totalFlops, totalBytes, "");
  }

  void printJson(const Graph &graph, const std::vector<Row> &rows, const MachineFigures &machine,
                 int threads, double peak, double bandwidth) const {
    nlohmann::json kernels = nlohmann::json::array();
    double totalMs = waitMs_, totalFlops = 0;
    for (const Row &r : rows) {
      totalMs += r.ms;
      totalFlops += r.flops;
      double gflops = r.ms > 0 ? r.flops / (r.ms * 1e6) : 0;
      kernels.push_back({{"index", r.index},
                         {"name", r.name},
                         {"kind", r.kind},
                         {"ms", r.ms},
                         {"flops", r.flops},
                         {"bytes", r.bytes},
                         {"gflops", gflops},
                         {"percent_of_peak", peak > 0 ? 100 * gflops / peak : 0},
                         {"gbs", r.ms > 0 ? r.bytes / (r.ms * 1e6) : 0},
                         {"bound", bound(r, peak, bandwidth)}});
    }
    nlohmann::json out{{"graph", graph.name()},
                       {"batch", batch_},
                       {"threads", threads},
                       {"ranks", ranks_},
                       {"all_reduce_ms", communicationMs(rows)},
                       {"waiting_ms", waitMs_},
                       {"runs", runs_},
                       {"machine",
                        {{"cpu", machine.cpu},
                         {"fma_gflops_per_thread", machine.gflopsPerThread},
                         {"copy_gbs_per_thread", machine.bandwidthGBs},
                         {"cores", machine.cores},
                         {"copy_gbs_all_cores", machine.allCoresBandwidthGBs},
                         {"peak_gflops", peak},
                         {"bandwidth_gbs", bandwidth}}},
                       {"total", {{"ms", totalMs}, {"flops", totalFlops}}},
                       {"kernels", kernels}};
    fmt::print("{}\n", out.dump(2));
  }

  std::string model_;
  std::string step_ = "train";
  int64_t batch_ = 64;
  int64_t runs_ = 20;
  std::string format_ = "table";
  WorldSizeOption worldSize_{"profile"};
  int ranks_ = 1;
  double waitMs_ = 0; ///< per step, waiting for all_reduce buckets between kernels
};

} // namespace

std::unique_ptr<Command> makeProfileCommand() { return std::make_unique<ProfileCommand>(); }

} // namespace kiln::cli
