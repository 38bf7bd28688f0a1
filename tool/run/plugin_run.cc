#include "tool/run/plugin_run.h"

#include <utility>

#include "tool/run/runner_impl.h"

namespace bp {

std::optional<PluginSpec> LoadPluginSpec(std::string_view arg, std::string* error) {
  const size_t slash = arg.rfind('/');
  const size_t colon = arg.find(':', slash == std::string_view::npos ? 0 : slash + 1);
  PluginSpec spec;
  spec.path = std::string(arg.substr(0, colon));
  if (colon != std::string_view::npos) spec.options = std::string(arg.substr(colon + 1));
  if (spec.path.empty()) {
    *error = "--plugin " + std::string(arg) + ": no path before ':'";
    return std::nullopt;
  }
  spec.lib = PluginLibrary::Load(spec.path, error);
  if (spec.lib == nullptr) return std::nullopt;
  spec.name = spec.lib->name();
  std::string why;
  if (PluginPool::Create(spec.lib, spec.options, &why) == nullptr) {
    *error = spec.path + ": " + why;
    return std::nullopt;
  }
  return spec;
}

std::string PluginSpecText(const PluginSpec& spec) {
  std::string text = "plugin:" + spec.path;
  if (!spec.options.empty()) text += ":" + spec.options;
  return text;
}

PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options) {
  std::string create_error;
  PoolRun run = RunPool<PluginPool>(
      [&] {
        std::unique_ptr<PluginPool> pool =
            PluginPool::Create(spec.lib, spec.options, &create_error);
        return pool != nullptr ? std::move(pool) : PluginPool::Refusing(spec.lib);
      },
      dist, options);
  run.name = spec.name;
  run.spec = PluginSpecText(spec);
  run.pool_counters = false;
  if (!create_error.empty()) run.stderr_tail = spec.path + ": " + create_error;
  return run;
}

}  // namespace bp
