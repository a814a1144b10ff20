/**
 * @file parallel.hpp
 * @brief A parallel-for over independent tasks with exception capture and
 *        cooperative cancellation polled on the calling thread.
 */
#pragma once

#include <cstddef>
#include <functional>

namespace mastra {

/// Returns true when the caller wants the work stopped (e.g. Ctrl-C was pressed).
using InterruptCheck = std::function<bool()>;

/// How a batch operation may use threads.
struct ParallelOptions {
  std::size_t threads = 0;       ///< 0 = every core this process may run on
  InterruptCheck interrupted{};  ///< polled on the calling thread between tasks
};

/// Number of cores this process may run on (CPU affinity aware where the OS tells).
std::size_t available_cores() noexcept;

/// Resolves a `threads` request: 0 means all available cores; never more than `tasks`.
std::size_t resolve_threads(std::size_t requested, std::size_t tasks) noexcept;

/**
 * Runs body(task, worker) for every task in [0, n_tasks) on up to `options.threads`
 * threads, the calling thread included (it is worker 0). Tasks are handed out in
 * order from a shared counter. The first exception thrown by any task stops the
 * hand-out and is rethrown here once all threads have joined. Between its tasks the
 * calling thread polls options.interrupted (at most every 20 ms); when it returns true
 * the remaining tasks are skipped and mastra::Interrupted is thrown.
 */
void parallel_for(std::size_t n_tasks, const ParallelOptions& options,
                  const std::function<void(std::size_t task, std::size_t worker)>& body);

}  // namespace mastra
