#include "tool/run/plugin_run.h"

#include <utility>

#include "tool/run/runner_impl.h"

namespace bp {

std::string PluginSpecText(const PluginSpec& spec) {
  std::string text = "plugin:" + spec.path;
  if (!spec.options.empty()) text += ":" + spec.options;
  return text;
}

PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options) {
  std::string error;
  // Here, in the process that runs it: an isolated child loads it for itself.
  const std::shared_ptr<PluginLibrary> lib = PluginLibrary::Shared(spec.path, &error);
  PoolRun run = RunPool<PluginPool>(
      [&] {
        std::unique_ptr<PluginPool> pool =
            lib != nullptr ? PluginPool::Create(lib, spec.options, &error) : nullptr;
        return pool != nullptr ? std::move(pool) : PluginPool::Refusing(lib);
      },
      dist, options);
  run.name = spec.name;
  run.spec = PluginSpecText(spec);
  run.pool_counters = false;
  if (!error.empty()) run.stderr_tail = spec.path + ": " + error;
  return run;
}

}  // namespace bp
