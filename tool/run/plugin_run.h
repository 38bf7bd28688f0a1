// Plugin pools in a stress run: from the --plugin PATH[:OPTIONS] argument to a checked, loaded
// library (LoadPluginSpec), and from there to a PoolRun (RunPlugin), the runner's loop instantiated
// once for bp::PluginPool.
//
// Loading runs plugin code in this process (the library's constructors, bp_pool_plugin(), one
// create and destroy): a plugin that crashes there takes bpstress with it. Runs can be isolated
// (tool/process/isolate.h); loading cannot, because its result must be usable in this process.
//
// Thread safety: both functions are called from the controlling thread; RunPlugin starts and joins
// the runner's threads itself.
#pragma once

#include <memory>
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
  std::shared_ptr<PluginLibrary> lib;
};

// Parses "PATH[:OPTIONS]" (the first ':' after the path's last '/' separates the options, so
// directories may contain ':'), loads and checks the library, and creates and destroys one pool to
// validate the options, so that a create failure surfaces before any run. On error returns nullopt
// with one line in *error (the caller prints it and exits 3). With isolate_create the create and
// destroy run in a forked child: a plugin that crashes or hangs there passes the check, and its
// run (isolated) reports the crash with phase create, instead of this process dying now.
std::optional<PluginSpec> LoadPluginSpec(std::string_view arg, std::string* error,
                                         bool isolate_create = false);

// "plugin:" + path, plus ":" + options when there are any: the spec recorded in reports.
std::string PluginSpecText(const PluginSpec& spec);

// Runs the plugin's pool under the stress runner. run.name is spec.name, run.spec is
// PluginSpecText(spec), and pool_counters is false (see pool/plugin.h). Should create fail this
// time although it succeeded in LoadPluginSpec, every get is refused and the plugin's reason is in
// stderr_tail.
PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options);

}  // namespace bp
