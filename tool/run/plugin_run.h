// Plugin pools in a stress run: from the --plugin PATH[:OPTIONS] argument to a checked plugin
// (LoadPluginSpec), and from there to a PoolRun (RunPlugin), the runner's loop instantiated once
// for bp::PluginPool.
//
// A plugin is loaded only in the process that runs it (pool/plugin.h says why: a library that
// starts threads when loaded has none of them in a process forked after the load). So this
// process never loads a plugin to check it: ProbePlugin loads it, and creates and destroys one
// pool, in a forked child that sends back what the caller needs (name, ABI version, the reason of a
// failure) over a pipe. RunPlugin loads the library in the process that calls it
// (PluginLibrary::Shared): the isolated child, or with --no-isolate this process, after its own
// signal handlers are in place (docs/ARCHITECTURE.md, "Signals").
//
// Thread safety: call from the controlling thread; RunPlugin starts and joins the runner's threads
// itself (or has the plugin start them, bp_pool_run_threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// What a forked child found when it loaded the plugin at `path` and, with `create`, created and
// destroyed one pool with `options`.
struct PluginProbe {
  bool loaded = false;   // the library loaded and its table passed the checks: name, abi set
  bool created = false;  // create returned a pool (with `create`), and destroy returned
  bool refused = false;  // create returned NULL: error is the plugin's reason
  std::string name;      // the plugin's own name (untrusted bytes)
  uint32_t abi_version = 0;
  std::string error;  // one line: why it did not load, or why create failed, crashed or hung
};
PluginProbe ProbePlugin(const std::string& path, const std::string& options, bool create);

// Parses "PATH[:OPTIONS]" (the first ':' after the path's last '/' separates the options, so
// directories may contain ':') and probes the plugin in a child (ProbePlugin), so that a bad file
// or a create failure surfaces before any run. On error returns nullopt with one line in *error
// (the caller prints it and exits 3). With `isolated` (its runs will be isolated) a create that
// crashes or hangs in the probe passes: the run reports the crash with phase create; without, it
// is an error (it would take this process down).
std::optional<PluginSpec> LoadPluginSpec(std::string_view arg, std::string* error,
                                         bool isolated = false);

// "plugin:" + path, plus ":" + options when there are any: the spec recorded in reports.
std::string PluginSpecText(const PluginSpec& spec);

// Runs the plugin's pool under the stress runner, loading the library in this process the first
// time. run.name is spec.name, run.spec is PluginSpecText(spec), and pool_counters is false (see
// pool/plugin.h). Should the load or create fail this time although they succeeded in the probe,
// every get is refused and the reason is in stderr_tail.
PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options);

}  // namespace bp
