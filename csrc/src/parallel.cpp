/**
 * @file parallel.cpp
 * @brief parallel_for: shared task counter, exception capture, cancellation.
 */
#include "mastra/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "mastra/errors.hpp"

#if defined(__linux__)
#include <sched.h>
#endif

namespace mastra {

std::size_t available_cores() noexcept {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<std::size_t>(count);
  }
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

std::size_t resolve_threads(std::size_t requested, std::size_t tasks) noexcept {
  const std::size_t wanted = requested == 0 ? available_cores() : requested;
  return std::max<std::size_t>(1, std::min(wanted, tasks));
}

namespace {

/// State shared by the threads of one parallel_for call.
class TaskRun {
 public:
  TaskRun(std::size_t n_tasks,
          const std::function<void(std::size_t, std::size_t)>& body)
      : n_tasks_(n_tasks), body_(body) {}

  /// Runs tasks until none are left or the run stops; returns after each task when
  /// `one_at_a_time` so the caller can poll for interruption.
  bool run_some(std::size_t worker, bool one_at_a_time) {
    while (!stop_.load(std::memory_order_relaxed)) {
      const std::size_t task = next_.fetch_add(1, std::memory_order_relaxed);
      if (task >= n_tasks_) return false;
      try {
        body_(task, worker);
      } catch (...) {
        record(std::current_exception());
        return false;
      }
      if (one_at_a_time) return true;
    }
    return false;
  }

  void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

  void rethrow_if_failed() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void record(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = error;
    stop();
  }

  const std::size_t n_tasks_;
  const std::function<void(std::size_t, std::size_t)>& body_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace

void parallel_for(std::size_t n_tasks, const ParallelOptions& options,
                  const std::function<void(std::size_t task, std::size_t worker)>& body) {
  if (n_tasks == 0) return;
  const std::size_t threads = resolve_threads(options.threads, n_tasks);
  TaskRun run(n_tasks, body);

  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (std::size_t w = 1; w < threads; ++w) {
    workers.emplace_back([&run, w] { run.run_some(w, false); });
  }

  // Polling costs a GIL round trip in Python, so it happens at most every kPollEvery.
  constexpr auto kPollEvery = std::chrono::milliseconds(20);
  auto next_poll = std::chrono::steady_clock::now() + kPollEvery;
  bool interrupted = false;
  while (run.run_some(0, true)) {
    if (!options.interrupted) continue;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_poll) continue;
    next_poll = now + kPollEvery;
    if (options.interrupted()) {
      interrupted = true;
      run.stop();
      break;
    }
  }
  for (std::thread& t : workers) t.join();
  run.rethrow_if_failed();
  if (interrupted) throw Interrupted();
}

}  // namespace mastra
