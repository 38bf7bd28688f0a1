// Plugin pools in a stress run: a checked plugin (PluginSpec, made from the --plugin
// PATH[:OPTIONS] argument by LoadPluginSpec, tool/process/plugin_probe.h) to a PoolRun
// (RunPlugin), the runner's loop instantiated once for bp::PluginPool.
//
// A plugin is loaded only in the process that runs it (pool/plugin.h says why: a library that
// starts threads when loaded has none of them in a process forked after the load). So the
// controlling process never loads a plugin to check it: the probe does that in a child
// (tool/process/plugin_probe.h). RunPlugin loads the library in the process that calls it
// (PluginLibrary::Shared): the isolated child, or with --no-isolate this process, after its own
// signal handlers are in place (docs/ARCHITECTURE.md, "Signals").
//
// Thread safety: call from the controlling thread; RunPlugin starts and joins the runner's threads
// itself (or has the plugin start them, bp_pool_run_threads).
#pragma once

#include <cstdint>
#include <string>

#include "pool/plugin.h"
#include "tool/run/dist.h"
#include "tool/run/runner.h"

namespace bp {

struct PluginSpec {
  std::string path;
  std::string options;
  std::string name;  // unique display name (the plugin's own name until the caller renames it)
  uint32_t abi_version = 0;
};

// "plugin:" + path, plus ":" + options when there are any: the spec recorded in reports.
std::string PluginSpecText(const PluginSpec& spec);

// Runs the plugin's pool under the stress runner, loading the library in this process the first
// time. run.name is spec.name, run.spec is PluginSpecText(spec), and pool_counters is false (see
// pool/plugin.h). Should the load or create fail this time although they succeeded in the probe,
// every get is refused and the reason is in stderr_tail.
PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options);

}  // namespace bp
