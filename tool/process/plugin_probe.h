// Checking a --plugin library before anything runs, without loading it in this process
// (tool/run/plugin_run.h says why: a library that starts threads when loaded has none of them in
// a process forked after the load). ProbePlugin loads it, and creates and destroys one pool, in a
// child (ForkChild, child.h) that sends back name, ABI version or the reason of a failure on the
// child's result channel, which survives a pool that closes descriptors. LoadPluginSpec turns a
// --plugin PATH[:OPTIONS] argument into a checked PluginSpec with it.
//
// Cost: one fork and a load, milliseconds (a Go runtime starting included); a probe still running
// after 10 s is killed and its plugin reported hung.
//
// Thread safety: as ForkChild: call from the controlling thread while no pool work runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tool/run/plugin_run.h"

namespace bp {

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

}  // namespace bp
