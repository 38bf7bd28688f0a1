// No-op definitions of the coverage callbacks that a plugin built for the schedule fuzzer
// (bp_sched_plugin(... FUZZ): -fsanitize=fuzzer-no-link) calls, so that `bpstress replay`,
// `shrink` and `sched` load that same file: a crash of the fuzzer replays without a rebuild.
// libFuzzer defines them in the fuzzer itself; here they count nothing. Exported by
// runtime/exports.list; only the bpstress executable of a build with the runtime has them.
#include <cstddef>
#include <cstdint>

extern "C" {
__attribute__((visibility("default"))) thread_local uintptr_t __sancov_lowest_stack;

#define BP_SANCOV_NOOP(name, ...) \
  __attribute__((visibility("default"))) void name(__VA_ARGS__) {}
BP_SANCOV_NOOP(__sanitizer_cov_8bit_counters_init, uint8_t*, uint8_t*)
BP_SANCOV_NOOP(__sanitizer_cov_bool_flag_init, bool*, bool*)
BP_SANCOV_NOOP(__sanitizer_cov_pcs_init, const uintptr_t*, const uintptr_t*)
BP_SANCOV_NOOP(__sanitizer_cov_trace_pc_guard_init, uint32_t*, uint32_t*)
BP_SANCOV_NOOP(__sanitizer_cov_trace_pc_guard, uint32_t*)
BP_SANCOV_NOOP(__sanitizer_cov_trace_pc_indir, uintptr_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_cmp1, uint8_t, uint8_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_cmp2, uint16_t, uint16_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_cmp4, uint32_t, uint32_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_cmp8, uint64_t, uint64_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_const_cmp1, uint8_t, uint8_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_const_cmp2, uint16_t, uint16_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_const_cmp4, uint32_t, uint32_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_const_cmp8, uint64_t, uint64_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_switch, uint64_t, uint64_t*)
BP_SANCOV_NOOP(__sanitizer_cov_trace_div4, uint32_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_div8, uint64_t)
BP_SANCOV_NOOP(__sanitizer_cov_trace_gep, uintptr_t)
}
